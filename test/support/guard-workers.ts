/**
 * Pool-thread module for the pdf.js thread guard tests (test/unit/pdf-guard.test.ts):
 * it answers through pdfTaskHandler like parse-worker.ts, but does something the
 * guard must judge: burn CPU, wait without using any (a starved thread), grow its
 * heap without bound, or answer at once (to see which thread served it).
 * Usage: runPdfWorker(new URL('./guard-workers.ts', import.meta.url), { mode, ms }, ...).
 */
import { threadId } from 'node:worker_threads';
import { pdfTaskHandler } from '../../src/pdf/pdf-threads.ts';

export default pdfTaskHandler(async (input: { mode: 'burn' | 'sleep' | 'grow' | 'thread'; ms: number }) => {
  if (input.mode === 'burn') {
    for (;;) Math.sqrt(Math.random()); // never returns: only the guard can stop it
  }
  if (input.mode === 'grow') {
    const held: number[][] = [];
    for (;;) held.push(new Array(1e5).fill(Math.random())); // never returns: only the heap cap can stop it
  }
  if (input.mode === 'thread') return { threadId };
  // Blocks the thread without using CPU, as a thread the OS does not schedule would look.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, input.ms);
  return { sleptMs: input.ms };
});
