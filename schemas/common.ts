import { z } from 'zod';
import { isIsoCurrency } from './currencies.ts';

/**
 * Building blocks shared by every document kind.
 *
 * Money and quantities are exact decimal strings ("1234.50"), never JS numbers:
 * binary floats cannot hold 0.1 exactly, and a finance record that is off by a
 * cent is wrong. Postgres stores them as `numeric`.
 */

/** A calendar date as ISO `YYYY-MM-DD`, and a real one (no 2024-02-30). */
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected an ISO date YYYY-MM-DD')
  .refine((s) => {
    const [y, m, d] = s.split('-').map(Number) as [number, number, number];
    const date = new Date(Date.UTC(y, m - 1, d));
    return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  }, 'not a real calendar date');

/** An exact decimal amount, e.g. "1234.50" or "-12.3". */
export const Decimal = z
  .string()
  .regex(/^-?\d{1,15}(\.\d{1,6})?$/, 'expected an exact decimal such as "1234.50"');

/**
 * A quantity or unit price, which e-invoices may state with more decimals than
 * money ("0.061232374" per item): up to 12.
 */
export const PreciseDecimal = z
  .string()
  .regex(/^-?\d{1,15}(\.\d{1,12})?$/, 'expected an exact decimal such as "0.0612"');

/** Money is a decimal; the currency lives on the document. */
export const Money = Decimal;

/** ISO 4217 alphabetic code of an active currency. */
export const CurrencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'expected a three-letter ISO 4217 code')
  .refine(isIsoCurrency, 'not an ISO 4217 currency code');

/**
 * Where a value was read: the page (1-based) and the exact text quoted from it.
 * A value read from an e-invoice's XML also carries the element `path` it came
 * from (e.g. "/rsm:CrossIndustryInvoice/.../ram:GrandTotalAmount"); its page is 1.
 */
export const Evidence = z.object({
  page: z.number().int().min(1),
  quote: z.string().min(1).max(2000),
  path: z.string().min(1).max(1000).optional(),
});
export type Evidence = z.infer<typeof Evidence>;

/** How sure the producer of a value is, in [0, 1]. */
export const Confidence = z.number().min(0).max(1);

/**
 * A value as extracted: the value (or null when absent from the document), the
 * evidence it was read from, and a confidence. Every extracted field has this shape.
 */
export function extracted<T extends z.ZodType>(value: T) {
  return z.object({
    value: value.nullable(),
    confidence: Confidence,
    evidence: Evidence.nullable(),
  });
}

export type Extracted<T> = { value: T | null; confidence: number; evidence: Evidence | null };

/** Units for durations (contract terms, notice periods). */
export const DurationUnit = z.enum(['days', 'weeks', 'months', 'years']);
export const Duration = z.object({ count: z.number().int().positive(), unit: DurationUnit });
export type Duration = z.infer<typeof Duration>;

/** An invoice, or a credit note (UNTDID 1001 codes 381, 396, … on e-invoices). */
export const InvoiceDocumentType = z.enum(['invoice', 'credit_note']);
export type InvoiceDocumentType = z.infer<typeof InvoiceDocumentType>;

export const DocumentKind = z.enum(['invoice', 'contract', 'other']);
export type DocumentKind = z.infer<typeof DocumentKind>;

/** The kinds we extract a record for. */
export const ExtractableKind = z.enum(['invoice', 'contract']);
export type ExtractableKind = z.infer<typeof ExtractableKind>;

export const DocumentStatus = z.enum(['received', 'processing', 'extracted', 'needs_review', 'failed', 'cancelled', 'stalled']);
export type DocumentStatus = z.infer<typeof DocumentStatus>;

/** Tier names as users see them in `route`. The offline rules tier reports as "flash". */
export const TierName = z.enum(['flash', 'pro']);
export type TierName = z.infer<typeof TierName>;

/** A step of a document's route: the exact e-invoice tier ("xml", no model) or a model tier. */
export const RouteStep = z.enum(['xml', 'flash', 'pro']);
export type RouteStep = z.infer<typeof RouteStep>;
