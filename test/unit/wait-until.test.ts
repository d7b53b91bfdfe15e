import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { waitUntil } from '../../src/services/temporal.ts';

describe('waiting for a local service: bounded by its own state', () => {
  const quiet = createLogger('error', () => undefined);

  it('returns as soon as the service answers', async () => {
    let calls = 0;
    await waitUntil(async () => ++calls >= 3, { what: 'x', log: quiet, limitMs: 10_000, gone: () => null, timedOut: () => 'late', pollMs: 5 });
    expect(calls).toBe(3);
  });

  it('fails at once, with the reason, when the process has gone', async () => {
    let polls = 0;
    const start = Date.now();
    await expect(
      waitUntil(async () => (polls++, false), {
        what: 'x',
        log: quiet,
        limitMs: 60_000,
        gone: () => (polls >= 2 ? 'exited with code 1: address already in use' : null),
        timedOut: () => 'late',
        pollMs: 5,
      }),
    ).rejects.toThrow('exited with code 1: address already in use');
    expect(Date.now() - start).toBeLessThan(30_000);
  });

  it('keeps waiting while the process lives, up to the upper bound', async () => {
    await expect(
      waitUntil(async () => false, { what: 'x', log: quiet, limitMs: 50, gone: () => null, timedOut: (s) => `still starting after ${s} s`, pollMs: 5 }),
    ).rejects.toThrow(/still starting after \d+ s/);
  });
});
