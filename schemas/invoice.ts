import { z } from 'zod';
import { Confidence, Decimal, Evidence, extracted, Money, PreciseDecimal } from './common.ts';
import { absentFields, extractedShape, fieldNames, insertAfter, requiredFieldNames } from './fields.ts';
import { INVOICE_FIELDS, INVOICE_LINES } from './invoice-fields.ts';

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

export const InvoiceDocumentType = z.enum(['invoice', 'credit_note']);
export type InvoiceDocumentType = z.infer<typeof InvoiceDocumentType>;

/**
 * The registry's fields, plus what only the e-invoice reader fills (optional: the
 * text and model tiers never ask for them, so they are not registry fields).
 */
export const InvoiceExtraction = z
  .object(
    insertAfter(extractedShape(INVOICE_FIELDS), INVOICE_LINES.after, { [INVOICE_LINES.name]: z.array(InvoiceLineItem) } as { lineItems: z.ZodArray<typeof InvoiceLineItem> }),
  )
  .extend({
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

/** The scalar (non-list) fields of an invoice, in a stable order (the registry's). */
export const INVOICE_SCALAR_FIELDS = fieldNames(INVOICE_FIELDS);
export type InvoiceScalarField = keyof typeof INVOICE_FIELDS;

/** Fields without which an invoice record is not usable; they drive document confidence. */
export const INVOICE_REQUIRED_FIELDS = requiredFieldNames(INVOICE_FIELDS, INVOICE_LINES) as InvoiceScalarField[];

/** An empty extraction: every field absent with zero confidence. */
export function emptyInvoiceExtraction(): InvoiceExtraction {
  return insertAfter(absentFields(INVOICE_FIELDS), INVOICE_LINES.after, { lineItems: [] as InvoiceLineItem[] });
}
