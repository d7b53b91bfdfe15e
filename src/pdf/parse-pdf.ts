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
 * - Never hangs: pdf.js runs in a worker thread that is terminated when it
 *   exceeds its CPU-time budget (openTimeoutMs to open; then msPerPage per page)
 *   or its heap cap. A Promise.race on the main thread would not do: in Node, pdf.js
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
  return runPdfWorker<ParsedPdf>(
    WORKER_URL,
    input,
    guard,
    { verb: 'parsing', pages: (n) => `reading ${n} pages` },
    [own.buffer],
  );
}

const WORKER_URL = new URL('./parse-worker.ts', import.meta.url);

// ---------------------------------------------------------------------------
// Guarded pdf.js worker threads, shared by parsing (parse-worker.ts) and page
// rendering (render-worker.ts, used by render-pages.ts).
// ---------------------------------------------------------------------------

/** CPU-time budget and memory cap for one pdf.js worker thread. */
export interface PdfWorkerGuard {
  /** CPU time (ms) of the thread allowed to open the document (until it posts 'opened'). */
  openTimeoutMs: number;
  /** After 'opened': openTimeoutMs plus this much CPU time (ms) per page the thread announced. */
  msPerPage: number;
  /** V8 heap cap for the thread, in MB. */
  maxHeapMb: number;
}

/** What a pdf.js worker thread posts back (parse-worker.ts, render-worker.ts). */
export type WorkerMessage<R = ParsedPdf> =
  /** The thread has loaded its code and starts the task: its CPU budget counts from here. */
  | { type: 'started' }
  /** The document is open; `pageCount` pages are left to process (the budget is re-armed for them). */
  | { type: 'opened'; pageCount: number }
  | { type: 'done'; result: R }
  | { type: 'rejected'; code: string; message: string }
  | { type: 'failed'; name: string; message: string; stack: string | undefined };

/** Wording of the errors a guarded thread produces. */
export interface PdfWorkerLabels {
  /** 'parsing', 'rendering' */
  verb: string;
  /** What the thread does after 'opened', for the budget message: `reading 3 pages`. */
  pages: (pageCount: number) => string;
}

/**
 * How often the thread's CPU time is read, and how far wall-clock time may run
 * ahead of the CPU budget before the thread is given up as starved (the machine,
 * not the file: a retryable error). At load 20 on 2 cores a thread gets about a
 * tenth of a core; the factor leaves room for twice that.
 */
const CPU_POLL_MS = 200;
export const STARVED_WALL_FACTOR = 20;
/** ... but never less than this: a tiny budget says nothing about starvation. */
export const STARVED_WALL_MIN_MS = 10_000;

/**
 * Threads running pdf.js at once in this process (parsing and rendering share
 * them): bounds the worker's memory at about `threads × maxHeapMb` plus the
 * files in flight. Waiting callers queue; their activities keep heartbeating.
 */
export const pdfThreads = createLimiter(2);

/**
 * Originals held in memory for pdf.js work at once in this process: at most as
 * many as there are pdf.js threads, and together at most DOCROUTE_PARSE_INFLIGHT_MB
 * of file (a file bigger than that runs alone). An activity takes its turn here
 * BEFORE it loads the file: eight activities waiting for two threads must not hold
 * eight 50 MB files, and two 50 MB files at once cost a worker ≈ 5× their size
 * (the original, the thread's copy, pdf.js's decoded streams). Use it around
 * "load the original, run pdf.js on it"; never inside pdfThreads.
 */
export const originalsInMemory = createByteBudget(2, 64 * 1024 * 1024);

/**
 * The process's pdf.js guard from the configuration (DOCROUTE_PARSE_CPU_SECONDS,
 * DOCROUTE_PARSE_HEAP_MB, DOCROUTE_PARSE_THREADS): the CPU time to open a file
 * and the heap cap become the defaults of parsePdf and renderPages, and at most
 * `threads` pdf.js threads run at once. A worker calls it once at start.
 */
export function configurePdfGuard(parse: { cpuMs: number; heapMb: number; threads: number; inflightMb: number }): void {
  guardDefaults.openTimeoutMs = parse.cpuMs;
  guardDefaults.maxHeapMb = parse.heapMb;
  pdfThreads.resize(parse.threads);
  originalsInMemory.resize(parse.threads, parse.inflightMb * 1024 * 1024);
}

