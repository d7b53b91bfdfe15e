/**
 * Pool-thread module for `readPdfAttachments` (attachments.ts): pdf.js off the
 * main thread, stoppable by terminating its thread. Protocol: pdfTaskHandler in
 * pdf-threads.ts.
 */
import { readPdfAttachmentsInProcess, type AttachmentWorkerInput } from './attachments.ts';
import { pdfTaskHandler } from './pdf-threads.ts';

export default pdfTaskHandler(async (input: AttachmentWorkerInput, onOpened) => {
  const found = await readPdfAttachmentsInProcess(input);
  onOpened(0);
  return found;
});
