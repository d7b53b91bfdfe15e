import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
  TemporalFailure,
  TimeoutFailure,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { HandlerUnfinishedPolicy, RetryState, TimeoutType } from '@temporalio/common';
import type { CandidateSummary, DocumentRead, EInvoiceRead, ReviewRequest, ReviewResult, SettleInput } from '../activities/types.ts';
import type { DocumentKind, RouteStep } from '../schemas/common.ts';
import { runPipeline, type ExactOutcome, type PipelinePorts, type PipelineResult, type PipelineThresholds } from '../src/routing/pipeline.ts';
import { BAD_DOCUMENT } from '../activities/error-types.ts';
import { extractDocumentV1 } from './extract-document-v1.ts';
import { eventForStatus, type WebhookEvent } from '../src/webhooks/events.ts';
import { deliverWebhook } from './deliver-webhook.ts';
import { batchActivitiesFor, batchPort } from './gemini-batch.ts';
import { PATCHES } from './patches.ts';
import { activitiesFor, DEFAULT_RUN_POLICY, localDatabaseActivitiesFor, type RunPolicy } from './policies.ts';
import { DocrouteKind, DocrouteStatus } from './search-attributes.ts';
import { reviewSignal, reviewUpdate, settledUpdate } from './signals.ts';

export interface ExtractDocumentInput {
  documentId: string;
  /** Thresholds as configured when the document arrived; kept in the history for replay and audit. */
  routing: PipelineThresholds;
  /** Timeouts and attempts as configured when the run started (v2; defaults for older inputs). */
  policy?: Partial<RunPolicy>;
  /** Upsert DocrouteStatus/DocrouteKind (v2; the namespace must have them registered). */
  searchAttributes?: boolean;
  /** Webhook delivery settings as configured when the run started (defaults for older inputs). */
  webhooks?: { timeoutMs: number; retryForMs: number };
}

const DEFAULT_WEBHOOK_SETTINGS = { timeoutMs: 10_000, retryForMs: 24 * 3600_000 };

/** How a document's run ends ('cancelled' only as read back from Postgres: a cancelled run has no result). */
export type SettledStatus = 'extracted' | 'needs_review' | 'failed' | 'stalled' | 'cancelled';

export interface ExtractDocumentResult {
  documentId: string;
  status: SettledStatus;
  kind: DocumentKind | null;
  route: RouteStep[];
  confidence: number | null;
  tokens: number | null;
  /** The reasons of the final state. */
  reasons: string[];
  error: string | null;
  /** The record version written by this run (extracted), when there is one. */
  record?: { id: string; version: number } | null;
}

export type { ReviewRequest, ReviewResult };
export { reviewSignal, reviewUpdate };

/**
 * One document, from its original to a validated record (or the review queue,
 * or a recorded verdict). Orchestration only: the pipeline (src/routing/pipeline.ts)
 * decides; every read and write happens in activities; only ids, counts and codes
 * pass through here.
 */
export async function extractDocument(input: ExtractDocumentInput): Promise<ExtractDocumentResult> {
  if (!patched(PATCHES.pipelineV2)) return extractDocumentV1(input);
  return extractDocumentV2(input);
}

type Phase = 'processing' | 'review' | 'settled';

