import type { Evidence, InvoiceExtraction, InvoiceLineItem, VatBreakdownLine } from '../../schemas/index.ts';
import { InvoiceExtraction as InvoiceExtractionSchema } from '../../schemas/index.ts';
import type { EInvoice, EInvoiceSyntax, XmlValue } from './model.ts';
import { readCii } from './read-cii.ts';
import { readUbl } from './read-ubl.ts';
import { namespaceOf, parseXml, XmlRefusedError, type XmlElement } from './xml.ts';

export { XmlRefusedError } from './xml.ts';

/** The root element namespaces of the invoice syntaxes EN 16931 allows (and ZUGFeRD 1.0). */
export const INVOICE_NAMESPACES = {
  'urn:oasis:names:specification:ubl:schema:xsd:Invoice-2': { syntax: 'ubl', root: 'Invoice' },
  'urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2': { syntax: 'ubl', root: 'CreditNote' },
  'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100': { syntax: 'cii', root: 'CrossIndustryInvoice' },
  'urn:ferd:CrossIndustryDocument:invoice:1p0': { syntax: 'zugferd1', root: 'CrossIndustryDocument' },
} as const satisfies Record<string, { syntax: EInvoiceSyntax; root: string }>;

/** Human names of the syntaxes, for messages and the audit trail. */
export const SYNTAX_LABELS: Record<EInvoiceSyntax, string> = {
  ubl: 'UBL 2.1',
  cii: 'UN/CEFACT CII D16B',
  zugferd1: 'ZUGFeRD 1.0 CII',
};

/** Refused: XML that is not an invoice we read (with the reason), or unsafe/malformed XML (XmlRefusedError). */
export class NotAnInvoiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotAnInvoiceError';
  }
}

/** Which invoice syntax a parsed root is, or a reason why it is none. */
export function invoiceSyntaxOf(root: XmlElement): { syntax: EInvoiceSyntax } | { refused: string } {
  const namespace = namespaceOf(root, root.prefix);
  const known = namespace ? INVOICE_NAMESPACES[namespace as keyof typeof INVOICE_NAMESPACES] : undefined;
  if (known && known.root === root.local) return { syntax: known.syntax };
  return {
    refused: `XML root <${root.name}>${namespace ? ` in namespace ${namespace}` : ' without a namespace'} is not an e-invoice (expected UBL Invoice/CreditNote or UN/CEFACT CrossIndustryInvoice)`,
  };
}

/**
 * Reads e-invoice XML bytes. Throws XmlRefusedError (unsafe or malformed XML)
 * or NotAnInvoiceError (well-formed XML of another kind).
 */
export function readEInvoiceXml(bytes: Uint8Array): EInvoice {
  const root = parseXml(bytes);
  const kind = invoiceSyntaxOf(root);
  if ('refused' in kind) throw new NotAnInvoiceError(kind.refused);
  return kind.syntax === 'ubl' ? readUbl(root) : readCii(root, kind.syntax);
}

/**
 * Whether bytes are e-invoice XML, without reading the invoice: `{ ok: true }`,
 * or the reason they are refused. For sniffing uploads.
 */
export function sniffInvoiceXml(bytes: Uint8Array): { ok: true; syntax: EInvoiceSyntax } | { ok: false; reason: string } {
  try {
    const kind = invoiceSyntaxOf(parseXml(bytes));
    return 'refused' in kind ? { ok: false, reason: kind.refused } : { ok: true, syntax: kind.syntax };
  } catch (error) {
    if (error instanceof XmlRefusedError) return { ok: false, reason: error.message };
    throw error;
  }
}

const evidence = (v: XmlValue): Evidence => ({ page: 1, quote: v.value.slice(0, 2000), path: v.path });
const field = <T extends string>(v: XmlValue | null, value: T | null = (v?.value as T | undefined) ?? null) =>
  v && value !== null ? { value, confidence: 1, evidence: evidence(v) } : { value: null, confidence: 0, evidence: null };

/**
 * The e-invoice as our invoice record: every value at confidence 1 with its
 * XML path as evidence. Credit notes are marked by `documentType`. Validated
 * with the invoice schema (a value the schema refuses, e.g. an amount with
 * more than six decimals, throws).
 */
export function toInvoiceExtraction(e: EInvoice): InvoiceExtraction {
  const lineItems: InvoiceLineItem[] = e.lines.map((line) => ({
    description: line.name?.value ?? `line ${line.id?.value ?? '?'} (no item name in the XML)`,
    quantity: line.quantity?.value ?? null,
    unitPrice: line.unitPrice?.value ?? null,
    amount: line.net?.value ?? null,
    vatRate: line.vatRate?.value ?? null,
    confidence: 1,
    evidence: { page: 1, quote: (line.name ?? line.net ?? line.id)?.value.slice(0, 2000) ?? 'line', path: line.path },
  }));
  const vatBreakdown: VatBreakdownLine[] = e.vat.map((v) => ({
    category: v.category?.value ?? null,
    rate: v.rate?.value ?? null,
    taxableAmount: v.taxable?.value ?? null,
    taxAmount: v.tax?.value ?? null,
    confidence: 1,
    evidence: { page: 1, quote: (v.tax ?? v.taxable ?? v.category)?.value ?? 'VAT', path: v.path },
  }));
  const record: InvoiceExtraction = {
    vendorName: field(e.seller.name),
    vendorAddress: field(e.seller.address),
    vendorTaxId: field(e.seller.vatId ?? e.seller.taxId),
    customerName: field(e.buyer.name),
    invoiceNumber: field(e.number),
    issueDate: field(e.issueDate),
    dueDate: field(e.dueDate),
    currency: field(e.currency),
    subtotal: field(e.totals.taxExclusive),
    taxTotal: field(e.totals.tax),
    total: field(e.totals.taxInclusive),
    lineItems,
    purchaseOrder: field(e.purchaseOrder),
    paymentTerms: field(e.paymentTerms),
    iban: field(e.iban),
    bic: field(e.bic),
    documentType: e.typeCode
      ? { value: e.documentType, confidence: 1, evidence: evidence(e.typeCode) }
      : { value: e.documentType, confidence: 1, evidence: null },
    customerAddress: field(e.buyer.address),
    customerTaxId: field(e.buyer.vatId ?? e.buyer.taxId),
    buyerReference: field(e.buyerReference),
    profile: field(e.profile),
    vatBreakdown,
  };
  return InvoiceExtractionSchema.parse(record);
}
