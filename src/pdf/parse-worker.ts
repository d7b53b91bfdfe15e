/**
 * Worker-thread entry for `parsePdf` (parse-pdf.ts): runs pdf.js off the main
 * thread so a pathological file can be stopped with `worker.terminate()` even
 * when pdf.js is stuck in synchronous code. Protocol: see WorkerMessage and
 * servePdfTask in parse-pdf.ts.
 */
import { workerData } from 'node:worker_threads';
import { extractPdfInProcess } from './extract-pdf.ts';
import { servePdfTask, type WorkerInput } from './parse-pdf.ts';

const input = workerData as WorkerInput;
await servePdfTask((onOpened) => extractPdfInProcess(input.bytes, { maxPages: input.maxPages }, { onOpened, ownsBytes: true }));
