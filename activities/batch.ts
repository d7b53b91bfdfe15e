import { ApplicationFailure, Context } from '@temporalio/activity';
import type { GenerateContentResponse } from '@google/genai';
import type { ExtractableKind, TierName } from '../schemas/index.ts';
import { findBatchByKey, finishBatch, getBatch, insertBatch, setBatchName } from '../src/db/batches.ts';
import { firstUploadSource, getDocument } from '../src/db/documents.ts';
import { findActivityAttempt, insertFinishedAttempt } from '../src/db/paid-calls.ts';
import { isBatchCapable } from '../src/extraction/gemini/gemini-tier.ts';
import type { ExtractionRequest } from '../src/extraction/model-tier.ts';
import { pageMedia } from '../src/extraction/page-media.ts';
import type { ExtractOutcome } from './types.ts';
import { GeminiApiError } from '../src/extraction/gemini/gemini-client.ts';
import { activityContext, withHeartbeat, workflowRun, type ActivityDeps } from './support.ts';

/**
 * Batch mode: a document's model calls of one tier go to the Gemini Batch API
 * (half price, answers within 24 h) as one batch of inlined requests, one per
 * page range. The workflow waits with durable timers between polls (no worker
 * is busy meanwhile) and falls back to online calls after its deadline.
 */
export interface BatchRange {
  pageFrom: number;
  pageTo: number;
  chunkIndex: number | null;
}

export interface BatchPlan {
  /** Whether this document's calls go through the Batch API. */
  batch: boolean;
  deadlineMs: number;
  pollMs: number;
}

export interface SubmitBatchInput {
  documentId: string;
  kind: ExtractableKind;
  tier: TierName;
  ranges: BatchRange[];
  focusFields?: string[];
  /** Per workflow run: the n-th batch of this run (the batch's idempotency key with the run). */
  sequence: number;
}

export type BatchPoll =
  | { state: 'pending' }
  | { state: 'done'; outcomes: (ExtractOutcome | null)[] }
  | { state: 'failed'; error: string };

const TERMINAL_FAILURES = new Set(['JOB_STATE_FAILED', 'JOB_STATE_CANCELLED', 'JOB_STATE_EXPIRED']);

