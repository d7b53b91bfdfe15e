/**
 * Worker-thread entry for `renderPages` (render-pages.ts): renders with pdf.js
 * off the main thread so a pathological page can be stopped with
 * `worker.terminate()`. Protocol: WorkerMessage / servePdfTask in parse-pdf.ts.
 */
import { workerData } from 'node:worker_threads';
import { servePdfTask } from './parse-pdf.ts';
import { renderPagesInProcess, type RenderWorkerInput } from './render-pages.ts';

const input = workerData as RenderWorkerInput;
await servePdfTask((onOpened) => renderPagesInProcess(input, { onOpened, ownsBytes: true }));
