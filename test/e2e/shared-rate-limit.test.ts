import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/database.ts';
import { createSharedRateLimiter } from '../../src/extraction/gemini/shared-rate-limiter.ts';
import { createTestDatabase } from '../support/harness.ts';

/*
 * The Gemini quota is the deployment's: limiters in different processes (here:
 * separate connection pools, as separate workers have) that share a database
 * admit together at most the quota in any window. A short window keeps the test
 * short; what is asserted is the count in every window, never a duration.
 */
let database: { url: string; drop(): Promise<void> };
const pools: Db[] = [];
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  for (const db of pools) await db.destroy();
  await database.drop();
});

function worker(model: string, options: { rpm: number; tpm: number; windowMs: number }) {
  const db = createDb(database.url, { max: 2 });
  pools.push(db);
  // The margin also absorbs the delay between admission (the database's time) and this test's clock.
  return createSharedRateLimiter(db, { model, ...options, marginMs: 400, maxWaitMs: 100 });
}

/** The most timestamps that fall into any window of `windowMs` (a sliding count, as a server would keep). */
function busiestWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('Gemini rate limits shared by the workers of a deployment (Postgres)', () => {
  it('three workers together admit at most rpm requests in any window, and all requests get through', async () => {
    const limits = { rpm: 4, tpm: 1_000_000, windowMs: 1_000 };
    const workers = [worker('requests', limits), worker('requests', limits), worker('requests', limits)];
    const admitted: number[] = [];
    // 15 requests from each worker at once: each alone would allow 4 per window, together 12.
    await Promise.all(
      workers.flatMap((limiter) =>
        Array.from({ length: 15 }, async () => {
          await limiter.acquire(10);
          admitted.push(Date.now());
        }),
      ),
    );
    expect(admitted).toHaveLength(45);
    expect(busiestWindow(admitted, limits.windowMs)).toBeLessThanOrEqual(limits.rpm);
  }, 60_000);

  it('input tokens are shared too: no window holds more than tpm, and a request bigger than tpm waits for an empty window', async () => {
    const limits = { rpm: 1_000, tpm: 100, windowMs: 1_000 };
    const workers = [worker('tokens', limits), worker('tokens', limits)];
    const admitted: { at: number; tokens: number }[] = [];
    const sizes = [60, 30, 50, 20, 70, 40, 250, 10];
    await Promise.all(
      sizes.map(async (tokens, i) => {
        await workers[i % 2]!.acquire(tokens);
        admitted.push({ at: Date.now(), tokens: Math.min(tokens, limits.tpm) });
      }),
    );
    expect(admitted).toHaveLength(sizes.length);
    const sorted = admitted.sort((a, b) => a.at - b.at);
    for (const first of sorted) {
      const inWindow = sorted.filter((x) => x.at >= first.at && x.at - first.at < limits.windowMs);
      expect(inWindow.reduce((sum, x) => sum + x.tokens, 0)).toBeLessThanOrEqual(limits.tpm);
    }
  }, 60_000);

  it('an aborted caller takes no place and does not hold up those behind it', async () => {
    const limits = { rpm: 1, tpm: 1_000, windowMs: 2_000 };
    const limiter = worker('abort', limits);
    await limiter.acquire(1); // the window's only place
    const abort = new AbortController();
    const aborted = limiter.acquire(1, abort.signal);
    const behind = limiter.acquire(1);
    setTimeout(() => abort.abort(new Error('cancelled')), 200);
    await expect(aborted).rejects.toThrow('cancelled');
    await behind; // admitted when the first request left the window
    const rows = await pools.at(-1)!.selectFrom('model_rate_window').select('id').where('model', '=', 'abort').execute();
    expect(rows).toHaveLength(1); // the first one left the window; the aborted one never entered it
  }, 60_000);
});
