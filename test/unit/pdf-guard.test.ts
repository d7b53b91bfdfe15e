import { afterEach, describe, expect, it } from 'vitest';
import { PdfRejectedError } from '../../src/pdf/pdf-errors.ts';
import { closePdfThreads, configurePdfGuard, runPdfWorker, STARVED_WALL_FACTOR } from '../../src/pdf/pdf-threads.ts';

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
    const error: unknown = await runPdfWorker(GUARD_WORKER, { mode: 'grow', ms: 0 }, { openTimeoutMs: 60_000, msPerPage: 0, maxHeapMb: 32 }, LABELS).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PdfRejectedError);
    expect((error as PdfRejectedError).code).toBe('too_complex');
    expect((error as PdfRejectedError).message).toMatch(/parsing needed more than 32 MB of memory/);
    // The pool is not harmed: the next task with the same cap runs on a fresh thread.
    const next = await runPdfWorker<{ threadId: number }>(GUARD_WORKER, { mode: 'thread', ms: 0 }, { openTimeoutMs: 60_000, msPerPage: 0, maxHeapMb: 32 }, LABELS);
    expect(next.threadId).toBeGreaterThan(0);
  });
});

describe('the pdf.js threads are pooled: warm between tasks, replaced after a kill', () => {
  const GUARD = { openTimeoutMs: 5_000, msPerPage: 0, maxHeapMb: 48 };
  const threadOf = async () => (await runPdfWorker<{ threadId: number }>(GUARD_WORKER, { mode: 'thread', ms: 0 }, GUARD, LABELS)).threadId;

  afterEach(async () => {
    configurePdfGuard({ cpuMs: 20_000, heapMb: 512, threads: 2, inflightMb: 64, recycleDocs: 200, idleSeconds: 120 });
    await closePdfThreads();
  });

  it('one after the other, tasks run on the same thread (no thread start, no module load per task)', async () => {
    const first = await threadOf();
    expect(await threadOf()).toBe(first);
    expect(await threadOf()).toBe(first);
  });

  it('a task stopped by the guard takes its thread down; the next task runs on a fresh thread', async () => {
    const before = await threadOf();
    const error: unknown = await runPdfWorker(GUARD_WORKER, { mode: 'burn', ms: 0 }, { ...GUARD, openTimeoutMs: 200 }, LABELS).catch((e: unknown) => e);
    expect((error as PdfRejectedError).code).toBe('too_complex');
    const after = await threadOf();
    expect(after).not.toBe(before);
    expect(await threadOf()).toBe(after);
  });

  it('threads are recycled after DOCROUTE_PARSE_RECYCLE_DOCS documents each', async () => {
    configurePdfGuard({ cpuMs: 20_000, heapMb: 512, threads: 1, inflightMb: 64, recycleDocs: 3, idleSeconds: 120 });
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push(await threadOf());
    expect(new Set(ids.slice(0, 3)).size).toBe(1);
    expect(new Set(ids.slice(3, 6)).size).toBe(1);
    expect(ids[3]).not.toBe(ids[0]);
    expect(ids[6]).not.toBe(ids[3]);
  });
});
