/**
 * Client-side rate limits for one model: requests per minute and (input) tokens
 * per minute, as two token buckets shared by every caller in this process (one
 * worker's concurrent activities share one limiter per model).
 *
 * - Both buckets start full (a burst up to the per-minute quota is allowed) and
 *   refill continuously at rpm/60 000 and tpm/60 000 per millisecond.
 * - Callers are served in arrival order (FIFO): a big request waiting for tokens
 *   is not overtaken forever by small ones.
 * - A single request asking for more tokens than `tpm` would never fit; it
 *   waits until the token bucket is full (nobody else in the window) and then
 *   goes through alone, draining the bucket to zero, instead of deadlocking.
 * - `acquire` honours an AbortSignal while queued or waiting; an aborted caller
 *   takes nothing and does not block those behind it.
 */

export interface RateLimiter {
  /** Waits until one request carrying `tokens` input tokens may be sent, and takes them. */
  acquire(tokens: number, signal?: AbortSignal): Promise<void>;
}

export interface RateLimiterOptions {
  /** Requests per minute. */
  rpm: number;
  /** Input tokens per minute. */
  tpm: number;
  /** Milliseconds clock (default Date.now). */
  now?: () => number;
  /** Waits `ms` (default setTimeout); must reject when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs callers' work one at a time in arrival order (FIFO): a caller starts when
 * every earlier one has finished (taken its share or given up). An aborted
 * caller leaves the queue at once without holding up those behind it.
 */
export function arrivalOrder(): <T>(signal: AbortSignal | undefined, work: () => Promise<T>) => Promise<T> {
  let tail: Promise<void> = Promise.resolve();
  return async (signal, work) => {
    const previous = tail;
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    tail = previous.then(() => mine);
    try {
      await raceAbort(previous, signal);
      return await work();
    } finally {
      release();
    }
  };
}

function raceAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { rpm, tpm } = options;
  if (!(rpm > 0) || !(tpm > 0)) throw new Error(`rate limits must be positive (rpm=${rpm}, tpm=${tpm})`);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const requestRate = rpm / 60_000;
  const tokenRate = tpm / 60_000;

  let requests = rpm;
  let tokens = tpm;
  let last = now();
  const inOrder = arrivalOrder();

  const refill = () => {
    const t = now();
    const elapsed = Math.max(0, t - last);
    last = t;
    requests = Math.min(rpm, requests + elapsed * requestRate);
    tokens = Math.min(tpm, tokens + elapsed * tokenRate);
  };

  return {
    acquire(wanted: number, signal?: AbortSignal): Promise<void> {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const need = Math.min(Math.max(0, Math.ceil(wanted)), tpm);
      return inOrder(signal, async () => {
        for (;;) {
          signal?.throwIfAborted();
          refill();
          // Small epsilon: floating refill must not leave us 1e-12 short forever.
          if (requests >= 1 - 1e-9 && tokens >= need - 1e-9) {
            requests = Math.max(0, requests - 1);
            tokens = Math.max(0, tokens - need);
            return;
          }
          const waitRequests = requests >= 1 ? 0 : (1 - requests) / requestRate;
          const waitTokens = tokens >= need ? 0 : (need - tokens) / tokenRate;
          await sleep(Math.max(1, Math.ceil(Math.max(waitRequests, waitTokens))), signal);
        }
      });
    },
  };
}
