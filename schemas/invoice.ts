import { z } from 'zod';
import { CurrencyCode, Decimal, Evidence, Confidence, extracted, IsoDate, Money } from './common.ts';

/**
 * An invoice as extracted from a document: every field carries its evidence
 * (page + quoted text) and a confidence. Absent fields are `value: null`.
 */
export const InvoiceLineItem = z.object({
  description: z.string().min(1),
  quantity: Decimal.nullable(),
  unitPrice: Money.nullable(),
  amount: Money.nullable(),
  confidence: Confidence,
  evidence: Evidence.nullable(),
});
export type InvoiceLineItem = z.infer<typeof InvoiceLineItem>;

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
});
export type InvoiceExtraction = z.infer<typeof InvoiceExtraction>;

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
