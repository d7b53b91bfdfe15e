import {
  CREDIT_NOTE_TYPE_CODES,
  joinAddress,
  postcodeCity,
  profileWithoutLines,
  ValueReader,
  type EInvoice,
  type EInvoiceParty,
} from './model.ts';
import { child, children, descend, type XmlElement } from './xml.ts';

/**
 * Element names that differ between UN/CEFACT CII D16B (ZUGFeRD 2.x, Factur-X,
 * XRechnung CII) and the CII draft ZUGFeRD 1.0 was built on. Everything else is
 * read the same way.
 */
interface CiiNames {
  context: string;
  document: string;
  transaction: string;
  agreement: string;
  settlement: string;
  summation: string;
  lineAgreement: string;
  lineDelivery: string;
  lineSettlement: string;
  lineSummation: string;
  rate: string;
  orderId: string;
}

const D16B: CiiNames = {
  context: 'ExchangedDocumentContext',
  document: 'ExchangedDocument',
  transaction: 'SupplyChainTradeTransaction',
  agreement: 'ApplicableHeaderTradeAgreement',
  settlement: 'ApplicableHeaderTradeSettlement',
  summation: 'SpecifiedTradeSettlementHeaderMonetarySummation',
  lineAgreement: 'SpecifiedLineTradeAgreement',
  lineDelivery: 'SpecifiedLineTradeDelivery',
  lineSettlement: 'SpecifiedLineTradeSettlement',
  lineSummation: 'SpecifiedTradeSettlementLineMonetarySummation',
  rate: 'RateApplicablePercent',
  orderId: 'IssuerAssignedID',
};

const ZUGFERD1: CiiNames = {
  context: 'SpecifiedExchangedDocumentContext',
  document: 'HeaderExchangedDocument',
  transaction: 'SpecifiedSupplyChainTradeTransaction',
  agreement: 'ApplicableSupplyChainTradeAgreement',
  settlement: 'ApplicableSupplyChainTradeSettlement',
  summation: 'SpecifiedTradeSettlementMonetarySummation',
  lineAgreement: 'SpecifiedSupplyChainTradeAgreement',
  lineDelivery: 'SpecifiedSupplyChainTradeDelivery',
  lineSettlement: 'SpecifiedSupplyChainTradeSettlement',
  lineSummation: 'SpecifiedTradeSettlementMonetarySummation',
  rate: 'ApplicablePercent',
  orderId: 'ID',
};

/**
 * UN/CEFACT Cross Industry Invoice (`rsm:CrossIndustryInvoice`, EN 16931-3-3
 * binding) or ZUGFeRD 1.0 (`rsm:CrossIndustryDocument`) to an EInvoice.
 */
