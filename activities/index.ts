import { createBatchActivities } from './batch.ts';
import { createDocumentActivities } from './documents.ts';
import { createEInvoiceActivities } from './einvoice.ts';
import { createExtractionActivities } from './extraction.ts';
import { createOutcomeActivities } from './outcome.ts';
import { ApplicationFailure } from '@temporalio/activity';
import { BAD_DOCUMENT, type ActivityDeps } from './support.ts';
import type { DocumentRead } from './types.ts';
import { createWebhookActivities } from './webhooks.ts';

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
  // Reads the XML of an e-invoice, or the one a PDF embeds (pdf.js in a guarded thread).
  const { readEInvoice } = createEInvoiceActivities(deps);
  return {
    parseDocument,
    readEInvoice,
    /**
     * Patch docroute-lean-run: readEInvoice then, unless an XML e-invoice was claimed,
     * parseDocument, as one activity (one round trip through Temporal instead of two;
     * the split bought nothing: same policy, same worker, always one after the other).
     * Both parts are idempotent, so a retry of the whole is safe.
     */
    async readDocument(documentId: string): Promise<DocumentRead> {
      const einvoice = await readEInvoice(documentId);
      if (einvoice.outcome === 'claimed' && einvoice.container === 'xml') return { einvoice, parsed: null, parseError: null };
      try {
        return { einvoice, parsed: await parseDocument(documentId), parseError: null };
      } catch (error) {
        if (error instanceof ApplicationFailure && error.type === BAD_DOCUMENT) return { einvoice, parsed: null, parseError: error.message };
        throw error;
      }
    },
  };
}

export function createModelActivities(deps: ActivityDeps) {
  const { extractWithTier, classifyScan } = createExtractionActivities(deps);
  return { extractWithTier, classifyScan };
}

/** The second, independent reading of required fields: a cheap paid call, tried little (it only moves confidence). */
export function createCheckActivities(deps: ActivityDeps) {
  const { secondReading } = createExtractionActivities(deps);
  return { secondReading };
}

export function createStoreActivities(deps: ActivityDeps) {
  const { describeTiers, classifyText } = createDocumentActivities(deps);
  const { buildCandidate, planEscalation } = createExtractionActivities(deps);
  const { recordRouting, settleDocument, reviewDocument } = createOutcomeActivities(deps);
  const { scoreEInvoice } = createEInvoiceActivities(deps);
  return { describeTiers, classifyText, buildCandidate, planEscalation, recordRouting, settleDocument, reviewDocument, scoreEInvoice };
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

/**
 * Webhook deliveries: announcing a settled document (database work), and one
 * signed POST per attempt (workflows/deliver-webhook.ts retries it for hours).
 */
export { createWebhookActivities, type WebhookActivities } from './webhooks.ts';

/** Every activity, for the worker to register. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createWebhookActivities(deps),
    ...createParseActivities(deps),
    ...createModelActivities(deps),
    ...createCheckActivities(deps),
    ...createStoreActivities(deps),
    ...createLegacyActivities(deps),
    ...createBatchActivities(deps),
  };
}

export type BatchActivityGroup = ReturnType<typeof createBatchActivities>;
export type ParseActivities = ReturnType<typeof createParseActivities>;
export type ModelActivities = ReturnType<typeof createModelActivities>;
export type CheckActivities = ReturnType<typeof createCheckActivities>;
export type StoreActivities = ReturnType<typeof createStoreActivities>;
export type Activities = ReturnType<typeof createActivities>;
