import type { PageText } from '../extraction/model-tier.ts';
import { extractPdfInProcess } from './extract-pdf.ts';
import { guardDefaults, runPdfWorker, stripUndefined, type PdfWorkerGuard } from './pdf-threads.ts';
import { assertLooksLikePdf } from './sniff.ts';

export { PdfRejectedError } from './pdf-errors.ts';
// The admission and thread settings live with the pool (pdf-threads.ts); activities take them from here too.
export { configurePdfGuard, originalsInMemory } from './pdf-threads.ts';
export type { PdfRejectCode } from './pdf-errors.ts';
export { MIN_TEXT_CHARS } from './extract-pdf.ts';

export interface ParsedPdf {
  pageCount: number;
  /** Every page, in page order (pages[i].pageNumber === i + 1). */
  pages: PageText[];
  /** Page numbers (1-based) of the pages with `imageOnly: true`. */
  imageOnlyPages: number[];
}

/**
 * Guards against pathological files. Defaults suit documents up to the
 * configured page limit; tests shorten them. Times are CPU time of the parsing
 * thread, not wall-clock time: a busy machine slows a parse down but does not
 * make a valid file look "too complex".
 */
export interface ParsePdfOptions {
  /** CPU time (ms) the thread may spend opening the document and reading page 1. Default 20 s (DOCROUTE_PARSE_CPU_SECONDS). */
  openTimeoutMs?: number;
  /** Once the page count is known, this much more CPU time (ms) per page, plus openTimeoutMs. Default 500 ms. */
  msPerPage?: number;
  /** V8 heap cap for the parsing thread, in MB. Default 512 (DOCROUTE_PARSE_HEAP_MB). */
  maxHeapMb?: number;
  /**
   * Parse on the calling thread, without the worker (no deadline, no memory
   * cap). For debugging; production code leaves this off.
   */
  inProcess?: boolean;
}

const PARSE_MS_PER_PAGE = 500;

/**
 * Extracts the text of a PDF, page by page.
 *
 * - Text is normalised (see normalize-text.ts): line breaks kept, runs of spaces
 *   collapsed, NUL/control characters removed.
 * - A page is `imageOnly` when it has fewer than MIN_TEXT_CHARS (20) non-space
 *   characters AND it paints an image (or 20+ vector paths, e.g. outlined
 *   text): a scan that needs a vision-capable tier. A page with no text and no
 *   picture is blank: `imageOnly: false`, `text: ''`. The image check reads the
 *   page's operator list and runs only for low-text pages.
 * - Throws PdfRejectedError (final, do not retry) with code 'empty_file',
 *   'not_a_pdf' (no "%PDF-" in the first 1024 bytes), 'encrypted' (pdf.js needs
 *   a user password; files with only an owner password open and are accepted),
 *   'corrupt' (pdf.js cannot repair it), 'too_complex' (parsing needed more
 *   CPU time or memory than the guard allows: a property of the file under
 *   the configured limits, worded apart from damage), 'too_many_pages' (checked right after opening, before reading the
 *   other pages) or 'no_pages'. Any other error is an environment failure
 *   (retryable).
 * - Never hangs: pdf.js runs on a pooled worker thread (warm: pdf.js stays
 *   loaded between documents, see pdf-threads.ts); a task that exceeds its
 *   CPU-time budget (openTimeoutMs to open; then msPerPage per page) or the
 *   thread's heap cap is abandoned and its thread terminated and replaced. A Promise.race on the main thread would not do: in Node, pdf.js
 *   parses on the calling thread, and a stuck synchronous loop would block any
 *   timer there.
 */
export async function parsePdf(
  bytes: Uint8Array,
  limits: { maxPages: number },
  options: ParsePdfOptions = {},
): Promise<ParsedPdf> {
  assertLooksLikePdf(bytes); // cheap rejections without starting a thread
  if (options.inProcess) return extractPdfInProcess(bytes, limits);
  const guard: PdfWorkerGuard = {
    openTimeoutMs: guardDefaults.openTimeoutMs,
    msPerPage: PARSE_MS_PER_PAGE,
    maxHeapMb: guardDefaults.maxHeapMb,
    ...stripUndefined({ openTimeoutMs: options.openTimeoutMs, msPerPage: options.msPerPage, maxHeapMb: options.maxHeapMb }),
  };
  return parseInWorker(bytes, limits.maxPages, guard);
}

/** What parse-worker.ts receives. */
export interface WorkerInput {
  bytes: Uint8Array;
  maxPages: number;
}

function parseInWorker(bytes: Uint8Array, maxPages: number, guard: PdfWorkerGuard): Promise<ParsedPdf> {
  // The thread gets its own copy, moved (not cloned) to it: one copy of the file in flight, the caller's untouched.
  const own = new Uint8Array(bytes); // a copy in a fresh ArrayBuffer (a Buffer's .slice() is a view of a shared pool)
  const input: WorkerInput = { bytes: own, maxPages };
  return runPdfWorker<ParsedPdf>(WORKER_URL, input, guard, { verb: 'parsing', pages: (n) => `reading ${n} pages` }, [own.buffer]);
}

const WORKER_URL = new URL('./parse-worker.ts', import.meta.url);