export function readCii(root: XmlElement, syntax: 'cii' | 'zugferd1'): EInvoice {
  const n = syntax === 'cii' ? D16B : ZUGFERD1;
  const r = new ValueReader();
  const document = child(root, n.document);
  const transaction = child(root, n.transaction);
  const agreement = child(transaction, n.agreement);
  const settlement = child(transaction, n.settlement);
  const summation = child(settlement, n.summation);
  const currency = r.text(child(settlement, 'InvoiceCurrencyCode'));
  const typeCode = r.text(child(document, 'TypeCode'));
  const profile = r.text(descend(root, n.context, 'GuidelineSpecifiedDocumentContextParameter', 'ID'));
  const means = children(settlement, 'SpecifiedTradeSettlementPaymentMeans');
  const withAccount = means.find((m) => child(m, 'PayeePartyCreditorFinancialAccount') !== null) ?? null;
  const account = child(withAccount, 'PayeePartyCreditorFinancialAccount');
  const terms = children(settlement, 'SpecifiedTradePaymentTerms');
  // BT-110 in the invoice currency; a second TaxTotalAmount may be in the tax currency (BT-111).
  const taxTotals = children(summation, 'TaxTotalAmount');
  const taxTotal =
    taxTotals.find((t) => t.attributes.currencyID === undefined || t.attributes.currencyID === currency?.value) ?? taxTotals[0] ?? null;

  return {
    syntax,
    profile,
    linesAbsent: profileWithoutLines(profile?.value ?? null),
    number: r.text(child(document, 'ID')),
    typeCode,
    documentType: CREDIT_NOTE_TYPE_CODES.has(typeCode?.value ?? '') ? 'credit_note' : 'invoice',
    issueDate: r.date(descend(document, 'IssueDateTime', 'DateTimeString')),
    dueDate: r.date(terms.map((t) => descend(t, 'DueDateDateTime', 'DateTimeString')).find((d) => d !== null)),
    currency,
    buyerReference: r.text(child(agreement, 'BuyerReference')),
    purchaseOrder: r.text(descend(agreement, 'BuyerOrderReferencedDocument', n.orderId)),
    paymentTerms: r.text(terms.map((t) => child(t, 'Description')).find((d) => d !== null)),
    iban: r.account(child(account, 'IBANID') ?? child(account, 'ProprietaryID')),
    bic: r.account(descend(withAccount, 'PayeeSpecifiedCreditorFinancialInstitution', 'BICID')),
    seller: party(r, child(agreement, 'SellerTradeParty')),
    buyer: party(r, child(agreement, 'BuyerTradeParty')),
    totals: {
      lineNet: r.amount(child(summation, 'LineTotalAmount')),
      allowances: r.amount(child(summation, 'AllowanceTotalAmount')),
      charges: r.amount(child(summation, 'ChargeTotalAmount')),
      taxExclusive: r.amount(child(summation, 'TaxBasisTotalAmount')),
      tax: r.amount(taxTotal),
      taxInclusive: r.amount(child(summation, 'GrandTotalAmount')),
      prepaid: r.amount(child(summation, 'TotalPrepaidAmount')),
      rounding: r.amount(child(summation, 'RoundingAmount')),
      payable: r.amount(child(summation, 'DuePayableAmount')),
    },
    lines: children(transaction, 'IncludedSupplyChainTradeLineItem').map((line) => {
      const price = descend(line, n.lineAgreement, 'NetPriceProductTradePrice');
      const lineSettlement = child(line, n.lineSettlement);
      const tax = child(lineSettlement, 'ApplicableTradeTax');
      return {
        id: r.text(descend(line, 'AssociatedDocumentLineDocument', 'LineID')),
        name: r.text(descend(line, 'SpecifiedTradeProduct', 'Name')),
        quantity: r.quantity(descend(line, n.lineDelivery, 'BilledQuantity')),
        unitPrice: r.amount(child(price, 'ChargeAmount')),
        baseQuantity: r.quantity(child(price, 'BasisQuantity')),
        net: r.amount(descend(lineSettlement, n.lineSummation, 'LineTotalAmount')),
        vatCategory: r.text(child(tax, 'CategoryCode')),
        vatRate: r.rate(child(tax, n.rate)),
        path: line.path,
      };
    }),
    vat: children(settlement, 'ApplicableTradeTax').map((tax) => ({
      category: r.text(child(tax, 'CategoryCode')),
      rate: r.rate(child(tax, n.rate)),
      taxable: r.amount(child(tax, 'BasisAmount')),
      tax: r.amount(child(tax, 'CalculatedAmount')),
      exemptionReason: r.text(child(tax, 'ExemptionReason')),
      path: tax.path,
    })),
    allowancesCharges: children(settlement, 'SpecifiedTradeAllowanceCharge').map((ac) => {
      const tax = child(ac, 'CategoryTradeTax');
      return {
        charge: descend(ac, 'ChargeIndicator', 'Indicator')?.text.toLowerCase() === 'true',
        amount: r.amount(child(ac, 'ActualAmount')),
        category: r.text(child(tax, 'CategoryCode')),
        rate: r.rate(child(tax, n.rate)),
        path: ac.path,
      };
    }),
    problems: r.problems,
  };
}

function party(r: ValueReader, element: XmlElement | null): EInvoiceParty {
  const registrations = children(element, 'SpecifiedTaxRegistration').map((reg) => child(reg, 'ID'));
  const vat = registrations.find((id) => id?.attributes.schemeID === 'VA') ?? null;
  const other = registrations.find((id) => id?.attributes.schemeID === 'FC') ?? null;
  const address = child(element, 'PostalTradeAddress');
  const line = (local: string) => child(address, local)?.text;
  const joined = joinAddress([
    line('LineOne'),
    line('LineTwo'),
    line('LineThree'),
    postcodeCity(line('PostcodeCode'), line('CityName')),
    line('CountrySubDivisionName'),
    line('CountryID'),
  ]);
  return {
    name: r.text(child(element, 'Name')) ?? r.text(descend(element, 'SpecifiedLegalOrganization', 'TradingBusinessName')),
    vatId: r.text(vat),
    taxId: r.text(other),
    address: joined && address ? { value: joined, path: address.path } : null,
  };
}
