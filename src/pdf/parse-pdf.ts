import { Worker } from 'node:worker_threads';
import type { PageText } from '../extraction/model-tier.ts';
import { extractPdfInProcess } from './extract-pdf.ts';
import { PdfRejectedError, isPdfRejectCode, rejectMessages } from './pdf-errors.ts';
import { assertLooksLikePdf } from './sniff.ts';

export { PdfRejectedError } from './pdf-errors.ts';
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
 * configured page limit; tests shorten them.
 */
export interface ParsePdfOptions {
  /** Time allowed to open the document and read page 1. Default 20 s. */
  openTimeoutMs?: number;
  /** Once the page count is known, the time left is this per page, plus openTimeoutMs. Default 500 ms. */
  msPerPage?: number;
  /** V8 heap cap for the parsing thread, in MB. Default 1024. */
  maxHeapMb?: number;
  /**
   * Parse on the calling thread, without the worker (no deadline, no memory
   * cap). For debugging; production code leaves this off.
   */
  inProcess?: boolean;
}

const DEFAULTS = { openTimeoutMs: 20_000, msPerPage: 500, maxHeapMb: 1024 } as const;

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
 *   'corrupt' (pdf.js cannot repair it, or parsing exceeded the time/memory
 *   guard), 'too_many_pages' (checked right after opening, before reading the
 *   other pages) or 'no_pages'. Any other error is an environment failure
 *   (retryable).
 * - Never hangs: pdf.js runs in a worker thread that is terminated when it
 *   exceeds its deadline (openTimeoutMs to open; then msPerPage per page) or its
 *   heap cap. A Promise.race on the main thread would not do: in Node, pdf.js
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
  return parseInWorker(bytes, limits.maxPages, { ...DEFAULTS, ...stripUndefined(options) });
}

/** What parse-worker.ts receives. */
export interface WorkerInput {
  bytes: Uint8Array;
  maxPages: number;
}

/** What parse-worker.ts posts back. */
export type WorkerMessage =
  | { type: 'opened'; pageCount: number }
  | { type: 'done'; result: ParsedPdf }
  | { type: 'rejected'; code: string; message: string }
  | { type: 'failed'; name: string; message: string; stack: string | undefined };

const WORKER_URL = new URL('./parse-worker.ts', import.meta.url);

function parseInWorker(
  bytes: Uint8Array,
  maxPages: number,
  opts: { openTimeoutMs: number; msPerPage: number; maxHeapMb: number },
): Promise<ParsedPdf> {
  return new Promise<ParsedPdf>((resolve, reject) => {
    const input: WorkerInput = { bytes, maxPages };
    const worker = new Worker(WORKER_URL, {
      workerData: input, // structured clone: the caller's buffer is left untouched
      resourceLimits: { maxOldGenerationSizeMb: opts.maxHeapMb },
      stdout: false,
      stderr: false,
    });
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: { ok: true; value: ParsedPdf } | { ok: false; error: unknown }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if (outcome.ok) resolve(outcome.value);
      else reject(outcome.error);
    };
    const arm = (ms: number, what: string): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        finish({
          ok: false,
          error: new PdfRejectedError(
            'corrupt',
            rejectMessages.corrupt(`${what} took longer than ${Math.round(ms / 1000)} s; the file is malformed or pathologically complex`),
          ),
        });
      }, ms);
    };
    arm(opts.openTimeoutMs, 'opening the file');

    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'opened':
          arm(opts.openTimeoutMs + opts.msPerPage * message.pageCount, `reading ${message.pageCount} pages`);
          break;
        case 'done':
          finish({ ok: true, value: message.result });
          break;
        case 'rejected':
          finish({
            ok: false,
            error: isPdfRejectCode(message.code)
              ? new PdfRejectedError(message.code, message.message)
              : new Error(message.message),
          });
          break;
        case 'failed': {
          const error = new Error(`PDF parsing failed: ${message.message}`);
          error.name = message.name;
          if (message.stack) error.stack = message.stack;
          finish({ ok: false, error });
          break;
        }
      }
    });
    worker.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        finish({
          ok: false,
          error: new PdfRejectedError(
            'corrupt',
            rejectMessages.corrupt(`parsing needed more than ${opts.maxHeapMb} MB of memory; the file is malformed or pathologically complex`),
            { cause: error },
          ),
        });
      } else {
        finish({ ok: false, error });
      }
    });
    worker.on('exit', (code) => {
      finish({ ok: false, error: new Error(`PDF parsing thread exited (code ${code}) without a result`) });
    });
  });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
