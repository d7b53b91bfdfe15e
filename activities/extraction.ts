import { ApplicationFailure, Context } from '@temporalio/activity';
import { documentCostUsd } from '../src/db/attempts.ts';
import { getCandidate } from '../src/db/candidates.ts';
import { getDocument, markDocument } from '../src/db/documents.ts';
import { loadPageEstimates } from '../src/db/pages.ts';
import { beginPaidCall, completePaidCall, findFinishedAttempt } from '../src/db/paid-calls.ts';
import { estimateTokens } from '../src/extraction/rules/tokens.ts';
import { assembleCandidate } from '../src/extraction/candidate.ts';
import { callTier, invalidCodeOf } from '../src/extraction/call-tier.ts';
import { pageMedia } from '../src/extraction/page-media.ts';
import { costOf } from '../src/costs/prices.ts';
import {
  escalationFields,
  expectedClassificationUsage,
  expectedEscalationUsage,
  planEscalationPages,
  toRanges,
  type EscalationField,
} from '../src/extraction/escalation.ts';
import type {
  EscalationInput,
  EscalationPlan,
  CandidateInput,
  CandidateSummary,
  Classification,
  ExtractInput,
  ExtractOutcome,
  SecondReadingInput,
  SecondReadingOutcome,
} from './types.ts';
import { TierRejectedError } from '../src/extraction/model-tier.ts';
import { activityContext, answeredCallFigures, classificationFigures, modelFailure, plannedCall, renderForModel, thrownCallFigures, withHeartbeat, workflowRun, type ActivityDeps } from './support.ts';

