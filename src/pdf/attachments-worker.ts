/**
 * Worker-thread entry for `readPdfAttachments` (attachments.ts): pdf.js off the
 * main thread, stoppable with `worker.terminate()`. Protocol: WorkerMessage /
 * servePdfTask in parse-pdf.ts.
 */
import { workerData } from 'node:worker_threads';
import { readPdfAttachmentsInProcess, type AttachmentWorkerInput } from './attachments.ts';
import { servePdfTask } from './parse-pdf.ts';

const input = workerData as AttachmentWorkerInput;
await servePdfTask(async (onOpened) => {
  const found = await readPdfAttachmentsInProcess(input);
  onOpened(0);
  return found;
});
