/**
 * Worker-thread modules for the pdf.js thread guard tests (test/unit/pdf-guard.test.ts):
 * they answer through servePdfTask like parse-worker.ts, but do something the
 * guard must judge: burn CPU, or wait without using any (a starved thread).
 * Usage: runPdfWorker(new URL('./guard-workers.ts', import.meta.url), { mode, ms }, ...).
 */
import { workerData } from 'node:worker_threads';
import { servePdfTask } from '../../src/pdf/parse-pdf.ts';

const input = workerData as { mode: 'burn' | 'sleep'; ms: number };
await servePdfTask(async () => {
  if (input.mode === 'burn') {
    for (;;) Math.sqrt(Math.random()); // never returns: only the guard can stop it
  }
  // Blocks the thread without using CPU, as a thread the OS does not schedule would look.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, input.ms);
  return { sleptMs: input.ms };
});
