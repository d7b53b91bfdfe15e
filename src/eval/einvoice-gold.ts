/**
 * Gold data for e-invoice XML, written independently of the reader under test
 * (src/einvoice/): another XML library (fast-xml-parser, namespace prefixes
 * dropped), another walk (plain element paths from EN 16931's syntax bindings),
 * and no code shared with the readers. `loadEInvoicePairs` scores each file of
 * a UBL/CII pair (the KoSIT test suite writes every business case twice,
 * `NAME_ubl.xml` and `NAME_uncefact.xml`) against the gold read from its
 * *twin*: the UBL reader is scored against what the CII file says and the CII
 * reader against what the UBL file says, so neither file is its own gold.
 *
 * Scored: the registry's fields the standard defines in both syntaxes (number,
 * document type, dates, currency, seller and buyer names and VAT ids, buyer
 * reference, purchase order, payment terms, IBAN, BIC, profile, the three
 * totals) and the VAT breakdown (one item per category and rate). Not scored:
 * the addresses (one line joined by our own convention: comparing it would test
 * the convention, not the reading) and line items (compared pair by pair in
 * test/unit/einvoice.test.ts and test/e2e/einvoice.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { at, first, isoDate, parser, textOf, type Node } from './hybrid-gold.ts';
import { vatEntryKey, type FieldGold } from './metrics.ts';

/** UNTDID 1001 document type codes that are credit notes (EN 16931 code list for BT-3); every other code is an invoice. */
const CREDIT_NOTE_CODES = new Set(['81', '83', '261', '262', '296', '308', '381', '396', '420', '458', '532']);

const documentType = (code: string | null, root: 'Invoice' | 'CreditNote' | 'CII'): string | null =>
  root === 'CreditNote' || (code !== null && CREDIT_NOTE_CODES.has(code)) ? 'credit_note' : code === null ? null : 'invoice';

const attr = (node: unknown, name: string): string | null =>
  node && typeof node === 'object' ? ((node as Node)[`@${name}`] as string | undefined) ?? null : null;

/** Only the values present: a field the XML leaves out is not scored. */
function present(gold: Record<string, string | string[] | null>): FieldGold {
  return Object.fromEntries(Object.entries(gold).filter(([, v]) => v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)));
}

/** The gold of a UBL 2.1 Invoice or CreditNote. */
export function ublGold(xml: string): FieldGold {
  const doc = parser.parse(xml) as Node;
  const rootName = doc['Invoice'] ? 'Invoice' : doc['CreditNote'] ? 'CreditNote' : null;
  if (!rootName) throw new Error('not a UBL Invoice or CreditNote');
  const root = doc[rootName];
  const currency = first(root, 'DocumentCurrencyCode');
  const party = (role: 'AccountingSupplierParty' | 'AccountingCustomerParty') => {
    const schemes = at(root, `${role}/Party/PartyTaxScheme`);
    const vat = schemes.find((s) => first(s, 'TaxScheme/ID') === 'VAT');
    const other = schemes.find((s) => s !== vat);
    const taxId: string | null = (vat ? first(vat, 'CompanyID') : null) ?? (other ? first(other, 'CompanyID') : null);
    return {
      name: first(root, `${role}/Party/PartyLegalEntity/RegistrationName`) ?? first(root, `${role}/Party/PartyName/Name`),
      taxId,
    };
  };
  // The VAT total in the document currency (a second TaxTotal may give it in the accounting currency).
  const taxTotal = at(root, 'TaxTotal').find((t) => attr(at(t, 'TaxAmount')[0], 'currencyID') === currency) ?? at(root, 'TaxTotal')[0];
  const seller = party('AccountingSupplierParty');
  const buyer = party('AccountingCustomerParty');
  const amount = (name: string) => first(root, `LegalMonetaryTotal/${name}`);
  return present({
    vendorName: seller.name,
    vendorTaxId: seller.taxId,
    customerName: buyer.name,
    invoiceNumber: first(root, 'ID'),
    issueDate: first(root, 'IssueDate'),
    dueDate: first(root, 'DueDate') ?? first(root, 'PaymentMeans/PaymentDueDate'),
    currency,
    subtotal: amount('TaxExclusiveAmount'),
    taxTotal: taxTotal ? textOf(at(taxTotal, 'TaxAmount')[0]) : null,
    total: amount('TaxInclusiveAmount'),
    purchaseOrder: first(root, 'OrderReference/ID'),
    paymentTerms: first(root, 'PaymentTerms/Note'),
    iban: first(root, 'PaymentMeans/PayeeFinancialAccount/ID'),
    bic: first(root, 'PaymentMeans/PayeeFinancialAccount/FinancialInstitutionBranch/ID'),
    documentType: documentType(first(root, 'InvoiceTypeCode|CreditNoteTypeCode'), rootName),
    customerTaxId: buyer.taxId,
    buyerReference: first(root, 'BuyerReference'),
    profile: first(root, 'CustomizationID'),
    vatBreakdown: taxTotal
      ? at(taxTotal, 'TaxSubtotal').map((s) =>
          vatEntryKey({
            category: first(s, 'TaxCategory/ID'),
            rate: first(s, 'TaxCategory/Percent'),
            taxableAmount: textOf(at(s, 'TaxableAmount')[0]),
            taxAmount: textOf(at(s, 'TaxAmount')[0]),
          }),
        )
      : [],
  });
}

