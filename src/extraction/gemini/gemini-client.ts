/**
 * A narrow wrapper around `@google/genai`'s GoogleGenAI: generateContent and
 * countTokens with our own retry policy.
 *
 * The SDK's retries (httpOptions.retryOptions) are left OFF: they ignore the
 * server's RetryInfo hint. Here:
 *   - retried: HTTP 429, 500, 502, 503, 504, network errors and per-attempt
 *     timeouts; never 400/401/403/404 (or any other status);
 *   - wait before retry n (n = 1, 2, …): full jitter,
 *         random() × min(maxDelayMs, baseDelayMs × 2^(n-1)),
 *     and when the error carries a RetryInfo `retryDelay` ("2s", "0.5s"), at least that;
 *   - at most `maxAttempts` HTTP attempts in all (the first included);
 *   - an AbortSignal stops the request in flight and any wait;
 *   - thrown errors (GeminiApiError) carry the status and never the API key
 *     (messages are scrubbed with scrubSecrets; the SDK's error is not attached).
 */
import { ApiError, GoogleGenAI } from '@google/genai';
import type {
  BatchJob,
  CountTokensParameters,
  CountTokensResponse,
  GenerateContentParameters,
  GenerateContentResponse,
  InlinedRequest,
  Model,
} from '@google/genai';
import { scrubSecrets } from '../../config/secret.ts';
import type { Secret } from '../../config/secret.ts';
import { abortableSleep } from './rate-limiter.ts';

/** The Gemini API version we call: responseJsonSchema is a v1beta feature (the SDK 3.x default is "v1"). */
export const GEMINI_API_VERSION = 'v1beta';

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

export interface RetryEvent {
  /** The attempt that failed (1-based); the next one is attempt + 1. */
  attempt: number;
  /** HTTP status of the failure, or null for a network error / timeout. */
  status: number | null;
  /** How long we wait before the next attempt. */
  delayMs: number;
  /** The operation ("generateContent" / "countTokens") and model. */
  operation: string;
  model: string;
  /** Short, scrubbed description of the failure. */
  reason: string;
}

export interface GeminiClientOptions {
  apiKey: Secret;
  /** Root URL of the API (default: the SDK's, https://generativelanguage.googleapis.com). */
  baseUrl?: string;
  /** API version in the path (default GEMINI_API_VERSION). */
  apiVersion?: string;
  /** Per HTTP attempt. */
  timeoutMs: number;
  /** HTTP attempts per call, the first included. */
  maxAttempts: number;
  /** Backoff base (default 1000 ms) and cap (default 60 000 ms) of the exponential wait. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Waits `ms`; must reject when `signal` aborts. Injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform in [0, 1). Injectable for tests. */
  random?: () => number;
  onRetry?: (event: RetryEvent) => void;
}

export interface GeminiClient {
  generateContent(params: GenerateContentParameters, signal?: AbortSignal): Promise<GenerateContentResponse>;
  countTokens(params: CountTokensParameters, signal?: AbortSignal): Promise<CountTokensResponse>;
  /** models.get: the model's metadata (404 when it does not exist or was shut down). */
  getModel?(model: string, signal?: AbortSignal): Promise<Model>;
  /** Files API: uploads bytes, returns the file's URI for a fileData part. */
  uploadFile?(data: Uint8Array, mimeType: string, signal?: AbortSignal): Promise<{ uri: string; name: string }>;
  /** Batch API: one batch of inlined generateContent requests (batches.create). */
  createBatch?(model: string, requests: InlinedRequest[], displayName: string, signal?: AbortSignal): Promise<BatchJob>;
  /** Batch API: a batch's state, and its inlined responses once it succeeded (batches.get). */
  getBatch?(name: string, signal?: AbortSignal): Promise<BatchJob>;
  /** Batch API: the batch with this display name among the account's batches (batches.list), or null. */
  findBatch?(displayName: string, signal?: AbortSignal): Promise<BatchJob | null>;
  /** Batch API: cancels a batch (batches.cancel). */
  cancelBatch?(name: string, signal?: AbortSignal): Promise<void>;
}

/** A failed Gemini call (after retries when retryable). The message never holds the API key. */
export class GeminiApiError extends Error {
  override name = 'GeminiApiError';
  /** HTTP status, or null for a network error / timeout. */
  readonly status: number | null;
  /** Google's status name ("RESOURCE_EXHAUSTED"), when the server sent one. */
  readonly statusName: string | null;
  readonly retryable: boolean;
  readonly attempts: number;
  /** The server's RetryInfo hint (ms), for a caller that retries (Temporal: `nextRetryDelay`). */
  readonly retryDelayMs: number | null;

  constructor(
    message: string,
    info: { status: number | null; statusName: string | null; retryable: boolean; attempts: number; retryDelayMs?: number | null },
  ) {
    super(message);
    this.status = info.status;
    this.statusName = info.statusName;
    this.retryable = info.retryable;
    this.attempts = info.attempts;
    this.retryDelayMs = info.retryDelayMs ?? null;
  }
}

interface Classified {
  status: number | null;
  statusName: string | null;
  retryable: boolean;
  /** Server hint from RetryInfo, in ms. */
  retryDelayMs: number | null;
  detail: string;
}

/** Parses a protobuf Duration string as Google sends it ("2s", "0.5s", "1.250s") into ms. */
export function parseRetryDelay(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(value);
  if (!m) return null;
  return Math.round(Number(m[1]) * 1000);
}

