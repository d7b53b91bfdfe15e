import { describe, expect, it } from 'vitest';
import { PdfRejectedError } from '../../src/pdf/pdf-errors.ts';
import { runPdfWorker, STARVED_WALL_FACTOR } from '../../src/pdf/parse-pdf.ts';

const GUARD_WORKER = new URL('../support/guard-workers.ts', import.meta.url);
const LABELS = { verb: 'parsing', pages: (n: number) => `reading ${n} pages` };

describe('the pdf.js thread guard counts CPU time, not wall-clock time', () => {
  it('a thread that burns CPU past its budget is stopped: too_complex', async () => {
    const error: unknown = await runPdfWorker(GUARD_WORKER, { mode: 'burn', ms: 0 }, { openTimeoutMs: 300, msPerPage: 0, maxHeapMb: 64 }, LABELS).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PdfRejectedError);
    expect((error as PdfRejectedError).code).toBe('too_complex');
    expect((error as PdfRejectedError).message).toMatch(/opening the file needed more than 300 ms of CPU time/);
  });

  it('wall-clock time without CPU use is not held against the file (a slow machine is not a complex file)', async () => {
    // 2 s of waiting against a 500 ms CPU budget: a wall-clock deadline would have refused it.
    const result = await runPdfWorker<{ sleptMs: number }>(
      GUARD_WORKER,
      { mode: 'sleep', ms: 2_000 },
      { openTimeoutMs: 500, msPerPage: 0, maxHeapMb: 64 },
      LABELS,
    );
    expect(result).toEqual({ sleptMs: 2_000 });
  });

  it(`a thread starved for more than ${STARVED_WALL_FACTOR}× its budget fails as retryable (the machine), not as a bad file`, async () => {
    const error: unknown = await runPdfWorker(GUARD_WORKER, { mode: 'sleep', ms: 60_000 }, { openTimeoutMs: 50, msPerPage: 0, maxHeapMb: 64 }, LABELS).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(PdfRejectedError);
    expect((error as Error).message).toMatch(/PDF parsing got only .* of CPU time in .*: the machine is overloaded; the work will be retried/);
  });

  it('a thread over its heap cap is stopped: too_complex, naming the cap', async () => {
    const error: unknown = await runPdfWorker(
      new URL('data:text/javascript,const a=[];for(;;)a.push(new Array(1e5).fill(Math.random()))'),
      {},
      { openTimeoutMs: 60_000, msPerPage: 0, maxHeapMb: 32 },
      LABELS,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PdfRejectedError);
    expect((error as PdfRejectedError).code).toBe('too_complex');
    expect((error as PdfRejectedError).message).toMatch(/parsing needed more than 32 MB of memory/);
  });
});
