import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Config } from '../src/config/config.ts';
import { scrubSecrets, type Secret } from '../src/config/secret.ts';
import type { Db } from '../src/db/database.ts';
import { getBlob } from '../src/db/documents.ts';
import { loadPageTexts } from '../src/db/pages.ts';
import type { DocumentRow } from '../src/db/schema.ts';
import { renderPages } from '../src/pdf/render-pages.ts';
import { TierRejectedError, type ClassificationResult, type ModelTier, type PageText, type SecondReader, type Usage } from '../src/extraction/model-tier.ts';
import { costOf } from '../src/costs/prices.ts';
import type { TierColumn } from '../src/db/schema.ts';
import type { TierName } from '../schemas/index.ts';

import { BAD_DOCUMENT, TIER_EXHAUSTED, TIER_REFUSED, TIER_UNAVAILABLE } from './error-types.ts';

export { BAD_DOCUMENT, BAD_REVIEW, TIER_EXHAUSTED, TIER_REFUSED, TIER_UNAVAILABLE } from './error-types.ts';
/**
 * A parse that fails on this many attempts in a row (the parser's own error, not
 * a lost worker or the database) is a verdict about the document.
 */
export const PARSE_VERDICT_ATTEMPTS = 3;


export interface ActivityDeps {
  db: Db;
  tiers: { fast: ModelTier; deep: ModelTier | null; check?: SecondReader | null };
  config: Pick<Config, 'limits' | 'prices' | 'gemini' | 'webhooks' | 'einvoice' | 'routing'> & Partial<Pick<Config, 'ocr'>>;
  /** Secrets that must never appear in stored errors. */
  secrets?: readonly (Secret | undefined)[];
  /** Today's date (YYYY-MM-DD) for date plausibility checks; injectable for tests. */
  today?: () => string;
}

/** What every group of activities needs, derived once from the dependencies. */
export function activityContext(deps: ActivityDeps) {
  const { db } = deps;
  return {
    db,
    today: deps.today ?? (() => new Date().toISOString().slice(0, 10)),
    scrub: (message: string) => scrubSecrets(message, deps.secrets ?? []),
    tierFor(name: TierName): ModelTier {
      const tier = name === 'flash' ? deps.tiers.fast : deps.tiers.deep;
      if (!tier) throw ApplicationFailure.nonRetryable(`the ${name} tier is not configured`, TIER_UNAVAILABLE);
      return tier;
    },
    /** A document's page texts (all, or a range), in page order. */
    loadPages: (documentId: string, range?: { from: number; to: number }): Promise<PageText[]> => loadPageTexts(db, documentId, range),
    /** The document's original bytes (null when the document or its blob is gone), heartbeating while they arrive. */
    async loadOriginal(document: Pick<DocumentRow, 'sha256'> | undefined): Promise<Uint8Array | null> {
      const bytes = document ? await withHeartbeat(() => getBlob(db, document.sha256)) : undefined;
      return bytes ?? null; // a Buffer of its own (readBlob): no second copy; pdf.js callers copy what they move to a thread
    },
  };
}

/** Some pages of an original rendered as images for a model that reads them (long side 1024 px), heartbeating meanwhile. */
export function renderForModel(original: Uint8Array, pages: readonly number[]) {
  return withHeartbeat(() => renderPages(original, [...pages], { maxSide: 1024 }));
}

/**
 * The Temporal failure for a model call that failed: refused for good (400,
 * 401, 403, 404: a bad key, no access, an unknown model) is non-retryable;
 * 429/5xx/network are retried by Temporal, after the server's RetryInfo delay
 * when it sent one (`nextRetryDelay`), each retry an attempt in history and a
 * row in extraction_attempts. A client that already retried on its own (more
 * than one HTTP attempt) is not retried again: that would multiply attempts.
 */
