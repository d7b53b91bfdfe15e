import { z } from 'zod';
import { Confidence, Decimal, Evidence, Money, PreciseDecimal } from './common.ts';
import { absentFields, askedFields, extractedShape, fieldNames, insertAfter, requiredFieldNames, type FieldSpec } from './fields.ts';
import { INVOICE_FIELDS, INVOICE_LINES, INVOICE_VAT_BREAKDOWN } from './invoice-fields.ts';

/**
 * An invoice as extracted from a document: every field carries its evidence
 * (page + quoted text) and a confidence. Absent fields are `value: null`.
 * The fields are declared in schemas/invoice-fields.ts.
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

/**
 * The registry's fields (schemas/invoice-fields.ts), line items after the
 * totals and the VAT breakdown at the end. Exact-only fields (and the VAT
 * breakdown) are optional: only the e-invoice reader fills them.
 */
export const InvoiceExtraction = z.object(
  insertAfter(
    insertAfter(extractedShape(INVOICE_FIELDS), INVOICE_LINES.after, { [INVOICE_LINES.name]: z.array(InvoiceLineItem) } as { lineItems: z.ZodArray<typeof InvoiceLineItem> }),
    INVOICE_VAT_BREAKDOWN.after,
    { [INVOICE_VAT_BREAKDOWN.name]: z.array(VatBreakdownLine).optional() } as { vatBreakdown: z.ZodOptional<z.ZodArray<typeof VatBreakdownLine>> },
  ),
);
export type InvoiceExtraction = z.infer<typeof InvoiceExtraction>;

/** The scalar (non-list) fields of an invoice, in a stable order (the registry's). */
export const INVOICE_SCALAR_FIELDS = fieldNames(INVOICE_FIELDS);
export type InvoiceScalarField = keyof typeof INVOICE_FIELDS;

/** The scalar fields asked of the models (every field but the exact-only ones), in the registry's order. */
export const INVOICE_MODEL_FIELDS = fieldNames(askedFields(INVOICE_FIELDS));
export type InvoiceModelField = (typeof INVOICE_MODEL_FIELDS)[number];

/** The scalar fields only the exact e-invoice tier reads, and the VAT breakdown. */
export const INVOICE_EXACT_ONLY_FIELDS = [...INVOICE_SCALAR_FIELDS.filter((name) => (INVOICE_FIELDS[name] as FieldSpec).exactOnly === true), INVOICE_VAT_BREAKDOWN.name];

/** Fields without which an invoice record is not usable; they drive document confidence (never exact-only: every tier must read them). */
export const INVOICE_REQUIRED_FIELDS = requiredFieldNames(askedFields(INVOICE_FIELDS), INVOICE_LINES) as InvoiceModelField[];

/** An empty extraction: every field asked of the models absent with zero confidence (exact-only fields not read). */
export function emptyInvoiceExtraction(): InvoiceExtraction {
  return insertAfter(absentFields(askedFields(INVOICE_FIELDS)), INVOICE_LINES.after, { lineItems: [] as InvoiceLineItem[] });
}
