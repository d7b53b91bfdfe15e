/**
 * Pool-thread module for `renderPages` (render-pages.ts): renders with pdf.js
 * off the main thread so a pathological page can be stopped by terminating its
 * thread. Protocol: pdfTaskHandler in pdf-threads.ts.
 */
import { pdfTaskHandler } from './pdf-threads.ts';
import { renderPagesInProcess, type RenderWorkerInput } from './render-pages.ts';

export default pdfTaskHandler((input: RenderWorkerInput, onOpened) => renderPagesInProcess(input, { onOpened, ownsBytes: true }));
