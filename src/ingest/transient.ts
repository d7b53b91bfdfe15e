import { isDatabaseUnavailable } from '../api/problem.ts';

/**
 * Whether an error is an outage of a service the CLI depends on (Postgres
 * restarting, Temporal restarting or unreachable), which waiting and trying
 * again gets past, as opposed to a fault of the request itself.
 */
export function isTransientOutage(error: unknown): boolean {
  if (isDatabaseUnavailable(error)) return true;
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { name, code, message } = e as { name?: unknown; code?: unknown; message?: unknown };
    // gRPC UNAVAILABLE (14), DEADLINE_EXCEEDED (4), and the client's own words for a lost channel.
    if (name === 'ServiceError' || name === 'ConnectionError') return true;
    if (code === 14 || code === 4) return true;
    if (typeof message === 'string' && /Channel has been shut down|UNAVAILABLE|No connection established|Connection dropped|ECONNREFUSED|socket hang up/i.test(message)) return true;
  }
  return false;
}

/**
 * Runs `work`, and while it fails with a transient outage, waits (1 s, doubling
 * to 10 s) and runs it again, for at most `patienceMs` in all; then, or on any
 * other error, throws. `onRetry` hears each outage (to say "waiting for …").
 */
export async function retryThroughOutages<T>(
  work: () => Promise<T>,
  options: { patienceMs?: number; onRetry?: (error: unknown, attempt: number) => void } = {},
): Promise<T> {
  const deadline = Date.now() + (options.patienceMs ?? 10 * 60_000);
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isTransientOutage(error) || Date.now() > deadline) throw error;
      options.onRetry?.(error, attempt);
      await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * 2 ** (attempt - 1))));
    }
  }
}
