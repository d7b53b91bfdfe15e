import { createDocumentActivities } from './documents.ts';
import { createExtractionActivities } from './extraction.ts';
import { createOutcomeActivities } from './outcome.ts';
import type { ActivityDeps } from './support.ts';

export type * from './types.ts';
export { BAD_DOCUMENT, TIER_REFUSED, TIER_UNAVAILABLE, type ActivityDeps } from './support.ts';

/**
 * The activities of the extraction workflow, grouped by the policy their work
 * needs (workflows/policies.ts). The workflow proxies each group with its own
 * timeout and retry, so an activity called under the wrong policy does not compile.
 *
 * - parse: reads and parses an untrusted PDF (heartbeats; a verdict after calm retries);
 * - model: one paid model call per attempt (timeout of one HTTP call; 429/5xx
 *   retried by Temporal after the server's delay; refusals final);
 * - store: database work (retried for as long as the database is away).
 */
export function createParseActivities(deps: ActivityDeps) {
  const { parseDocument } = createDocumentActivities(deps);
  return { parseDocument };
}

export function createModelActivities(deps: ActivityDeps) {
  const { extractWithTier, classifyScan } = createExtractionActivities(deps);
  return { extractWithTier, classifyScan };
}

export function createStoreActivities(deps: ActivityDeps) {
  const { describeTiers, classifyText } = createDocumentActivities(deps);
  const { buildCandidate, planEscalation } = createExtractionActivities(deps);
  const { recordRouting, settleDocument, reviewDocument } = createOutcomeActivities(deps);
  return { describeTiers, classifyText, buildCandidate, planEscalation, recordRouting, settleDocument, reviewDocument };
}

/**
 * Activities only runs started before the pipeline-v2 patch call (their v1
 * code, workflows/extract-document-v1.ts); kept registered so those runs finish.
 */
export function createLegacyActivities(deps: ActivityDeps) {
  const { classifyDocument } = createDocumentActivities(deps);
  const { applyReview, finishDocument } = createOutcomeActivities(deps);
  return { classifyDocument, applyReview, finishDocument };
}

/** Every activity, for the worker to register. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createParseActivities(deps),
    ...createModelActivities(deps),
    ...createStoreActivities(deps),
    ...createLegacyActivities(deps),
  };
}

export type ParseActivities = ReturnType<typeof createParseActivities>;
export type ModelActivities = ReturnType<typeof createModelActivities>;
export type StoreActivities = ReturnType<typeof createStoreActivities>;
export type Activities = ReturnType<typeof createActivities>;
