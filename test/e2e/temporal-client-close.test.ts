import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const CHILD = path.resolve(import.meta.dirname, '..', 'support', 'close-while-retrying.ts');

async function closeWhileRetrying(kind: 'safe' | 'plain'): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CHILD, inject('temporalAddress'), kind], { timeout: 60_000 });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/*
 * A command that ends while Temporal is unreachable (its calls retrying on
 * timers) must not die on those timers: `docroute ingest` exited 1 that way in
 * the chaos run after every document had settled.
 */
describe('closing a Temporal client connection while calls are retrying', () => {
  it('the SDK connection alone throws "Channel has been shut down" from a retry timer (the failure this guards against)', async () => {
    const { code, out } = await closeWhileRetrying('plain');
    expect(code).not.toBe(0);
    expect(out).toContain('Channel has been shut down');
  }, 60_000);

  it('connectTemporalClient closes cleanly: pending retries fire first and are not retried again', async () => {
    const { code, out } = await closeWhileRetrying('safe');
    expect(out).not.toContain('Channel has been shut down');
    expect(out).toMatch(/call failed: /);
    expect(out).toContain('closed cleanly');
    expect(code).toBe(0);
  }, 60_000);
});
