/**
 * The Gemini rate limits of a whole deployment: every worker process that uses
 * the same Postgres counts its model requests in one window per model
 * (src/db/model-rate-window.ts), so N workers together stay within the
 * project's quota instead of each using all of it (N× the quota: 429 storms).
 *
 * A sliding window, not a token bucket: at most `rpm` requests and `tpm` input
 * tokens in any window, whatever window the server counts in; and requests are
 * paced, one per window/rpm, so the quota is used as an even stream (a burst
 * of the whole quota would return as a burst of free places a minute later,
 * more than the workers can fill at once, and those places would go unused).
 * A request counts
 * for a little longer than the quota's minute (`marginMs`), so that network
 * delay between admission here and arrival at Google cannot put one request
 * too many into one of its minutes.
 *
 * Why not only Temporal's task-queue rate limit (maxTaskQueueActivitiesPerSecond):
 * it counts activity starts, and one model activity sends a varying number of
 * requests (chunks, a repair, a second reading), and it cannot count tokens.
 * The window counts what the quota counts.
 *
 * Within one process, callers are served in arrival order (as with the
 * in-process limiter), so only one of them at a time asks the database.
 */
import type { Db } from '../../db/database.ts';
import { admitModelRequest } from '../../db/model-rate-window.ts';
import { abortableSleep, arrivalOrder, type RateLimiter } from './rate-limiter.ts';

export interface SharedRateLimiterOptions {
  model: string;
  /** Requests per minute, for the whole deployment. */
  rpm: number;
  /** Input tokens per minute, for the whole deployment. */
  tpm: number;
  /** The quota's window (default one minute). */
  windowMs?: number;
  /** How much longer than the window a request counts (default 1 s). */
  marginMs?: number;
  /** Longest single wait before asking again (default 2 s): a wait ends early when others' requests were refused. */
  maxWaitMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function createSharedRateLimiter(db: Db, options: SharedRateLimiterOptions): RateLimiter {
  const { model, rpm, tpm } = options;
  if (!(rpm > 0) || !(tpm > 0)) throw new Error(`rate limits must be positive (rpm=${rpm}, tpm=${tpm})`);
  const limits = { requests: rpm, tokens: tpm, windowMs: (options.windowMs ?? 60_000) + (options.marginMs ?? 1_000) };
  const sleep = options.sleep ?? abortableSleep;
  const maxWaitMs = options.maxWaitMs ?? 2_000;
  const inOrder = arrivalOrder();

  return {
    acquire(wanted: number, signal?: AbortSignal): Promise<void> {
      if (signal?.aborted) return Promise.reject(signal.reason);
      // A request bigger than the whole budget waits for an empty window instead of never fitting.
      const need = Math.min(Math.max(0, Math.ceil(wanted)), tpm);
      return inOrder(signal, async () => {
        for (;;) {
          signal?.throwIfAborted();
          const waitMs = await admitModelRequest(db, model, need, limits);
          if (waitMs === 0) return;
          await sleep(Math.min(waitMs, maxWaitMs), signal);
        }
      });
    },
  };
}
