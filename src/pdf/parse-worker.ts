/**
 * Pool-thread module for `parsePdf` (parse-pdf.ts): runs pdf.js off the main
 * thread so a pathological file can be stopped by terminating its thread even
 * when pdf.js is stuck in synchronous code. The thread is pooled and serves
 * document after document with pdf.js loaded once. Protocol: pdfTaskHandler in
 * pdf-threads.ts.
 */
import { extractPdfInProcess } from './extract-pdf.ts';
import type { WorkerInput } from './parse-pdf.ts';
import { pdfTaskHandler } from './pdf-threads.ts';

export default pdfTaskHandler((input: WorkerInput, onOpened) =>
  extractPdfInProcess(input.bytes, { maxPages: input.maxPages }, { onOpened, ownsBytes: true }),
);
