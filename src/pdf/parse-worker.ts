/**
 * Worker-thread entry for `parsePdf` (parse-pdf.ts): runs pdf.js off the main
 * thread so a pathological file can be stopped with `worker.terminate()` even
 * when pdf.js is stuck in synchronous code. Protocol: see WorkerMessage.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { extractPdfInProcess } from './extract-pdf.ts';
import { PdfRejectedError } from './pdf-errors.ts';
import type { WorkerInput, WorkerMessage } from './parse-pdf.ts';

const port = parentPort;
if (!port) throw new Error('parse-worker.ts must be started as a worker thread by parsePdf()');
const post = (message: WorkerMessage): void => port.postMessage(message);

const input = workerData as WorkerInput;
try {
  const result = await extractPdfInProcess(input.bytes, { maxPages: input.maxPages }, {
    onOpened: (pageCount) => post({ type: 'opened', pageCount }),
  });
  post({ type: 'done', result });
} catch (error) {
  if (error instanceof PdfRejectedError) {
    post({ type: 'rejected', code: error.code, message: error.message });
  } else {
    const e = error instanceof Error ? error : new Error(String(error));
    post({ type: 'failed', name: e.name, message: e.message, stack: e.stack });
  }
}