export function createBatchActivities(deps: ActivityDeps) {
  const { db, scrub, tierFor, loadPages, loadOriginal } = activityContext(deps);

  const requestFor = async (documentId: string, kind: ExtractableKind, tierName: TierName, range: BatchRange, focusFields: string[]) => {
    const tier = tierFor(tierName);
    const pages = await loadPages(documentId, { from: range.pageFrom, to: range.pageTo });
    const document = await getDocument(db, documentId);
    const media = await pageMedia(tier, tierName, pages, () => loadOriginal(document));
    const request: ExtractionRequest = {
      kind,
      pages,
      pageCount: document?.page_count ?? pages.length,
      ...media,
      ...(focusFields.length > 0 ? { focusFields } : {}),
    };
    return request;
  };

  return {
    /** Whether a document goes through the Batch API: by its source (DOCROUTE_BATCH) and a tier that can. */
    async batchPlan(input: { documentId: string }): Promise<BatchPlan> {
      const settings = deps.config.gemini.batch;
      // The source of the document's first arrival decides (watch, cli, api …).
      const source = await firstUploadSource(db, input.documentId);
      const bySource = settings.sources === 'all' || (Array.isArray(settings.sources) && source !== undefined && settings.sources.includes(source));
      return { batch: bySource && isBatchCapable(deps.tiers.fast), deadlineMs: settings.deadlineMs, pollMs: settings.pollMs };
    },

    /**
     * Creates the batch (once per key: a retried or re-delivered attempt finds
     * the row and the batch it made) and returns its row id.
     */
    async submitBatch(input: SubmitBatchInput): Promise<{ batchId: string; batchName: string }> {
      const run = workflowRun();
      const batchKey = `${run.workflowId}:${run.runId}:${input.sequence}`;
      const tier = tierFor(input.tier);
      if (!isBatchCapable(tier)) throw ApplicationFailure.nonRetryable(`the ${input.tier} tier cannot use the Batch API`, 'TierRefused');
      const focus = input.focusFields ?? [];
      let row = await findBatchByKey(db, batchKey);
      if (row?.batch_name) return { batchId: row.id, batchName: row.batch_name };
      if (row) {
        // An earlier attempt recorded the batch and may have created it at Google without storing its
        // name (the create's answer or the update after it was lost): it is found by its display name,
        // the batch key, and not created twice.
        const made = await tier.findBatch(batchKey, Context.current().cancellationSignal);
        if (made?.name) {
          await setBatchName(db, row.id, made.name);
          return { batchId: row.id, batchName: made.name };
        }
      }
      row ??= await insertBatch(db, {
        document_id: input.documentId,
        batch_key: batchKey,
        workflow_id: run.workflowId,
        run_id: run.runId,
        tier: input.tier,
        model: tier.model,
        kind: input.kind,
        ranges: input.ranges,
        focusFields: focus,
      });
      const requests = await withHeartbeat(async () => {
        const out = [];
        for (const [index, range] of input.ranges.entries()) {
          const request = await requestFor(input.documentId, input.kind, input.tier, range, focus);
          out.push({ ...(await tier.batchRequest(request)), metadata: { range: String(index) } });
        }
        return out;
      });
      const job = await tier.createBatch(requests, batchKey, Context.current().cancellationSignal);
      if (!job.name) throw ApplicationFailure.retryable('batches.create answered without a batch name', 'TierError');
      await setBatchName(db, row.id, job.name);
      return { batchId: row.id, batchName: job.name };
    },

    /**
     * Looks at the batch once. When it has succeeded, records one attempt per
     * range (billed at the batch price, with what it would have cost online and
     * the batch's latency) and returns their outcomes; a range whose answer is
     * unusable (cut off, invalid, missing) is null: the workflow asks it online.
     */
    async pollBatch(input: { batchId: string }): Promise<BatchPoll> {
      const batch = await getBatch(db, input.batchId);
      if (!batch.batch_name) return { state: 'failed', error: 'the batch was never created' };
      const tier = tierFor(batch.tier);
      if (!isBatchCapable(tier)) return { state: 'failed', error: `the ${batch.tier} tier cannot use the Batch API` };
      const job = await tier.getBatch(batch.batch_name, Context.current().cancellationSignal);
      if (job.state && TERMINAL_FAILURES.has(job.state)) {
        const error = scrub(`batch ${batch.batch_name} ended ${job.state}${job.error?.message ? `: ${job.error.message}` : ''}`);
        await finishBatch(db, batch.id, job.state.replace('JOB_STATE_', '').toLowerCase(), error);
        return { state: 'failed', error };
      }
      if (job.state !== 'JOB_STATE_SUCCEEDED') return { state: 'pending' };

      const ranges = batch.ranges;
      const responses = job.dest?.inlinedResponses ?? [];
      const byIndex = new Map<number, (typeof responses)[number]>();
      responses.forEach((r, i) => byIndex.set(r.metadata?.['range'] !== undefined ? Number(r.metadata['range']) : i, r));
      const latencyMs = Math.max(0, Date.now() - new Date(batch.created_at).getTime());
      const outcomes: (ExtractOutcome | null)[] = [];
      for (const [index, range] of ranges.entries()) {
        const activityId = `batch:${batch.batch_key}:${index}`;
        const existing = await findActivityAttempt(db, { workflow_id: batch.workflow_id, run_id: batch.run_id, activity_id: activityId });
        if (existing) {
          outcomes.push(existing.outcome === 'ok' ? { attemptId: existing.id, outcome: 'ok', errorCode: null } : null);
          continue;
        }
        const item = byIndex.get(index);
        const request = await requestFor(batch.document_id, batch.kind as ExtractableKind, batch.tier, range, batch.focus_fields);
        const reading = item?.response
          ? tier.readBatchResponse(request, item.response as GenerateContentResponse)
          : { ok: false as const, problem: `no answer in the batch${item?.error ? `: ${JSON.stringify(item.error).slice(0, 300)}` : ''}`, usage: null, costUsd: '0', onlineCostUsd: '0' };
        const usage = reading.ok ? reading.result.usage : reading.usage;
        const attemptId = await insertFinishedAttempt(db, {
          document_id: batch.document_id,
          workflow_id: batch.workflow_id,
          run_id: batch.run_id,
          activity_id: activityId,
          activity_attempt: 1,
          tier: batch.tier,
          model: batch.model,
          chunk_index: range.chunkIndex,
          page_from: range.pageFrom,
          page_to: range.pageTo,
          prompt_version: reading.ok ? reading.result.promptVersion : null,
          prompt_hash: reading.ok ? reading.result.promptHash : null,
          input_tokens: usage?.inputTokens ?? 0,
          output_tokens: usage?.outputTokens ?? 0,
          cached_tokens: usage?.cachedTokens ?? 0,
          tokens_estimated: usage?.estimated ?? true,
          cost_usd: reading.ok ? reading.result.costUsd : reading.costUsd,
          online_cost_usd: reading.onlineCostUsd,
          billing: 'batch',
          batch_name: batch.batch_name,
          latency_ms: latencyMs,
          outcome: reading.ok ? 'ok' : 'invalid',
          error: reading.ok ? null : scrub(reading.problem).slice(0, 2000),
          result: reading.ok ? JSON.stringify(reading.result.fields) : null,
        });
        outcomes.push(reading.ok && attemptId ? { attemptId, outcome: 'ok', errorCode: null } : null);
      }
      await finishBatch(db, batch.id, 'succeeded', null);
      return { state: 'done', outcomes };
    },

    /**
     * The deadline passed (or the batch failed): the workflow goes online; the
     * batch is no longer waited for, and one still running is cancelled at
     * Google (batches.cancel), so it neither runs nor bills for answers nobody
     * reads. Idempotent: a batch that already ended (succeeded, failed,
     * cancelled: the API refuses the cancel) or that Google no longer knows is
     * fine; a 429/5xx is retried by Temporal.
     */
    async abandonBatch(input: { batchId: string; reason: string }): Promise<void> {
      const batch = await getBatch(db, input.batchId);
      let reason = input.reason;
      if (batch.state === 'submitted') {
        const tier = tierFor(batch.tier);
        const signal = Context.current().cancellationSignal;
        try {
          if (!isBatchCapable(tier)) throw new Error(`the ${batch.tier} tier cannot use the Batch API`);
          // A batch whose name was never stored is found by its display name (the batch key).
          const name = batch.batch_name ?? (await tier.findBatch(batch.batch_key, signal))?.name ?? null;
          if (name) await tier.cancelBatch(name, signal);
        } catch (error) {
          const status = error instanceof GeminiApiError ? error.status : null;
          // 400 FAILED_PRECONDITION: the batch already ended (succeeded, failed, cancelled); 404: gone. Both fine.
          if (status !== 400 && status !== 404) {
            const message = scrub(error instanceof Error ? error.message : String(error));
            const retryable = (error as { retryable?: unknown }).retryable !== false;
            // A transient failure is retried (twice); after that, or when refused, going online is not held up:
            // the row records that the cancel failed.
            if (retryable && Context.current().info.attempt < 3) throw ApplicationFailure.retryable(`batches.cancel failed: ${message}`.slice(0, 2000), 'TierError');
            Context.current().log.warn('could not cancel the abandoned batch at the Batch API', { batchId: batch.id, error: message.slice(0, 300) });
            reason = `${input.reason}; batches.cancel failed: ${message}`;
          }
        }
      }
      await finishBatch(db, input.batchId, 'abandoned', reason.slice(0, 500));
    },
  };
}
