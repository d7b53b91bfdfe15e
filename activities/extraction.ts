import { ApplicationFailure, Context } from '@temporalio/activity';
import { getBlob, getDocument } from '../src/db/documents.ts';
import { assembleCandidate } from '../src/extraction/candidate.ts';
import { TierRejectedError, type PageImage, type Usage } from '../src/extraction/model-tier.ts';
import { ContractExtraction, InvoiceExtraction } from '../schemas/index.ts';
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
        const bytes = await getBlob(db, document.sha256);
        if (bytes) images = await withHeartbeat(() => renderPages(new Uint8Array(bytes), scanned, { maxSide: 1024 }));
      }
      const started = performance.now();
      const base = {
        document_id: input.documentId,
        ...key,
        activity_attempt: info.attempt,
        tier: input.tier,
        model: tier.model,
        chunk_index: input.chunkIndex,
        page_from: input.pageFrom,
        page_to: input.pageTo,
      };
      try {
        const result = await withHeartbeat(() =>
          tier.extract({
            kind: input.kind,
            pages,
            pageCount,
            images,
            ...(input.focusFields?.length ? { focusFields: input.focusFields } : {}),
            signal: Context.current().cancellationSignal,
          }),
        );
        // Never trust a tier's output shape: validate with the same schema the record uses.
        const schema = input.kind === 'invoice' ? InvoiceExtraction : ContractExtraction;
        const checked = schema.safeParse(result.fields);
        const outcome = checked.success ? 'ok' : 'invalid';
        const error = checked.success
          ? null
          : `output failed schema validation: ${checked.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
        const row = await db
          .insertInto('extraction_attempts')
          .values({
            ...base,
            prompt_version: result.promptVersion,
            prompt_hash: result.promptHash,
            input_tokens: result.usage.inputTokens,
            output_tokens: result.usage.outputTokens,
            cached_tokens: result.usage.cachedTokens,
            tokens_estimated: result.usage.estimated,
            cost_usd: result.costUsd,
            latency_ms: Math.round(performance.now() - started),
            outcome,
            error,
            result: checked.success ? JSON.stringify(checked.data) : null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return { attemptId: row.id, outcome, error };
      } catch (error) {
        const message = scrub(error instanceof Error ? error.message : String(error));
        const rejected = error instanceof TierRejectedError;
        // A rejected answer was still paid for: record what it cost.
        const spent = error as { usage?: Usage; costUsd?: string };
        const row = await db
          .insertInto('extraction_attempts')
          .values({
            ...base,
            prompt_version: null,
            prompt_hash: null,
            input_tokens: spent.usage?.inputTokens ?? 0,
            output_tokens: spent.usage?.outputTokens ?? 0,
            cached_tokens: spent.usage?.cachedTokens ?? 0,
            tokens_estimated: spent.usage?.estimated ?? true,
            cost_usd: spent.costUsd ?? '0',
            latency_ms: Math.round(performance.now() - started),
            outcome: rejected ? 'invalid' : 'failed',
            error: message,
            result: null,
          })
          .onConflict((oc) => oc.columns(['workflow_id', 'run_id', 'activity_id', 'activity_attempt']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (rejected && row) return { attemptId: row.id, outcome: 'invalid', error: message };
        // Refused for good (bad key, no access, unknown model): retrying cannot help.
        if ((error as { retryable?: boolean }).retryable === false) throw ApplicationFailure.nonRetryable(message, 'TierRefused');
        // The tier's client already retried with backoff (honouring the server's hints); Temporal
        // retrying on top would multiply those attempts. Worker crashes and timeouts are still retried.
        if (typeof (error as { attempts?: unknown }).attempts === 'number') {
          throw ApplicationFailure.nonRetryable(message, 'TierExhausted');
        }
        throw ApplicationFailure.retryable(message, 'TierError');
      }
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
