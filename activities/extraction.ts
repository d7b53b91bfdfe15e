import { ApplicationFailure, Context } from '@temporalio/activity';
import { getBlob, getDocument } from '../src/db/documents.ts';
import { assembleCandidate } from '../src/extraction/candidate.ts';
import { callTier } from '../src/extraction/call-tier.ts';
import type { PageImage } from '../src/extraction/model-tier.ts';
import { costOf } from '../src/costs/prices.ts';
import {
  escalationFields,
  expectedEscalationUsage,
  planEscalationPages,
  toRanges,
  type EscalationField,
} from '../src/extraction/escalation.ts';
import { renderPages } from '../src/pdf/render-pages.ts';
import type {
  EscalationInput,
  EscalationPlan,
  CandidateInput,
  CandidateSummary,
  ExtractInput,
  ExtractOutcome,
} from './types.ts';
import { activityContext, withHeartbeat, workflowRun, type ActivityDeps } from './support.ts';

/** Model calls and their scoring: one tier over a page range, candidates, escalation plans. */
export function createExtractionActivities(deps: ActivityDeps) {
  const { db, today, scrub, tierFor, loadPages } = activityContext(deps);
  return {
    /**
     * Runs one tier over a page range and records the attempt (model, tokens,
     * cost, latency, outcome, result). Output that cannot be made valid is an
     * `invalid` outcome, not an exception; transient errors are recorded and
     * rethrown so Temporal retries them.
     */
    async extractWithTier(input: ExtractInput): Promise<ExtractOutcome> {
      const info = Context.current().info;
      const run = workflowRun();
      const key = { workflow_id: run.workflowId, run_id: run.runId, activity_id: info.activityId };
      // A previous attempt of this very activity may have succeeded before a crash lost its completion.
      const done = await db
        .selectFrom('extraction_attempts')
        .select(['id', 'outcome', 'error'])
        .where('workflow_id', '=', key.workflow_id)
        .where('run_id', '=', key.run_id)
        .where('activity_id', '=', key.activity_id)
        .where('outcome', 'in', ['ok', 'invalid'])
        .executeTakeFirst();
      if (done) return { attemptId: done.id, outcome: done.outcome as 'ok' | 'invalid', error: done.error };

      const tier = tierFor(input.tier);
      const pages = await loadPages(input.documentId, { from: input.pageFrom, to: input.pageTo });
      const document = await getDocument(db, input.documentId);
      const pageCount = document?.page_count ?? pages.length;
      // Scanned pages go to a tier that reads images as rendered pictures.
      const scanned = pages.filter((p) => p.imageOnly).map((p) => p.pageNumber);
      let images: PageImage[] = [];
      if (tier.readsImages && scanned.length > 0 && document) {
        const bytes = await withHeartbeat(() => getBlob(db, document.sha256));
        if (bytes) images = await withHeartbeat(() => renderPages(new Uint8Array(bytes), scanned, { maxSide: 1024 }));
      }
      const call = await withHeartbeat(() =>
        callTier(tier, {
          kind: input.kind,
          pages,
          pageCount,
          images,
          ...(input.focusFields?.length ? { focusFields: input.focusFields } : {}),
          signal: Context.current().cancellationSignal,
        }),
      );
      const error = call.error === null ? null : scrub(call.error);
      const row = await db
        .insertInto('extraction_attempts')
        .values({
          document_id: input.documentId,
          ...key,
          activity_attempt: info.attempt,
          tier: input.tier,
          model: tier.model,
          chunk_index: input.chunkIndex,
          page_from: input.pageFrom,
          page_to: input.pageTo,
          prompt_version: call.promptVersion,
          prompt_hash: call.promptHash,
          input_tokens: call.usage?.inputTokens ?? 0,
          output_tokens: call.usage?.outputTokens ?? 0,
          cached_tokens: call.usage?.cachedTokens ?? 0,
          tokens_estimated: call.usage?.estimated ?? true,
          cost_usd: call.costUsd,
          latency_ms: call.latencyMs,
          outcome: call.outcome,
          error,
          result: call.fields === null ? null : JSON.stringify(call.fields),
        })
        .onConflict((oc) => oc.columns(['workflow_id', 'run_id', 'activity_id', 'activity_attempt']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (call.outcome !== 'failed') {
        if (!row) throw ApplicationFailure.retryable('this attempt was already recorded by a concurrent delivery', 'TierError');
        return { attemptId: row.id, outcome: call.outcome, error };
      }
      const message = error ?? 'tier call failed';
      const thrown = call.thrown as { retryable?: boolean; attempts?: unknown };
      // Refused for good (bad key, no access, unknown model): retrying cannot help.
      if (thrown.retryable === false) throw ApplicationFailure.nonRetryable(message, 'TierRefused');
      // The tier's client already retried with backoff (honouring the server's hints); Temporal
      // retrying on top would multiply those attempts. Worker crashes and timeouts are still retried.
      if (typeof thrown.attempts === 'number') throw ApplicationFailure.nonRetryable(message, 'TierExhausted');
      throw ApplicationFailure.retryable(message, 'TierError');
    },

    /**
     * Merges the attempts' results, checks them against the document's text
     * (grounding), validates them (arithmetic, dates, IBAN, duplicates), and
     * stores the scored candidate. Idempotent per workflow run and stage.
     */
    async buildCandidate(input: CandidateInput): Promise<CandidateSummary> {
      const run = workflowRun();
      return assembleCandidate(db, {
        ...input,
        workflowId: run.workflowId,
        runId: run.runId,
        activityId: Context.current().info.activityId,
        today: today(),
        pages: await loadPages(input.documentId),
      });
    },

    /**
     * What to send to the deep tier: only what failed. The fast tier's failed
     * chunks, and for each field that is missing, not found on its page, or part
     * of a failed check, the page its evidence cites (the first and last pages,
     * where headers and totals usually are, for a field with no evidence). With
     * no candidate, the whole document. Also prices the call, so the workflow
     * can hold it against the document's budget.
     */
    async planEscalation(input: EscalationInput): Promise<EscalationPlan> {
      const deep = tierFor('pro');
      const pages = await db
        .selectFrom('pages')
        .select(['page_number', 'token_estimate', 'image_only'])
        .where('document_id', '=', input.documentId)
        .orderBy('page_number')
        .execute();
      let problems: EscalationField[] = [];
      if (input.candidateId !== null) {
        const candidate = await db
          .selectFrom('candidates')
          .select(['fields', 'checks', 'kind'])
          .where('id', '=', input.candidateId)
          .executeTakeFirstOrThrow();
        problems = escalationFields(candidate.kind, candidate.fields, candidate.checks, input.minConfidence);
      }
      const pageNumbers = pages.map((p) => p.page_number);
      const { ranges, focusFields } =
        input.candidateId === null
          ? { ranges: toRanges(pageNumbers), focusFields: [] }
          : planEscalationPages(problems, input.failedRanges, pageNumbers);
      const estimated = costOf(
        deps.config.prices,
        deep.model,
        expectedEscalationUsage(
          ranges,
          pages.map((p) => ({ pageNumber: p.page_number, tokens: p.token_estimate, imageOnly: p.image_only })),
        ),
      );
      const spent = await db
        .selectFrom('extraction_attempts')
        .select((eb) => eb.fn.sum<string | null>('cost_usd').as('total'))
        .where('document_id', '=', input.documentId)
        .executeTakeFirst();
      return { ranges, focusFields, estimatedCostUsd: Number(estimated), spentUsd: Number(spent?.total ?? 0) };
    },
  };
}