export function modelFailure(thrown: unknown, message: string): ApplicationFailure {
  const error = thrown as { retryable?: boolean; attempts?: unknown; retryDelayMs?: unknown } | null;
  if (thrown instanceof TierRejectedError || error?.retryable === false) return ApplicationFailure.nonRetryable(message, TIER_REFUSED);
  if (typeof error?.attempts === 'number' && error.attempts > 1) return ApplicationFailure.nonRetryable(message, TIER_EXHAUSTED);
  const delay = typeof error?.retryDelayMs === 'number' && error.retryDelayMs > 0 ? error.retryDelayMs : undefined;
  return ApplicationFailure.create({ message, type: 'TierError', ...(delay !== undefined ? { nextRetryDelay: delay } : {}) });
}

export function rejection(reviewer: string, note: string | null): string {
  return `rejected in review by ${reviewer}${note ? `: ${note}` : ''}`;
}

/**
 * Heartbeats while `work` runs, so that a worker that dies mid-call is noticed
 * within the heartbeat timeout and the activity retried elsewhere, instead of
 * waiting out the whole start-to-close timeout.
 */
export async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), 5_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** The workflow run the current activity belongs to (every docroute activity runs in one). */
export function workflowRun(): { workflowId: string; runId: string } {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw ApplicationFailure.nonRetryable('docroute activities run only inside a workflow', 'Misuse');
  return execution;
}

/**
 * A paid call's row before the call (see beginPaidCall): the activity attempt
 * it belongs to, the pages, and the expected tokens priced, marked estimated.
 */
export function plannedCall(
  deps: Pick<ActivityDeps, 'config'>,
  call: { documentId: string; tier: TierColumn; model: string; chunkIndex: number | null; pageFrom: number; pageTo: number; expected: Pick<Usage, 'inputTokens' | 'outputTokens' | 'cachedTokens'> },
) {
  const info = Context.current().info;
  const run = workflowRun();
  return {
    document_id: call.documentId,
    workflow_id: run.workflowId,
    run_id: run.runId,
    activity_id: info.activityId,
    activity_attempt: info.attempt,
    tier: call.tier,
    model: call.model,
    chunk_index: call.chunkIndex,
    page_from: call.pageFrom,
    page_to: call.pageTo,
    prompt_version: null,
    prompt_hash: null,
    input_tokens: call.expected.inputTokens,
    output_tokens: call.expected.outputTokens,
    cached_tokens: 0,
    tokens_estimated: true,
    cost_usd: costOf(deps.config.prices, call.model, call.expected),
    latency_ms: 0,
  };
}

/** What a paid model call that answered cost, as its attempt row records it (`result`: what it answered, as JSON). */
export function answeredCallFigures(
  answer: Pick<ClassificationResult, 'model' | 'promptVersion' | 'promptHash' | 'usage' | 'costUsd'>,
  latencyMs: number,
  result: unknown,
) {
  return {
    model: answer.model,
    prompt_version: answer.promptVersion,
    prompt_hash: answer.promptHash,
    input_tokens: answer.usage.inputTokens,
    output_tokens: answer.usage.outputTokens,
    cached_tokens: answer.usage.cachedTokens,
    tokens_estimated: answer.usage.estimated,
    cost_usd: answer.costUsd,
    latency_ms: latencyMs,
    outcome: 'ok' as const,
    error: null,
    result: JSON.stringify(result),
  };
}

/** What a scan classification cost and answered, as its attempt row records it. */
export function classificationFigures(answer: ClassificationResult, latencyMs: number) {
  return answeredCallFigures(answer, latencyMs, { classification: answer.kind });
}

/**
 * What a paid model call that threw cost (the usage the error carries, when the
 * model answered something unusable), as its attempt row records it.
 */
export function thrownCallFigures(model: string, error: unknown, latencyMs: number, outcome: 'failed' | 'invalid', message: string) {
  const spent = error as { usage?: Usage; costUsd?: string };
  return {
    model,
    prompt_version: null,
    prompt_hash: null,
    input_tokens: spent.usage?.inputTokens ?? 0,
    output_tokens: spent.usage?.outputTokens ?? 0,
    cached_tokens: spent.usage?.cachedTokens ?? 0,
    tokens_estimated: spent.usage?.estimated ?? true,
    cost_usd: spent.costUsd ?? '0',
    latency_ms: latencyMs,
    outcome,
    error: message,
    result: null,
  };
}