/** Model calls and their scoring: one tier over a page range, candidates, escalation plans. */
export function createExtractionActivities(deps: ActivityDeps) {
  const { db, today, scrub, tierFor, loadPages, loadOriginal } = activityContext(deps);
  return {
    /**
     * Runs one tier over a page range: one HTTP call per activity attempt
     * (with `splitCutOff: 'return'`: a cut-off answer is returned as
     * `cut_off`, for the workflow to ask each half in an activity of its own). The
     * attempt's row is written before the call (with its expected cost) and
     * completed after it, so no paid call goes unrecorded, even when the worker
     * dies. A finished attempt of this activity is returned, never paid for
     * again. Output that cannot be made valid is an `invalid` outcome, not an
     * exception; 429/5xx are thrown for Temporal to retry after the server's
     * delay; 400/401/403/404 are final (`TierRefused`).
     */
    async extractWithTier(input: ExtractInput): Promise<ExtractOutcome> {
      const info = Context.current().info;
      const run = workflowRun();
      const key = { workflow_id: run.workflowId, run_id: run.runId, activity_id: info.activityId };
      const done = await findFinishedAttempt(db, key);
      if (done) {
        if (done.outcome === 'ok') return { attemptId: done.id, outcome: 'ok', errorCode: null };
        const code = invalidCodeOf(done.error);
        return { attemptId: done.id, outcome: code === 'cut_off' ? 'cut_off' : 'invalid', errorCode: code };
      }

      const tier = tierFor(input.tier);
      const pages = await loadPages(input.documentId, { from: input.pageFrom, to: input.pageTo });
      const document = await getDocument(db, input.documentId);
      const pageCount = document?.page_count ?? pages.length;
      const expected = expectedEscalationUsage(
        [{ pageFrom: input.pageFrom, pageTo: input.pageTo }],
        pages.map((p) => ({ pageNumber: p.pageNumber, tokens: estimateTokens(p.text), imageOnly: p.imageOnly })),
        tier,
        input.tier,
      );
      const attemptId = await beginPaidCall(
        db,
        plannedCall(deps, { documentId: input.documentId, tier: input.tier, model: tier.model, chunkIndex: input.chunkIndex, pageFrom: input.pageFrom, pageTo: input.pageTo, expected }),
      );
      if (!attemptId) throw ApplicationFailure.retryable('this attempt was already recorded by a concurrent delivery', 'TierError');
      // Scans and deep-tier calls go as the PDF pages themselves (or rendered scans): see pageMedia.
      const media = await pageMedia(tier, input.tier, pages, () => loadOriginal(document), { heartbeat: withHeartbeat });
      const call = await withHeartbeat(() =>
        callTier(tier, {
          kind: input.kind,
          pages,
          pageCount,
          ...media,
          ...(input.focusFields?.length ? { focusFields: input.focusFields } : {}),
          splitCutOff: input.splitCutOff ?? 'in-call',
          signal: Context.current().cancellationSignal,
        }),
      );
      const error = call.error === null ? null : scrub(call.error);
      await completePaidCall(db, attemptId, {
        model: tier.model,
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
      });
      // The message (it can quote the model's output) is in the attempt row; history gets its code.
      // A cut-off range (splitCutOff 'return'): recorded `invalid` with its cost; the workflow splits it.
      if (call.outcome === 'invalid' && call.errorCode === 'cut_off') return { attemptId, outcome: 'cut_off', errorCode: 'cut_off' };
      if (call.outcome !== 'failed') return { attemptId, outcome: call.outcome, errorCode: call.errorCode };
      throw modelFailure(call.thrown, error ?? 'tier call failed');
    },

    /**
     * Shows a scan's first pages to the fast tier to tell its kind (v2; the text
     * had nothing to go by). A paid call like any other: its row is written
     * before the call, an earlier finished attempt is reused.
     */
    async classifyScan(input: { documentId: string; pages: number[] }): Promise<Classification> {
      const info = Context.current().info;
      const run = workflowRun();
      const key = { workflow_id: run.workflowId, run_id: run.runId, activity_id: info.activityId };
      const classificationOf = (kind: Classification['kind']): Classification => ({ kind, confidence: kind === 'other' ? 0.5 : 0.7 });
      const done = await findFinishedAttempt(db, key);
      if (done) return classificationOf((done.result as { classification: Classification['kind'] }).classification);
      const tier = deps.tiers.fast;
      const classify = tier.classify?.bind(tier);
      const original = await loadOriginal(await getDocument(db, input.documentId));
      if (!classify || !original || input.pages.length === 0) return { kind: 'other', confidence: 0 };
      // The pages go as rendered images (renderForModel).
      const expected = expectedClassificationUsage(tier, input.pages.length);
      const pageFrom = input.pages[0]!;
      const pageTo = input.pages[input.pages.length - 1]!;
      const attemptId = await beginPaidCall(db, plannedCall(deps, { documentId: input.documentId, tier: tier.tier, model: tier.model, chunkIndex: null, pageFrom, pageTo, expected }));
      if (!attemptId) throw ApplicationFailure.retryable('this attempt was already recorded by a concurrent delivery', 'TierError');
      const started = performance.now();
      try {
        const images = await renderForModel(original, input.pages);
        const answer = await withHeartbeat(() => classify({ images, signal: Context.current().cancellationSignal }));
        await completePaidCall(db, attemptId, classificationFigures(answer, Math.round(performance.now() - started)));
        await markDocument(db, input.documentId, { kind: answer.kind });
        return classificationOf(answer.kind);
      } catch (error) {
        const message = scrub(error instanceof Error ? error.message : String(error));
        await completePaidCall(db, attemptId, thrownCallFigures(tier.model, error, Math.round(performance.now() - started), 'failed', message.slice(0, 2000)));
        throw modelFailure(error, message);
      }
    },

    /**
     * A second, independent reading of the required fields by the cheap model
     * (DOCROUTE_CHECK_MODEL; src/extraction/second-reading.ts), over the page
     * range's text. A paid call like any other: its own attempt row (model,
     * tokens, cost, latency; prompt "second-reading.v1") written before the call
     * and counted by the document's budget; a finished attempt is reused. An
     * unusable answer is an `invalid` outcome (the comparison is skipped); no
     * reader configured, or no text to read, is `skipped` with no call.
     */
    async secondReading(input: SecondReadingInput): Promise<SecondReadingOutcome> {
      const info = Context.current().info;
      const run = workflowRun();
      const key = { workflow_id: run.workflowId, run_id: run.runId, activity_id: info.activityId };
      const done = await findFinishedAttempt(db, key);
      if (done) return { attemptId: done.id, outcome: done.outcome as 'ok' | 'invalid' };
      const reader = deps.tiers.check;
      if (!reader) return { attemptId: null, outcome: 'skipped' };
      const pages = await loadPages(input.documentId, { from: input.pageFrom, to: input.pageTo });
      if (pages.every((p) => p.text.trim() === '')) return { attemptId: null, outcome: 'skipped' };
      const document = await getDocument(db, input.documentId);
      const expected = { inputTokens: pages.reduce((n, p) => n + estimateTokens(p.text), 300), outputTokens: 200, cachedTokens: 0 };
      const attemptId = await beginPaidCall(db, {
        document_id: input.documentId,
        ...key,
        activity_attempt: info.attempt,
        tier: 'flash',
        model: reader.model,
        chunk_index: null,
        page_from: input.pageFrom,
        page_to: input.pageTo,
        prompt_version: null,
        prompt_hash: null,
        input_tokens: expected.inputTokens,
        output_tokens: expected.outputTokens,
        cached_tokens: 0,
        tokens_estimated: true,
        cost_usd: costOf(deps.config.prices, reader.model, expected),
        latency_ms: 0,
      });
      if (!attemptId) throw ApplicationFailure.retryable('this attempt was already recorded by a concurrent delivery', 'TierError');
      const started = performance.now();
      try {
        const answer = await withHeartbeat(() =>
          reader.read({ kind: input.kind, pages, pageCount: document?.page_count ?? pages.length, signal: Context.current().cancellationSignal }),
        );
        await completePaidCall(db, attemptId, answeredCallFigures(answer, Math.round(performance.now() - started), answer.fields));
        return { attemptId, outcome: 'ok' };
      } catch (error) {
        const message = scrub(error instanceof Error ? error.message : String(error)).slice(0, 2000);
        const rejected = error instanceof TierRejectedError;
        await completePaidCall(db, attemptId, thrownCallFigures(reader.model, error, Math.round(performance.now() - started), rejected ? 'invalid' : 'failed', message));
        if (rejected) return { attemptId, outcome: 'invalid' };
        throw modelFailure(error, message);
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
      const pages = await loadPageEstimates(db, input.documentId);
      let problems: EscalationField[] = [];
      if (input.candidateId !== null) {
        const candidate = await getCandidate(db, input.candidateId);
        if (!candidate) throw new Error(`no candidate ${input.candidateId}`);
        problems = escalationFields(candidate.kind, candidate.fields, candidate.checks, input.minConfidence);
      }
      const pageNumbers = pages.map((p) => p.pageNumber);
      const { ranges, focusFields } =
        input.candidateId === null
          ? { ranges: toRanges(pageNumbers), focusFields: [] }
          : planEscalationPages(problems, input.failedRanges, pageNumbers);
      const estimated = costOf(deps.config.prices, deep.model, expectedEscalationUsage(ranges, pages, deep, 'pro'));
      const spent = await documentCostUsd(db, input.documentId);
      return { ranges, focusFields, estimatedCostUsd: Number(estimated), spentUsd: Number(spent) };
    },
  };
}
