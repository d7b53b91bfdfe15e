import { Worker, parentPort } from 'node:worker_threads';
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

function parseInWorker(bytes: Uint8Array, maxPages: number, guard: PdfWorkerGuard): Promise<ParsedPdf> {
  const input: WorkerInput = { bytes, maxPages };
  return runPdfWorker<ParsedPdf>(WORKER_URL, input, guard, {
    verb: 'parsing',
    pages: (n) => `reading ${n} pages`,
  });
}

const WORKER_URL = new URL('./parse-worker.ts', import.meta.url);

// ---------------------------------------------------------------------------
// Guarded pdf.js worker threads, shared by parsing (parse-worker.ts) and page
// rendering (render-worker.ts, used by render-pages.ts).
// ---------------------------------------------------------------------------

/** Deadline and memory cap for one pdf.js worker thread. */
export interface PdfWorkerGuard {
  /** Time allowed to open the document (until the thread posts 'opened'). */
  openTimeoutMs: number;
  /** After 'opened': openTimeoutMs plus this much per page the thread announced. */
  msPerPage: number;
  /** V8 heap cap for the thread, in MB. */
  maxHeapMb: number;
}

/** What a pdf.js worker thread posts back (parse-worker.ts, render-worker.ts). */
export type WorkerMessage<R = ParsedPdf> =
  /** The document is open; `pageCount` pages are left to process (the deadline is re-armed for them). */
  | { type: 'opened'; pageCount: number }
  | { type: 'done'; result: R }
  | { type: 'rejected'; code: string; message: string }
  | { type: 'failed'; name: string; message: string; stack: string | undefined };

/** Wording of the errors a guarded thread produces. */
export interface PdfWorkerLabels {
  /** 'parsing', 'rendering' */
  verb: string;
  /** What the thread does after 'opened', for the timeout message: `reading 3 pages`. */
  pages: (pageCount: number) => string;
}

/**
 * Runs `workerUrl` (a module that answers through `servePdfTask`) in a worker
 * thread with `workerData` (structured clone: the caller's buffers are left
 * untouched), and settles with what it posts. The thread is terminated on
 * completion, when it exceeds its deadline (→ PdfRejectedError 'corrupt', "took
 * longer than") or its heap cap (→ 'corrupt', "needed more than N MB"). A
 * Promise.race on the main thread would not do: in Node, pdf.js runs on the
 * calling thread, and a stuck synchronous loop would block any timer there.
 */
export function runPdfWorker<R>(
  workerUrl: URL,
  workerData: unknown,
  guard: PdfWorkerGuard,
  labels: PdfWorkerLabels,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const worker = new Worker(workerUrl, {
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: guard.maxHeapMb },
      stdout: false,
      stderr: false,
    });
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: { ok: true; value: R } | { ok: false; error: unknown }): void => {
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
    arm(guard.openTimeoutMs, 'opening the file');

    worker.on('message', (message: WorkerMessage<R>) => {
      switch (message.type) {
        case 'opened':
          arm(guard.openTimeoutMs + guard.msPerPage * message.pageCount, labels.pages(message.pageCount));
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
          const Ctor = message.name === 'RangeError' ? RangeError : message.name === 'TypeError' ? TypeError : Error;
          const error = new Ctor(`PDF ${labels.verb} failed: ${message.message}`);
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
            rejectMessages.corrupt(`${labels.verb} needed more than ${guard.maxHeapMb} MB of memory; the file is malformed or pathologically complex`),
            { cause: error },
          ),
        });
      } else {
        finish({ ok: false, error });
      }
    });
    worker.on('exit', (code) => {
      finish({ ok: false, error: new Error(`PDF ${labels.verb} thread exited (code ${code}) without a result`) });
    });
  });
}

/**
 * The worker-thread side of `runPdfWorker`: runs `task` (which calls
 * `onOpened` once the document is open) and posts its result, its
 * PdfRejectedError, or any other failure to the parent thread.
 */
export async function servePdfTask<R>(task: (onOpened: (pageCount: number) => void) => Promise<R>): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('a pdf.js worker module must be started as a worker thread by runPdfWorker()');
  const post = (message: WorkerMessage<R>): void => port.postMessage(message);
  try {
    const result = await task((pageCount) => post({ type: 'opened', pageCount }));
    post({ type: 'done', result });
  } catch (error) {
    if (error instanceof PdfRejectedError) {
      post({ type: 'rejected', code: error.code, message: error.message });
    } else {
      const e = error instanceof Error ? error : new Error(String(error));
      post({ type: 'failed', name: e.name, message: e.message, stack: e.stack });
    }
  }
}

export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