/** The gold of a UN/CEFACT Cross Industry Invoice (D16B). */
export function ciiGold(xml: string): FieldGold {
  const doc = parser.parse(xml) as Node;
  const root = doc['CrossIndustryInvoice'];
  if (!root) throw new Error('not a UN/CEFACT CrossIndustryInvoice');
  const tx = 'SupplyChainTradeTransaction';
  const agreement = `${tx}/ApplicableHeaderTradeAgreement`;
  const settlement = `${tx}/ApplicableHeaderTradeSettlement`;
  const sums = `${settlement}/SpecifiedTradeSettlementHeaderMonetarySummation`;
  const currency = first(root, `${settlement}/InvoiceCurrencyCode`);
  const party = (role: 'SellerTradeParty' | 'BuyerTradeParty') => {
    const ids = at(root, `${agreement}/${role}/SpecifiedTaxRegistration/ID`);
    const vat = ids.find((n) => attr(n, 'schemeID') === 'VA');
    const other = ids.find((n) => attr(n, 'schemeID') === 'FC');
    return { name: first(root, `${agreement}/${role}/Name`), taxId: textOf(vat ?? other) };
  };
  const taxTotals = at(root, `${sums}/TaxTotalAmount`);
  const seller = party('SellerTradeParty');
  const buyer = party('BuyerTradeParty');
  return present({
    vendorName: seller.name,
    vendorTaxId: seller.taxId,
    customerName: buyer.name,
    invoiceNumber: first(root, 'ExchangedDocument/ID'),
    issueDate: isoDate(first(root, 'ExchangedDocument/IssueDateTime/DateTimeString')),
    dueDate: isoDate(first(root, `${settlement}/SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString`)),
    currency,
    subtotal: first(root, `${sums}/TaxBasisTotalAmount`),
    taxTotal: textOf(taxTotals.find((n) => attr(n, 'currencyID') === currency) ?? taxTotals[0]),
    total: first(root, `${sums}/GrandTotalAmount`),
    purchaseOrder: first(root, `${agreement}/BuyerOrderReferencedDocument/IssuerAssignedID`),
    paymentTerms: first(root, `${settlement}/SpecifiedTradePaymentTerms/Description`),
    // BT-84 is the first payment account: an IBAN (IBANID) or another account id (ProprietaryID).
    iban: at(root, `${settlement}/SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount`)
      .map((account) => first(account, 'IBANID') ?? first(account, 'ProprietaryID'))
      .find((id) => id !== null) ?? null,
    bic: first(root, `${settlement}/SpecifiedTradeSettlementPaymentMeans/PayeeSpecifiedCreditorFinancialInstitution/BICID`),
    documentType: documentType(first(root, 'ExchangedDocument/TypeCode'), 'CII'),
    customerTaxId: buyer.taxId,
    buyerReference: first(root, `${agreement}/BuyerReference`),
    profile: first(root, 'ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID'),
    vatBreakdown: at(root, `${settlement}/ApplicableTradeTax`).map((t) =>
      vatEntryKey({
        category: first(t, 'CategoryCode'),
        rate: first(t, 'RateApplicablePercent'),
        taxableAmount: first(t, 'BasisAmount'),
        taxAmount: first(t, 'CalculatedAmount'),
      }),
    ),
  });
}

/** One file of a pair, with the gold read from its twin. */
export interface EInvoicePairDocument {
  /** Absolute path of the file under test. */
  file: string;
  /** The twin the gold was read from. */
  goldFrom: string;
  expected: FieldGold;
}

const SUFFIXES = { ubl: '_ubl.xml', cii: '_uncefact.xml' } as const;

/**
 * Every UBL/CII pair in `dir` (by name: `NAME_ubl.xml` beside `NAME_uncefact.xml`),
 * both files of each, each with the gold read from the other. A file without a
 * twin has no independent gold: it is not part of the set (`unpaired` lists it).
 */
export function eInvoicePairs(dir: string): { documents: EInvoicePairDocument[]; unpaired: string[] } {
  const files = new Set(readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.xml')));
  const documents: EInvoicePairDocument[] = [];
  const unpaired: string[] = [];
  for (const name of [...files].sort()) {
    const isUbl = name.endsWith(SUFFIXES.ubl);
    const isCii = name.endsWith(SUFFIXES.cii);
    if (!isUbl && !isCii) {
      unpaired.push(name);
      continue;
    }
    const twin = isUbl ? name.slice(0, -SUFFIXES.ubl.length) + SUFFIXES.cii : name.slice(0, -SUFFIXES.cii.length) + SUFFIXES.ubl;
    if (!files.has(twin)) {
      unpaired.push(name);
      continue;
    }
    const twinXml = readFileSync(path.join(dir, twin), 'utf8');
    let expected: FieldGold;
    try {
      expected = isUbl ? ciiGold(twinXml) : ublGold(twinXml);
    } catch (error) {
      throw new Error(`${twin}: ${error instanceof Error ? error.message : String(error)}`);
    }
    documents.push({ file: path.join(dir, name), goldFrom: twin, expected });
  }
  return { documents, unpaired };
}
