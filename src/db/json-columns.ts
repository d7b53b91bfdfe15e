import { z } from 'zod';

/**
 * What the jsonb columns hold, as zod schemas: the column types in schema.ts are
 * inferred from them, and the repositories parse with them where a row enters
 * the app (a jsonb value is whatever was written, so it is checked, not cast).
 */

/** One validation check as stored with a candidate (src/validation/checks.ts CheckResult). */
export const StoredCheck = z.object({
  name: z.string(),
  passed: z.boolean(),
  message: z.string(),
  fields: z.array(z.string()),
  /** The review reason in words, where the check words one (kept through a retried activity). */
  reason: z.string().optional(),
});

/** candidates.checks: the candidate's checks, its ungrounded values and the required fields it lacks. */
export const CandidateChecks = z.object({
  checks: z.array(StoredCheck),
  ungrounded: z.array(z.string()),
  missingRequired: z.array(z.string()),
  /** The reported values' confidences by path (routing's value floor); absent on rows stored before it. */
  valueConfidences: z.record(z.string(), z.number()).optional(),
});
export type CandidateChecks = z.infer<typeof CandidateChecks>;

/**
 * candidates.fields: an InvoiceExtraction or ContractExtraction (by the row's kind),
 * parsed with the kind's schema by the reader that needs its fields.
 */
export const CandidateFields = z.record(z.string(), z.unknown());
export type CandidateFields = z.infer<typeof CandidateFields>;

/** extraction_attempts.result: a tier's extraction fields, or a classification ({ classification }). */
export const AttemptResult = z.record(z.string(), z.unknown());
export type AttemptResult = z.infer<typeof AttemptResult>;

/** routing_decisions.inputs: what a routing decision was made from (scores, thresholds, tiers). */
export const RoutingInputs = z.record(z.string(), z.unknown());
export type RoutingInputs = z.infer<typeof RoutingInputs>;

/** review_actions.changes: what a reviewer changed, field by field. */
export const ReviewChanges = z.array(z.object({ field: z.string(), before: z.unknown(), after: z.unknown() }));
export type ReviewChanges = z.infer<typeof ReviewChanges>;
