import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it, onTestFinished } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * The CI-sized chaos run (scripts/chaos.ts): 2 workers, 30 documents, 20
 * SIGKILLs at random moments, one 20-s Postgres stop, one Temporal restart; its
 * own Postgres and Temporal, every process stopped at the end. Asserts 0 lost,
 * 0 duplicated and every document as in a calm run. The full-size run and its
 * figures: the README's "Crashes and outages".
 */
describe('chaos: worker SIGKILLs, a Postgres outage and a Temporal restart', () => {
  it('crashes and outages lose nothing, duplicate nothing and change nothing', { timeout: 30 * 60_000 }, async () => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'scripts', 'chaos.ts'), '--docs', '30', '--kills', '20', '--workers', '2', '--pg-outage-s', '20'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        // The Temporal CLI the test run installed (or found), for the script's own dev server.
        env: { ...process.env, PATH: [inject('temporalCliDir'), process.env.PATH].filter(Boolean).join(path.delimiter) },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // However the test ends (a timeout too), the script is told to stop what it started.
    onTestFinished(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    });
    const code = await exited;
    const figures = JSON.parse(out) as {
      lost: number;
      duplicated: number;
      differingFromCalm: number;
      failedByFaults: number;
      kills: number;
      ingestExitCodes: { calm: number | null; chaos: number | null };
    };
    expect(figures.kills).toBe(20);
    // `docroute ingest --wait` printed every result and exited 0 through the outages, as in the calm run.
    expect(figures.ingestExitCodes).toEqual({ calm: 0, chaos: 0 });
    expect(figures).toMatchObject({ lost: 0, duplicated: 0, failedByFaults: 0, differingFromCalm: 0 });
    expect(code).toBe(0);
  });
});