/** Defaults every guarded thread starts from (configurePdfGuard sets them). */
export const guardDefaults: { openTimeoutMs: number; maxHeapMb: number } = { openTimeoutMs: 20_000, maxHeapMb: 512 };

/**
 * Runs `workerUrl` (a module that answers through `servePdfTask`) in a worker
 * thread with `workerData`, and settles with what it posts. `workerData` is
 * cloned, except the buffers in `transfer`, which are moved to the thread (the
 * caller must not use them afterwards). At most `pdfThreads`
 * threads run at once; later calls wait their turn.
 *
 * The thread is terminated on completion, or:
 * - when its CPU time, counted from the start of the task (loading the
 *   thread's code is not counted), exceeds its budget (openTimeoutMs to open,
 *   then msPerPage per announced page) → PdfRejectedError 'too_complex';
 * - when it exceeds its heap cap → 'too_complex' ("needed more than N MB");
 * - when wall-clock time exceeds STARVED_WALL_FACTOR times the CPU budget (at
 *   least STARVED_WALL_MIN_MS) while
 *   the thread got less CPU than its budget → a plain (retryable) Error: the
 *   machine is starved, the file is not at fault.
 * A Promise.race on the main thread would not do: in Node, pdf.js runs on the
 * calling thread, and a stuck synchronous loop would block any timer there.
 */
export function runPdfWorker<R>(
  workerUrl: URL,
  workerData: unknown,
  guard: PdfWorkerGuard,
  labels: PdfWorkerLabels,
  transfer: readonly ArrayBuffer[] = [],
): Promise<R> {
  return pdfThreads.run(() => runGuardedThread<R>(workerUrl, workerData, guard, labels, transfer));
}

function runGuardedThread<R>(
  workerUrl: URL,
  workerData: unknown,
  guard: PdfWorkerGuard,
  labels: PdfWorkerLabels,
  transfer: readonly ArrayBuffer[],
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const worker = new Worker(workerUrl, {
      workerData,
      transferList: [...transfer],
      resourceLimits: { maxOldGenerationSizeMb: guard.maxHeapMb },
      stdout: false,
      stderr: false,
    });
    let settled = false;
    let online = false;
    let budgetMs = guard.openTimeoutMs;
    let budgetWhat = 'opening the file';
    // Loading the thread's code (pdf.js) is not the file's doing: the budget counts from 'started'.
    let baselineCpuMs: number | undefined;
    let startedAt = performance.now();
    const finish = (outcome: { ok: true; value: R } | { ok: false; error: unknown }): void => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      void worker.terminate();
      if (outcome.ok) resolve(outcome.value);
      else reject(outcome.error);
    };
    const tooComplex = (detail: string, cause?: unknown) =>
      new PdfRejectedError('too_complex', rejectMessages.tooComplex(detail), cause === undefined ? undefined : { cause });
    const threadCpuMs = async (): Promise<number | undefined> => {
      try {
        const usage = await worker.cpuUsage();
        return (usage.user + usage.system) / 1000;
      } catch {
        return undefined; // the thread is exiting; its 'exit' or 'error' event settles the call
      }
    };
    const check = async (): Promise<void> => {
      if (!online || settled) return;
      const total = await threadCpuMs();
      if (settled || total === undefined) return;
      const cpuMs = total - (baselineCpuMs ?? total);
      if (cpuMs > budgetMs) {
        finish({ ok: false, error: tooComplex(`${budgetWhat} needed more than ${formatSeconds(budgetMs)} of CPU time`) });
        return;
      }
      const wallMs = performance.now() - startedAt;
      if (wallMs > Math.max(STARVED_WALL_FACTOR * budgetMs, STARVED_WALL_MIN_MS)) {
        finish({
          ok: false,
          error: new Error(
            `PDF ${labels.verb} got only ${formatSeconds(cpuMs)} of CPU time in ${formatSeconds(wallMs)}: ` +
              'the machine is overloaded; the work will be retried',
          ),
        });
      }
    };
    const poll = setInterval(() => void check(), CPU_POLL_MS);
    worker.once('online', () => {
      online = true;
    });

    // CPU time the thread has spent on the task (its code loading not counted); undefined when unknown.
    const cpuSinceStart = async (): Promise<number | undefined> => {
      const total = await threadCpuMs();
      return total === undefined || baselineCpuMs === undefined ? undefined : total - baselineCpuMs;
    };
    // Messages are handled one after the other (some wait for the thread's CPU time): a budget is
    // checked when a phase ends, not only by the poll, so a small budget holds on a fast machine too.
    let handled = Promise.resolve();
    worker.on('message', (message: WorkerMessage<R>) => {
      handled = handled.then(() => handle(message)).catch((error: unknown) => finish({ ok: false, error }));
    });
    const handle = async (message: WorkerMessage<R>): Promise<void> => {
      if (settled) return;
      switch (message.type) {
        case 'started':
          startedAt = performance.now();
          baselineCpuMs = (await threadCpuMs()) ?? 0;
          break;
        case 'opened': {
          const used = await cpuSinceStart();
          if (used !== undefined && used > guard.openTimeoutMs) {
            finish({ ok: false, error: tooComplex(`opening the file needed more than ${formatSeconds(guard.openTimeoutMs)} of CPU time`) });
            return;
          }
          budgetMs = guard.openTimeoutMs + guard.msPerPage * message.pageCount;
          budgetWhat = labels.pages(message.pageCount);
          break;
        }
        case 'done': {
          const used = await cpuSinceStart();
          if (used !== undefined && used > budgetMs) {
            finish({ ok: false, error: tooComplex(`${budgetWhat} needed more than ${formatSeconds(budgetMs)} of CPU time`) });
            return;
          }
          finish({ ok: true, value: message.result });
          break;
        }
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
    };
    worker.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        finish({ ok: false, error: tooComplex(`${labels.verb} needed more than ${guard.maxHeapMb} MB of memory`, error) });
      } else {
        finish({ ok: false, error });
      }
    });
    worker.on('exit', (code) => {
      // After the messages it posted before exiting have been handled (a 'done' may still be checking its CPU time).
      handled = handled.then(() =>
        finish({ ok: false, error: new Error(`PDF ${labels.verb} thread exited (code ${code}) without a result`) }),
      );
    });
  });
}

