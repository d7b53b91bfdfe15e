import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/extraction/gemini/rate-limiter.ts';

/** A fake clock: sleep advances time instantly and records each wait. */
function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleeps,
    advance: (ms: number) => {
      t += ms;
    },
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      t += ms;
    },
  };
}

describe('createRateLimiter', () => {
  it('lets a burst of rpm requests through, then spaces them at 60000/rpm ms', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ rpm: 3, tpm: 1_000_000, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 3; i++) await limiter.acquire(10);
    expect(clock.now()).toBe(0);
    await limiter.acquire(10);
    expect(clock.now()).toBe(20_000);
    await limiter.acquire(10);
    expect(clock.now()).toBe(40_000);
  });

  it('waits for tokens per minute', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ rpm: 1000, tpm: 6000, now: clock.now, sleep: clock.sleep });
    await limiter.acquire(6000);
    expect(clock.now()).toBe(0);
    // 6000 tpm = 0.1 token per ms: 3000 tokens take 30 s to come back.
    await limiter.acquire(3000);
    expect(clock.now()).toBe(30_000);
    clock.advance(60_000);
    await limiter.acquire(6000);
    expect(clock.now()).toBe(90_000);
  });

  it('lets a single request larger than tpm through alone instead of deadlocking', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ rpm: 1000, tpm: 1000, now: clock.now, sleep: clock.sleep });
    await limiter.acquire(500);
    await limiter.acquire(50_000); // waits for a full bucket (500 tokens at 1000/min = 30 s), then drains it
    expect(clock.now()).toBe(30_000);
    await limiter.acquire(100); // the bucket is empty: 100 tokens = 6 s
    expect(clock.now()).toBe(36_000);
  });

  it('serves concurrent callers in arrival order', async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ rpm: 60, tpm: 1_000_000, now: clock.now, sleep: clock.sleep });
    for (let i = 0; i < 60; i++) await limiter.acquire(1);
    const order: string[] = [];
    await Promise.all(
      ['a', 'b', 'c'].map((name) => limiter.acquire(1).then(() => order.push(`${name}@${clock.now()}`))),
    );
    expect(order).toEqual(['a@1000', 'b@2000', 'c@3000']);
  });

  it('gives up on abort without blocking the callers behind', async () => {
    let t = 0;
    const pending: (() => void)[] = [];
    const sleep = (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        pending.push(() => {
          t += ms;
          resolve();
        });
      });
    const limiter = createRateLimiter({ rpm: 1, tpm: 1_000_000, now: () => t, sleep });
    await limiter.acquire(1);
    const controller = new AbortController();
    const first = limiter.acquire(1, controller.signal);
    const second = limiter.acquire(1);
    await new Promise((r) => setTimeout(r, 0));
    controller.abort(new Error('cancelled'));
    await expect(first).rejects.toThrow('cancelled');
    await new Promise((r) => setTimeout(r, 0));
    // The second caller now waits for the request bucket (60 s) and gets through.
    expect(pending).toHaveLength(2);
    pending[1]!();
    await second;
    expect(t).toBe(60_000);
  });
});
