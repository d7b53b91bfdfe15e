/**
 * Patch ids of the extraction workflow (`patched(id)`), as constants: never
 * reuse one. See test/histories/README.md for the life of a patch.
 */
export const PATCHES = {
  /**
   * v2: one pipeline (src/routing/pipeline.ts) over activities grouped by policy,
   * review by Update, cancellation and stalls recorded, search attributes.
   * Runs without the marker (started before) take the v1 code.
   */
  pipelineV2: 'docroute-pipeline-v2',
  /**
   * Batch mode: a document from a batch source (DOCROUTE_BATCH) sends its fast-tier
   * chunks through the Gemini Batch API and waits on durable timers
   * (workflows/gemini-batch.ts). Runs without the marker never ask for a batch plan.
   */
  geminiBatch: 'docroute-gemini-batch-v1',
  /** Settled documents are announced to webhook subscribers (a child workflow per delivery). */
  webhooks: 'docroute-webhooks',
  /**
   * The exact e-invoice tier: an XML e-invoice, or a PDF that embeds one, is read
   * from its XML (route ["xml"]) before parsing and classification. Runs without
   * the marker go straight to the text path.
   */
  einvoiceExactTier: 'docroute-einvoice-exact-tier',
  /**
   * A second, independent reading of the required fields by the cheap check
   * model (DOCROUTE_CHECK_MODEL) after the fast tier, whose agreement moves the
   * earned confidence (src/extraction/second-reading.ts). Runs without the
   * marker never schedule it.
   */
  secondReading: 'docroute-second-reading-v1',
  /**
   * Little Temporal cost per document (one patch: each patched() call costs the run a
   * marker and a search-attribute upsert). Runs without the marker keep the code before it.
   * - Short database work (describeTiers, recordRouting, classifyText, buildCandidate,
   *   planEscalation, scoreEInvoice, settleDocument, announceDocument, batchPlan) runs as
   *   local activities (workflows/policies.ts, localDatabaseActivitiesFor): no round
   *   trip through Temporal each.
   * - The e-invoice read and the parse are one activity (readDocument).
   * - The `settled` Update (workflows/signals.ts): a caller awaits the document's
   *   settling (review included) instead of polling Postgres.
   */
  leanRun: 'docroute-lean-run',
  /**
   * A cut-off answer (MAX_TOKENS, or line items short of the pages' table) for a
   * range of several pages is split as workflow steps: extractWithTier is asked
   * with splitCutOff 'return', records the cut-off attempt (invalid, code cut_off,
   * with its cost) and returns outcome 'cut_off'; the pipeline asks for each half
   * in an activity of its own, recursively (each fits the model attempt's
   * start-to-close, where the in-call split of 2n−1 calls did not). Runs without
   * the marker keep the split inside one activity.
   */
  splitInWorkflow: 'docroute-split-in-workflow',
} as const;