function formatSeconds(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/**
 * A semaphore over two resources: at most `slots` holders, holding at most
 * `bytes` together (a single request above `bytes` is granted alone). Waiters are
 * served in order, so a big file is not starved by a stream of small ones.
 */
function createByteBudget(initialSlots: number, initialBytes: number) {
  let slots = initialSlots;
  let budget = initialBytes;
  let holders = 0;
  let held = 0;
  const waiting: { bytes: number; grant: () => void }[] = [];
  const next = () => {
    while (waiting.length > 0) {
      const head = waiting[0]!;
      const fits = holders === 0 || (holders < slots && held + head.bytes <= budget);
      if (!fits) return;
      waiting.shift();
      holders += 1;
      held += head.bytes;
      head.grant();
    }
  };
  return {
    /** Waits until `sizeBytes` of original may be held; the turn ends when the handle is disposed. */
    async acquire(sizeBytes: number): Promise<Disposable> {
      const bytes = Math.max(0, sizeBytes);
      await new Promise<void>((grant) => {
        waiting.push({ bytes, grant });
        next();
      });
      let holding = true;
      return {
        [Symbol.dispose]: () => {
          if (!holding) return;
          holding = false;
          holders -= 1;
          held -= bytes;
          next();
        },
      };
    },
    async run<T>(sizeBytes: number, task: () => Promise<T>): Promise<T> {
      using _turn = await this.acquire(sizeBytes);
      return await task();
    },
    resize(n: number, bytes: number): void {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`pdf.js threads must be a whole number ≥ 1, not ${n}`);
      slots = n;
      budget = bytes;
      next();
    },
  };
}

/** A counting semaphore: at most `size` tasks run at once, the others wait in order. */
function createLimiter(initial: number) {
  let size = initial;
  let running = 0;
  const waiting: (() => void)[] = [];
  const next = () => {
    while (running < size && waiting.length > 0) {
      running += 1;
      waiting.shift()!();
    }
  };
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        next();
      });
      try {
        return await task();
      } finally {
        running -= 1;
        next();
      }
    },
    resize(n: number): void {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`pdf.js threads must be a whole number ≥ 1, not ${n}`);
      size = n;
      next();
    },
  };
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
  post({ type: 'started' });
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
