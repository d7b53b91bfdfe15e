import { z } from 'zod';
import { CurrencyCode, Decimal, Evidence, Confidence, extracted, IsoDate, Money, PreciseDecimal } from './common.ts';

/**
 * An invoice as extracted from a document: every field carries its evidence
 * (page + quoted text) and a confidence. Absent fields are `value: null`.
 */
export const InvoiceLineItem = z.object({
  description: z.string().min(1),
  quantity: PreciseDecimal.nullable(),
  unitPrice: PreciseDecimal.nullable(),
  amount: Money.nullable(),
  /** VAT rate in percent (e-invoices state it per line). */
  vatRate: Decimal.nullable().optional(),
  confidence: Confidence,
  evidence: Evidence.nullable(),
});
export type InvoiceLineItem = z.infer<typeof InvoiceLineItem>;

/** One VAT rate of the invoice: category (UNCL 5305: S, Z, E, AE, K, G, O, L, M), rate, taxable base, tax. */
export const VatBreakdownLine = z.object({
  category: z.string().min(1).nullable(),
  rate: Decimal.nullable(),
  taxableAmount: Money.nullable(),
  taxAmount: Money.nullable(),
  confidence: Confidence,
  evidence: Evidence.nullable(),
});
export type VatBreakdownLine = z.infer<typeof VatBreakdownLine>;

export const InvoiceDocumentType = z.enum(['invoice', 'credit_note']);
export type InvoiceDocumentType = z.infer<typeof InvoiceDocumentType>;

export const InvoiceExtraction = z.object({
  vendorName: extracted(z.string().min(1)),
  vendorAddress: extracted(z.string().min(1)),
  vendorTaxId: extracted(z.string().min(1)),
  customerName: extracted(z.string().min(1)),
  invoiceNumber: extracted(z.string().min(1)),
  issueDate: extracted(IsoDate),
  dueDate: extracted(IsoDate),
  currency: extracted(CurrencyCode),
  subtotal: extracted(Money),
  taxTotal: extracted(Money),
  total: extracted(Money),
  lineItems: z.array(InvoiceLineItem),
  purchaseOrder: extracted(z.string().min(1)),
  paymentTerms: extracted(z.string().min(1)),
  iban: extracted(z.string().min(1)),
  bic: extracted(z.string().min(1)),
  // Read from e-invoices (the text and model tiers leave them out):
  /** Invoice or credit note (a credit note's amounts are what is credited). */
  documentType: extracted(InvoiceDocumentType).optional(),
  customerAddress: extracted(z.string().min(1)).optional(),
  customerTaxId: extracted(z.string().min(1)).optional(),
  /** The buyer's reference (Leitweg-ID in XRechnung), BT-10. */
  buyerReference: extracted(z.string().min(1)).optional(),
  /** The VAT breakdown, one entry per category and rate. */
  vatBreakdown: z.array(VatBreakdownLine).optional(),
});
export type InvoiceExtraction = z.infer<typeof InvoiceExtraction>;

/** The optional fields only the e-invoice reader fills (the text and model tiers never ask for them). */
export const EINVOICE_ONLY_FIELDS = ['documentType', 'customerAddress', 'customerTaxId', 'buyerReference', 'vatBreakdown'] as const;
export type EInvoiceOnlyField = (typeof EINVOICE_ONLY_FIELDS)[number];

/** The scalar (non-list) fields of an invoice, in a stable order. */
export const INVOICE_SCALAR_FIELDS = [
  'vendorName',
  'vendorAddress',
  'vendorTaxId',
  'customerName',
  'invoiceNumber',
  'issueDate',
  'dueDate',
  'currency',
  'subtotal',
  'taxTotal',
  'total',
  'purchaseOrder',
  'paymentTerms',
  'iban',
  'bic',
] as const satisfies readonly (keyof InvoiceExtraction)[];
export type InvoiceScalarField = (typeof INVOICE_SCALAR_FIELDS)[number];

/** Fields without which an invoice record is not usable; they drive document confidence. */
export const INVOICE_REQUIRED_FIELDS = [
  'vendorName',
  'invoiceNumber',
  'issueDate',
  'currency',
  'total',
] as const satisfies readonly InvoiceScalarField[];

/** An empty extraction: every field absent with zero confidence. */
export function emptyInvoiceExtraction(): InvoiceExtraction {
  const none = { value: null, confidence: 0, evidence: null };
  return {
    vendorName: { ...none },
    vendorAddress: { ...none },
    vendorTaxId: { ...none },
    customerName: { ...none },
    invoiceNumber: { ...none },
    issueDate: { ...none },
    dueDate: { ...none },
    currency: { ...none },
    subtotal: { ...none },
    taxTotal: { ...none },
    total: { ...none },
    lineItems: [],
    purchaseOrder: { ...none },
    paymentTerms: { ...none },
    iban: { ...none },
    bic: { ...none },
  };
}