function classify(error: unknown): Classified {
  if (error instanceof ApiError) {
    let statusName: string | null = null;
    let detail = error.message;
    let retryDelayMs: number | null = null;
    try {
      const body = JSON.parse(error.message) as {
        error?: { message?: unknown; status?: unknown; details?: unknown };
      };
      const e = body.error;
      if (e) {
        if (typeof e.status === 'string') statusName = e.status;
        if (typeof e.message === 'string') detail = e.message;
        if (Array.isArray(e.details)) {
          for (const d of e.details as Record<string, unknown>[]) {
            if (typeof d?.['@type'] === 'string' && d['@type'].endsWith('google.rpc.RetryInfo')) {
              retryDelayMs = parseRetryDelay(d['retryDelay']);
            }
          }
        }
      }
    } catch {
      // not a JSON body: keep the raw message
    }
    return { status: error.status, statusName, retryable: RETRYABLE_STATUSES.has(error.status), retryDelayMs, detail };
  }
  // Anything else that reached us from fetch: connection refused/reset, DNS,
  // a body cut short, or the SDK's per-attempt timeout (an AbortError).
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  const detail = name === 'AbortError' || name === 'TimeoutError' ? 'request timed out' : `${name}: ${message}${cause}`;
  return { status: null, statusName: null, retryable: true, retryDelayMs: null, detail };
}

/** How many of the account's batches findBatch looks through for a display name. */
export const BATCH_LOOKUP_LIMIT = 1000;

export function createGeminiClient(options: GeminiClientOptions): GeminiClient {
  const secret = options.apiKey;
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts));
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 60_000;
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const ai = new GoogleGenAI({
    apiKey: secret.reveal(),
    vertexai: false,
    apiVersion: options.apiVersion ?? GEMINI_API_VERSION,
    httpOptions: {
      ...(options.baseUrl !== undefined ? { baseUrl: options.baseUrl } : {}),
      apiVersion: options.apiVersion ?? GEMINI_API_VERSION,
      timeout: options.timeoutMs,
      // retryOptions deliberately absent: the SDK then makes exactly one attempt.
    },
  });
  const scrub = (s: string) => scrubSecrets(s, [secret]);

  async function withRetry<T>(operation: string, model: string, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      try {
        return await call();
      } catch (error) {
        // Our caller gave up: that is not a failure of the API; pass the abort on.
        if (signal?.aborted) throw signal.reason;
        const c = classify(error);
        const what = c.status === null ? c.detail : `HTTP ${c.status}${c.statusName ? ` ${c.statusName}` : ''}: ${c.detail}`;
        if (!c.retryable || attempt >= maxAttempts) {
          const tries = attempt > 1 ? ` after ${attempt} attempts` : '';
          throw new GeminiApiError(scrub(`Gemini ${operation} (${model}) failed${tries}: ${what}`.slice(0, 2000)), {
            status: c.status,
            statusName: c.statusName,
            retryable: c.retryable,
            attempts: attempt,
            retryDelayMs: c.retryDelayMs,
          });
        }
        const backoff = random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        const delayMs = Math.ceil(Math.max(backoff, c.retryDelayMs ?? 0));
        options.onRetry?.({ attempt, status: c.status, delayMs, operation, model, reason: scrub(what).slice(0, 500) });
        await sleep(delayMs, signal);
      }
    }
  }

  return {
    generateContent(params, signal) {
      const config = { ...params.config, ...(signal ? { abortSignal: signal } : {}) };
      return withRetry('generateContent', params.model, signal, () => ai.models.generateContent({ ...params, config }));
    },
    countTokens(params, signal) {
      const config = { ...params.config, ...(signal ? { abortSignal: signal } : {}) };
      return withRetry('countTokens', params.model, signal, () => ai.models.countTokens({ ...params, config }));
    },
    getModel(model, signal) {
      return withRetry('models.get', model, signal, () => ai.models.get({ model, config: signal ? { abortSignal: signal } : {} }));
    },
    uploadFile(data, mimeType, signal) {
      return withRetry('files.upload', mimeType, signal, async () => {
        const blob = new Blob([new Uint8Array(data)], { type: mimeType });
        const file = await ai.files.upload({ file: blob, config: { mimeType, ...(signal ? { abortSignal: signal } : {}) } });
        if (!file.uri || !file.name) throw new Error('files.upload answered without a file uri');
        return { uri: file.uri, name: file.name };
      });
    },
    createBatch(model, requests, displayName, signal) {
      // The display name is the caller's idempotency key: a create whose answer was lost is found by it.
      return withRetry('batches.create', model, signal, () =>
        ai.batches.create({ model, src: requests, config: { displayName, ...(signal ? { abortSignal: signal } : {}) } }),
      );
    },
    getBatch(name, signal) {
      return withRetry('batches.get', name, signal, () => ai.batches.get({ name, config: signal ? { abortSignal: signal } : {} }));
    },
    findBatch(displayName, signal) {
      return withRetry('batches.list', displayName, signal, async () => {
        const pager = await ai.batches.list({ config: { pageSize: 100, ...(signal ? { abortSignal: signal } : {}) } });
        // Newest first; a lost create is a recent one: look through the first BATCH_LOOKUP_LIMIT batches.
        let seen = 0;
        for await (const job of pager) {
          if (job.displayName === displayName) return job;
          if (++seen >= BATCH_LOOKUP_LIMIT) break;
        }
        return null;
      });
    },
    cancelBatch(name, signal) {
      return withRetry('batches.cancel', name, signal, () => ai.batches.cancel({ name, config: signal ? { abortSignal: signal } : {} }));
    },
  };
}