async function extractDocumentV2(input: ExtractDocumentInput): Promise<ExtractDocumentResult> {
  const { documentId } = input;
  const policy: RunPolicy = { ...DEFAULT_RUN_POLICY, ...input.policy };
  const { parse, model, check, store: storeActivities, settle: settleActivity, announce: announceActivity } = activitiesFor(policy);
  // Runs started with the marker: short database work in local activities (one round trip less each),
  // the e-invoice read and the parse in one activity, and the `settled` Update.
  const lean = patched(PATCHES.leanRun);
  const local = lean ? localDatabaseActivitiesFor(policy) : null;
  const store = local?.store ?? storeActivities;
  const settler = local?.settle ?? settleActivity;
  const announce = local?.announce ?? announceActivity;
  const state = {
    phase: 'processing' as Phase,
    kind: null as DocumentKind | null,
    route: [] as RouteStep[],
    candidate: null as CandidateSummary | null,
    /** A decision is being applied (its activity runs): others are refused meanwhile. */
    applying: false,
    /** The document's review state is written: a decision may be applied. */
    reviewReady: false,
    decision: undefined as Extract<ReviewResult, { outcome: 'applied' }> | undefined,
  };
  let pipeline: PipelineResult | null = null;

  if (lean) {
    setHandler(
      settledUpdate,
      async () => {
        await condition(() => state.reviewReady || state.phase === 'settled');
        return state.phase === 'settled' ? 'settled' : 'review';
      },
      // A run that ends (extracted, failed, cancelled) while a caller waits: the caller has the run's result or failure.
      { unfinishedPolicy: HandlerUnfinishedPolicy.ABANDON },
    );
  }

  const mark = (status: string) => {
    if (!input.searchAttributes) return;
    upsertSearchAttributes([
      { key: DocrouteStatus, value: status },
      { key: DocrouteKind, value: state.kind ?? null },
    ]);
  };

  setHandler(
    reviewUpdate,
    async (request: ReviewRequest): Promise<ReviewResult> => {
      if (state.applying || state.decision) throw ApplicationFailure.nonRetryable('a decision was already made on this document', 'ReviewRefused');
      state.applying = true;
      try {
        await condition(() => state.reviewReady);
        // A decision stays an activity (its own task, retried with its id) whatever the marker says.
        const result = await storeActivities.reviewDocument({
          ...request,
          documentId,
          kind: state.kind,
          candidateId: state.candidate?.candidateId ?? null,
          route: state.route,
        });
        if (result.outcome === 'applied') state.decision = result;
        return result;
      } finally {
        state.applying = false;
      }
    },
    {
      validator: (request: ReviewRequest) => {
        if (typeof request?.submissionId !== 'string' || !['approve', 'correct', 'reject'].includes(request.action)) {
          throw new Error('invalid review request');
        }
        if (state.decision || state.phase === 'settled') throw new Error('the document is not awaiting review: already decided');
        if (state.phase !== 'review') throw new Error('the document is not awaiting review: still being processed');
        if (state.applying) throw new Error('another decision on this document is being applied');
        if (request.action !== 'reject' && state.kind !== 'invoice' && state.kind !== 'contract') {
          throw new Error('the document is not an invoice or a contract: it can only be rejected');
        }
        if (request.action === 'approve' && !state.candidate) {
          throw new Error('the models produced no candidate to approve: correct or reject it');
        }
      },
    },
  );

  /**
   * Tells webhook subscribers (runs started before the webhooks patch tell no
   * one): one delivery row per interested subscription, then a child workflow
   * per delivery that this run does not wait for.
   */
  const announceEvent = async (event: WebhookEvent | null, status: string, record: { id: string; version: number } | null) => {
    if (!event || !patched(PATCHES.webhooks)) return;
    const deliveryIds = await announce.announceDocument({ documentId, event, status, kind: state.kind, record });
    const settings = input.webhooks ?? DEFAULT_WEBHOOK_SETTINGS;
    for (const deliveryId of deliveryIds) {
      await startChild(deliverWebhook, {
        workflowId: `webhook-${deliveryId}`,
        args: [{ deliveryId, ...settings }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    }
  };

  /** The one place where this run settles its document. */
  const settle = async (status: SettleInput['status'], details: { reasons?: string[]; error?: string | null } = {}) => {
    const outcome = await settler.settleDocument({
      documentId,
      status,
      kind: state.kind,
      candidateId: state.candidate?.candidateId ?? null,
      route: state.route,
      reasons: details.reasons ?? [],
      error: details.error ?? null,
    });
    mark(status);
    await announceEvent(
      eventForStatus(status),
      status,
      outcome.recordId !== null && outcome.version !== null ? { id: outcome.recordId, version: outcome.version } : null,
    );
    return outcome;
  };
  const result = (status: Exclude<SettledStatus, 'cancelled'>, details: { reasons: string[]; error: string | null; record?: ExtractDocumentResult['record'] }): ExtractDocumentResult => {
    state.phase = 'settled';
    return {
      documentId,
      status,
      kind: state.kind,
      route: state.route,
      confidence: status === 'extracted' && state.decision ? 1 : (state.candidate?.confidence ?? null),
      tokens: pipeline?.tokens ?? null,
      reasons: details.reasons,
      error: details.error,
      ...(details.record !== undefined ? { record: details.record } : {}),
    };
  };

  /**
   * An XML e-invoice, or a PDF that embeds one, read from its XML; a hybrid PDF's
   * page is parsed and compared with it on the payment-relevant values.
   */
  /** Lean runs: what readDocument parsed along with the e-invoice read, handed over (once) by the parse port. */
  let readAhead: DocumentRead | null = null;
  const claimExact = async (id: string): Promise<ExactOutcome> => {
    let read: EInvoiceRead;
    if (lean) {
      readAhead = await parse.readDocument(id);
      read = readAhead.einvoice;
    } else {
      read = await parse.readEInvoice(id);
    }
    if (read.outcome !== 'claimed' || read.attemptId === null) return { claim: null, note: read.note };
    let tokens: number | null = null;
    const problems: string[] = [];
    const ahead = readAhead;
    readAhead = null;
    if (read.container === 'pdf' && ahead) {
      if (ahead.parsed) tokens = ahead.parsed.tokens;
      else if (ahead.parseError !== null) problems.push(`the PDF's page could not be read to compare it with its XML: ${ahead.parseError}`);
    } else if (read.container === 'pdf') {
      try {
        tokens = (await parse.parseDocument(id)).tokens;
      } catch (err) {
        // A page that cannot be read is a review reason, not a verdict on the XML; anything else propagates.
        const cause = err instanceof ActivityFailure ? err.cause : null;
        if (!(cause instanceof ApplicationFailure) || cause.type !== BAD_DOCUMENT) throw err;
        problems.push(`the PDF's page could not be read to compare it with its XML: ${cause.message}`);
      }
    }
    const candidate = await store.scoreEInvoice({
      documentId: id,
      attemptId: read.attemptId,
      crossCheck: read.container === 'pdf' && problems.length === 0,
      problems,
    });
    state.candidate = candidate;
    return { claim: { kind: 'invoice', candidate, tier: 'xml', found: read.note, tokens } };
  };

  /** Whether this run splits cut-off ranges as workflow steps (asked at the first extraction, so runs that never extract carry no marker). */
  let splitting: boolean | null = null;
  const splitInWorkflow = (): boolean => (splitting ??= patched(PATCHES.splitInWorkflow));

  const ports: PipelinePorts = {
    describeTiers: () => store.describeTiers(),
    parse: async (id) => {
      const ahead = readAhead;
      readAhead = null;
      // Read along with the e-invoice (lean runs): its verdict about the document, or its summary.
      if (ahead?.parseError != null) throw ApplicationFailure.nonRetryable(ahead.parseError, BAD_DOCUMENT);
      if (ahead?.parsed) return ahead.parsed;
      return parse.parseDocument(id);
    },
    classify: async (id) => {
      const text = await store.classifyText(id);
      if (text.scanPages.length === 0) return { kind: text.kind, confidence: text.confidence };
      try {
        return await model.classifyScan({ documentId: id, pages: text.scanPages });
      } catch (err) {
        // The model could not tell (after its retries): the document goes to review as unrecognised.
        if (err instanceof ActivityFailure && !isCancellation(err)) return { kind: text.kind, confidence: text.confidence };
        throw err;
      }
    },
    // The one place where a tier is called. Runs with the marker get a cut-off range back
    // (outcome cut_off) and the pipeline asks for its halves in activities of their own;
    // runs started before it let the tier split within the one activity.
    extract: async (request) => {
      try {
        return await model.extractWithTier(splitInWorkflow() ? { ...request, splitCutOff: 'return' } : request);
      } catch (err) {
        if (err instanceof ActivityFailure && !isCancellation(err)) return null; // recorded by the activity
        throw err;
      }
    },
    buildCandidate: async (request) => {
      const candidate = await store.buildCandidate(request);
      state.candidate = candidate;
      return candidate;
    },
    planEscalation: (request) => store.planEscalation(request),
    recordRouting: (record) => store.recordRouting(record),
    // Batch mode (Gemini Batch API, durable waits) for runs that carry the marker.
    ...(patched(PATCHES.geminiBatch) ? { extractBatch: batchPort(batchActivitiesFor(policy), documentId, local?.batchPlan.batchPlan) } : {}),
    // The second, independent reading (runs started before it was added never schedule it).
    ...(patched(PATCHES.secondReading)
      ? {
          secondReading: async (request) => {
            try {
              return await check.secondReading(request);
            } catch (err) {
              // It only moves confidence: a call that failed after its retries is recorded by the activity, and the run goes on.
              if (err instanceof ActivityFailure && !isCancellation(err)) return null;
              throw err;
            }
          },
        }
      : {}),
    // The exact e-invoice tier (runs started before it was added go straight to the text path).
    ...(patched(PATCHES.einvoiceExactTier) ? { claimExact } : {}),
  };

  try {
    pipeline = await runPipeline(ports, { documentId, routing: input.routing });
    state.kind = pipeline.kind;
    state.route = pipeline.route;
    state.candidate = pipeline.candidate;
    if (pipeline.status === 'extracted') {
      const record = await settle('extracted', { reasons: pipeline.reasons });
      return result('extracted', {
        reasons: pipeline.reasons,
        error: null,
        record: record.recordId !== null && record.version !== null ? { id: record.recordId, version: record.version } : null,
      });
    }
    if (pipeline.status === 'failed') {
      await settle('failed', { error: pipeline.error });
      return result('failed', { reasons: [], error: pipeline.error });
    }
    // In review from now on: a decision arriving while the review state is being written waits for it.
    state.phase = 'review';
    await settle('needs_review', { reasons: pipeline.reasons });
    state.reviewReady = true;
    // Wait, durably (for days if need be), for an accepted decision (review Update).
    await condition(() => state.decision !== undefined && allHandlersFinished());
    const decision = state.decision!;
    mark(decision.status);
    log.info('review decision applied', { documentId, status: decision.status });
    const reviewed = decision.recordId !== null && decision.version !== null ? { id: decision.recordId, version: decision.version } : null;
    await announceEvent('document.reviewed', decision.status, reviewed);
    await announceEvent(eventForStatus(decision.status), decision.status, reviewed);
    return result(decision.status, {
      reasons: decision.reasons,
      error: decision.error,
      record: decision.recordId !== null && decision.version !== null ? { id: decision.recordId, version: decision.version } : null,
    });
  } catch (err) {
    if (isCancellation(err)) {
      // Cancelled (a person, or a reprocess): record it whatever happens to this scope, then end cancelled.
      await CancellationScope.nonCancellable(() => settle('cancelled', { error: 'cancelled: its workflow was cancelled (docroute cancel, a reprocess, or the Temporal UI)' }));
      throw err;
    }
    // A bug in this code (a TypeError, say) is not a verdict about the document: it
    // fails the workflow task, which Temporal retries, so a fixed worker picks it up.
    if (!(err instanceof TemporalFailure)) throw err;
    const stall = stalled(err);
    if (stall) {
      const error = `could not be processed for ${duration(policy.stallAfterMs)}: ${stall}; run \`docroute retry\` once it is fixed`;
      log.warn('document stalled', { documentId });
      await settle('stalled', { error });
      return result('stalled', { reasons: [], error });
    }
    const reason = failureReason(err);
    log.warn('document failed', { documentId });
    await settle('failed', { error: reason });
    return result('failed', { reasons: [], error: reason });
  }
}

/** An activity that ran out of its schedule (infrastructure kept failing): what its last failure said. */
function stalled(err: unknown): string | null {
  let current: unknown = err;
  while (current instanceof Error) {
    // Retries stopped by the schedule-to-close timeout while the last attempt had failed.
    if (current instanceof ActivityFailure && current.retryState === RetryState.TIMEOUT) {
      const last = current.cause instanceof Error ? failureReason(current.cause) : null;
      return last ? `the last attempt failed with: ${last}` : 'its activities kept timing out (workers or the database unreachable)';
    }
    if (current instanceof TimeoutFailure && current.timeoutType === TimeoutType.SCHEDULE_TO_CLOSE) {
      const last = current.cause instanceof Error ? failureReason(current.cause) : null;
      return last ? `the last attempt failed with: ${last}` : 'its activities kept timing out (workers or the database unreachable)';
    }
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

function duration(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} seconds`;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} minutes`;
  return `${Math.round(minutes / 60)} hours`;
}

/** The most specific message in a chain of Temporal failures. */
function failureReason(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure && current.message) message = current.message;
    current = (current as { cause?: unknown }).cause;
  }
  return message;
}
