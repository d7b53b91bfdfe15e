import { z } from 'zod';
import { Confidence, Decimal, Evidence, Money } from './common.ts';
import { absentFields, extractedShape, fieldNames, insertAfter, requiredFieldNames } from './fields.ts';
import { INVOICE_FIELDS, INVOICE_LINES } from './invoice-fields.ts';

/**
 * An invoice as extracted from a document: every field carries its evidence
 * (page + quoted text) and a confidence. Absent fields are `value: null`.
 * The fields are declared in schemas/invoice-fields.ts.
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

export const InvoiceExtraction = z.object(
  insertAfter(extractedShape(INVOICE_FIELDS), INVOICE_LINES.after, { [INVOICE_LINES.name]: z.array(InvoiceLineItem) } as { lineItems: z.ZodArray<typeof InvoiceLineItem> }),
);
export type InvoiceExtraction = z.infer<typeof InvoiceExtraction>;

/** The scalar (non-list) fields of an invoice, in a stable order (the registry's). */
export const INVOICE_SCALAR_FIELDS = fieldNames(INVOICE_FIELDS);
export type InvoiceScalarField = keyof typeof INVOICE_FIELDS;

/** Fields without which an invoice record is not usable; they drive document confidence. */
export const INVOICE_REQUIRED_FIELDS = requiredFieldNames(INVOICE_FIELDS, INVOICE_LINES) as InvoiceScalarField[];

/** An empty extraction: every field absent with zero confidence. */
export function emptyInvoiceExtraction(): InvoiceExtraction {
  return insertAfter(absentFields(INVOICE_FIELDS), INVOICE_LINES.after, { lineItems: [] as InvoiceLineItem[] });
}
