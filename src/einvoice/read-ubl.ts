import {
  CREDIT_NOTE_TYPE_CODES,
  joinAddress,
  postcodeCity,
  profileWithoutLines,
  ValueReader,
  type EInvoice,
  type EInvoiceParty,
  type XmlValue,
} from './model.ts';
import { child, children, descend, type XmlElement } from './xml.ts';

/**
 * OASIS UBL 2.1 `Invoice` / `CreditNote` (Peppol BIS Billing 3.0, XRechnung UBL)
 * to an EInvoice, following the EN 16931-3-2 syntax binding.
 */
export function readUbl(root: XmlElement): EInvoice {
  const r = new ValueReader();
  const creditNote = root.local === 'CreditNote';
  const currency = r.text(child(root, 'DocumentCurrencyCode'));
  const typeCode = r.text(child(root, creditNote ? 'CreditNoteTypeCode' : 'InvoiceTypeCode'));
  const profile = r.text(child(root, 'CustomizationID'));
  const means = children(root, 'PaymentMeans');
  const payee = means.map((m) => child(m, 'PayeeFinancialAccount')).find((a) => a !== null) ?? null;
  const monetary = child(root, 'LegalMonetaryTotal');
  // BT-110 is the TaxTotal in the document currency; a second one may be in the tax currency (BT-111).
  const taxTotals = children(root, 'TaxTotal');
  const taxTotal =
    taxTotals.find((t) => child(t, 'TaxAmount')?.attributes.currencyID === currency?.value) ?? taxTotals[0] ?? null;
  const lineName = creditNote ? 'CreditNoteLine' : 'InvoiceLine';
  const quantityName = creditNote ? 'CreditedQuantity' : 'InvoicedQuantity';
  const linesAbsent = profileWithoutLines(profile?.value ?? null);

  const invoice: EInvoice = {
    syntax: 'ubl',
    profile,
    linesAbsent,
    number: r.text(child(root, 'ID')),
    typeCode,
    documentType: creditNote || CREDIT_NOTE_TYPE_CODES.has(typeCode?.value ?? '') ? 'credit_note' : 'invoice',
    issueDate: r.date(child(root, 'IssueDate')),
    // An Invoice has cbc:DueDate; a CreditNote carries it in PaymentMeans.
    dueDate: r.date(child(root, 'DueDate') ?? means.map((m) => child(m, 'PaymentDueDate')).find((d) => d !== null)),
    currency,
    buyerReference: r.text(child(root, 'BuyerReference')),
    purchaseOrder: r.text(descend(root, 'OrderReference', 'ID')),
    paymentTerms: r.text(descend(root, 'PaymentTerms', 'Note')),
    iban: r.account(child(payee, 'ID')),
    bic: r.account(descend(payee, 'FinancialInstitutionBranch', 'ID')),
    seller: party(r, descend(root, 'AccountingSupplierParty', 'Party')),
    buyer: party(r, descend(root, 'AccountingCustomerParty', 'Party')),
    totals: {
      lineNet: r.amount(child(monetary, 'LineExtensionAmount')),
      allowances: r.amount(child(monetary, 'AllowanceTotalAmount')),
      charges: r.amount(child(monetary, 'ChargeTotalAmount')),
      taxExclusive: r.amount(child(monetary, 'TaxExclusiveAmount')),
      tax: r.amount(child(taxTotal, 'TaxAmount')),
      taxInclusive: r.amount(child(monetary, 'TaxInclusiveAmount')),
      prepaid: r.amount(child(monetary, 'PrepaidAmount')),
      rounding: r.amount(child(monetary, 'PayableRoundingAmount')),
      payable: r.amount(child(monetary, 'PayableAmount')),
    },
    lines: children(root, lineName).map((line) => {
      const category = descend(line, 'Item', 'ClassifiedTaxCategory');
      return {
        id: r.text(child(line, 'ID')),
        name: r.text(descend(line, 'Item', 'Name')),
        quantity: r.quantity(child(line, quantityName)),
        unitPrice: r.amount(descend(line, 'Price', 'PriceAmount')),
        baseQuantity: r.quantity(descend(line, 'Price', 'BaseQuantity')),
        net: r.amount(child(line, 'LineExtensionAmount')),
        vatCategory: r.text(child(category, 'ID')),
        vatRate: r.rate(child(category, 'Percent')),
        path: line.path,
      };
    }),
    vat: children(taxTotal, 'TaxSubtotal').map((sub) => {
      const category = child(sub, 'TaxCategory');
      return {
        category: r.text(child(category, 'ID')),
        rate: r.rate(child(category, 'Percent')),
        taxable: r.amount(child(sub, 'TaxableAmount')),
        tax: r.amount(child(sub, 'TaxAmount')),
        exemptionReason: r.text(child(category, 'TaxExemptionReason')),
        path: sub.path,
      };
    }),
    allowancesCharges: children(root, 'AllowanceCharge').map((ac) => {
      const category = child(ac, 'TaxCategory');
      return {
        charge: child(ac, 'ChargeIndicator')?.text.toLowerCase() === 'true',
        amount: r.amount(child(ac, 'Amount')),
        category: r.text(child(category, 'ID')),
        rate: r.rate(child(category, 'Percent')),
        path: ac.path,
      };
    }),
    problems: r.problems,
  };
  return invoice;
}

function party(r: ValueReader, element: XmlElement | null): EInvoiceParty {
  const schemes = children(element, 'PartyTaxScheme');
  const isVat = (s: XmlElement) => descend(s, 'TaxScheme', 'ID')?.text.toUpperCase() === 'VAT';
  const vat = schemes.find(isVat);
  const other = schemes.find((s) => !isVat(s));
  const address = child(element, 'PostalAddress');
  const line = (local: string) => child(address, local)?.text;
  const joined = joinAddress([
    line('StreetName'),
    line('AdditionalStreetName'),
    descend(address, 'AddressLine', 'Line')?.text,
    postcodeCity(line('PostalZone'), line('CityName')),
    line('CountrySubentity'),
    descend(address, 'Country', 'IdentificationCode')?.text,
  ]);
  const name = r.text(descend(element, 'PartyLegalEntity', 'RegistrationName')) ?? r.text(descend(element, 'PartyName', 'Name'));
  return {
    name,
    vatId: r.text(child(vat, 'CompanyID')),
    taxId: r.text(child(other, 'CompanyID')),
    address: joined && address ? ({ value: joined, path: address.path } satisfies XmlValue) : null,
  };
}
