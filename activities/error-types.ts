/**
 * The error types activities throw and retry policies name. Constants only, so
 * the workflow bundle can import them without activity code.
 */
/** Bad input: a verdict about the document (not a PDF, encrypted, over the limits, unparseable). */
export const BAD_DOCUMENT = 'BadDocument';
/** A model refused the request for good (bad key, no access, unknown model, refused answer): never retried. */
export const TIER_REFUSED = 'TierRefused';
/** A tier the workflow asked for is not configured on this worker. */
export const TIER_UNAVAILABLE = 'TierUnavailable';
/** The tier's client already retried on its own; Temporal does not multiply its attempts. */
export const TIER_EXHAUSTED = 'TierExhausted';
/** A review decision the activity cannot apply (no candidate, wrong kind, unknown submission). */
export const BAD_REVIEW = 'BadReview';
