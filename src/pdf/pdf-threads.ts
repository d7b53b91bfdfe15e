import { MessageChannel, threadId, type MessagePort, type Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { PdfRejectedError, isPdfRejectCode, rejectMessages } from './pdf-errors.ts';

// ---------------------------------------------------------------------------
// Guarded pdf.js worker threads, shared by parsing (parse-worker.ts), page
// rendering (render-worker.ts) and attachments (attachments-worker.ts).
//
// The threads are pooled (piscina) and stay warm: a thread loads pdf.js once and
// then serves document after document, instead of a thread start and a pdf.js
// load per document (which cost 5× the parse itself). The guard is per task,
// not per thread: each task's CPU time is counted from its own start, and a
// task that breaks its budget or the heap cap takes its thread down with it
// (piscina terminates it on abort, and replaces it when the next task comes).
// ---------------------------------------------------------------------------

/** CPU-time budget and memory cap for one pdf.js task. */
export interface PdfWorkerGuard {
  /** CPU time (ms) of the thread allowed to open the document (until it posts 'opened'). */
  openTimeoutMs: number;
  /** After 'opened': openTimeoutMs plus this much CPU time (ms) per page the thread announced. */
  msPerPage: number;
  /** V8 heap cap for the thread, in MB. */
  maxHeapMb: number;
}

/** Wording of the errors a guarded thread produces. */
export interface PdfWorkerLabels {
  /** 'parsing', 'rendering' */
  verb: string;
  /** What the thread does after 'opened', for the budget message: `reading 3 pages`. */
  pages: (pageCount: number) => string;
}

/** What a task posts on its progress port while it runs (pdfTaskHandler). */
type ProgressMessage =
  /** The task starts on thread `threadId`, whose CPU time is then `cpuMs`: its budget counts from here. */
  | { type: 'started'; threadId: number; cpuMs: number }
  /** The document is open; `pageCount` pages are left to process (the budget is re-armed for them). */
  | { type: 'opened'; pageCount: number; cpuMs: number };

/**
 * What a task returns. The CPU figures are the thread's own count, taken when
 * the phase ended: the budget is checked on them exactly, whatever the machine's
 * load, and whatever order the progress port and the result arrive in.
 */
export type TaskOutcome<R> = { openedCpuMs: number | undefined; pageCount: number | undefined; cpuMs: number } & (
  | { type: 'done'; result: R }
  | { type: 'rejected'; code: string; message: string }
  | { type: 'failed'; name: string; message: string; stack: string | undefined }
);

/** What a pool thread receives per task. */
export interface PdfTask<I> {
  input: I;
  progress: MessagePort;
}

/**
 * How often a running task's CPU time is read, and how far wall-clock time may
 * run ahead of the CPU budget before the task is given up as starved (the
 * machine, not the file: a retryable error). At load 20 on 2 cores a thread gets
 * about a tenth of a core; the factor leaves room for twice that.
 */
const CPU_POLL_MS = 200;
export const STARVED_WALL_FACTOR = 20;
/** ... but never less than this: a tiny budget says nothing about starvation. */
export const STARVED_WALL_MIN_MS = 10_000;

/** The process's pdf.js thread settings (configurePdfGuard sets them from the configuration). */
export const guardDefaults: { openTimeoutMs: number; maxHeapMb: number } = { openTimeoutMs: 20_000, maxHeapMb: 512 };
const poolSettings = { threads: 2, recycleAfterDocs: 200, idleMs: 120_000 };

/**
 * Tasks running pdf.js at once in this process (parsing and rendering share
 * them): bounds the worker's memory at about `threads × maxHeapMb` plus the
 * files in flight. Waiting callers queue; their activities keep heartbeating.
 * Each pool has as many threads as this allows, so a task never waits inside a pool.
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
 * The process's pdf.js guard from the configuration (DOCROUTE_PARSE_*): the CPU
 * time to open a file and the heap cap become the defaults of parsePdf and
 * renderPages; at most `threads` pdf.js tasks run at once, on pooled threads that
 * are replaced after about `recycleDocs` documents each and closed after
 * `idleSeconds` without work. A worker calls it once at start.
 */
export function configurePdfGuard(parse: {
  cpuMs: number;
  heapMb: number;
  threads: number;
  inflightMb: number;
  recycleDocs: number;
  idleSeconds: number;
}): void {
  guardDefaults.openTimeoutMs = parse.cpuMs;
  guardDefaults.maxHeapMb = parse.heapMb;
  pdfThreads.resize(parse.threads);
  originalsInMemory.resize(parse.threads, parse.inflightMb * 1024 * 1024);
  poolSettings.threads = parse.threads;
  poolSettings.recycleAfterDocs = parse.recycleDocs;
  poolSettings.idleMs = parse.idleSeconds * 1000;
  retireAllPools(); // the next task starts pools with the new settings
}

// ---------------------------------------------------------------------------
// Pools: one per worker module and heap cap (a thread's heap cap is fixed when it starts).
// ---------------------------------------------------------------------------

interface PoolEntry {
  pool: Piscina;
  /** Tasks started on this pool; past `retireAfter` the pool is replaced (its threads recycled). */
  tasks: number;
  retireAfter: number;
}

const pools = new Map<string, PoolEntry>();

/**
 * A task whose input is at least this big ends its pool's threads once it is done. A thread
 * keeps the heap a big document made it grow (V8 gives little of it back while the isolate
 * lives), and each pool (parse, attachments, rendering) has threads of its own: a few warm
 * threads that each once held a 49 MiB file took a worker past 1 GiB. Ending them frees it
 * all; the next task starts a fresh thread (pdf.js loads again, ≈ 0.2 s), a small price next
 * to reading such a file.
 */
const BIG_INPUT_BYTES = 16 * 1024 * 1024;

function inputBytes(input: unknown, transfer: readonly ArrayBuffer[]): number {
  const own = (input as { bytes?: unknown } | null)?.bytes;
  const cloned = own instanceof Uint8Array && !transfer.includes(own.buffer as ArrayBuffer) ? own.byteLength : 0;
  return cloned + transfer.reduce((sum, b) => sum + b.byteLength, 0);
}

function poolKey(workerUrl: URL, maxHeapMb: number): string {
  return `${maxHeapMb}|${workerUrl.href}`;
}

function poolFor(workerUrl: URL, maxHeapMb: number): PoolEntry {
  const key = poolKey(workerUrl, maxHeapMb);
  const existing = pools.get(key);
  if (existing && existing.tasks < existing.retireAfter) return existing;
  if (existing) retire(key, existing);
  const entry: PoolEntry = {
    pool: new Piscina({
      minThreads: 0,
      maxThreads: poolSettings.threads,
      idleTimeout: poolSettings.idleMs,
      resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
      // Plain message passing: an idle thread waiting in Atomics.wait would not run pdf.js's own timers.
      atomics: 'disabled',
    }),
    tasks: 0,
    // Recycled as a whole once its threads have served about recycleAfterDocs documents each: a long-lived
    // pdf.js keeps caches (fonts, CMaps) and V8 fragments, and a fresh thread starts from nothing.
    retireAfter: poolSettings.recycleAfterDocs * poolSettings.threads,
  };
  // A thread that dies while idle is reported here, not to a task: piscina replaces it when work comes.
  entry.pool.on('error', () => undefined);
  pools.set(key, entry);
  return entry;
}

function retire(key: string, entry: PoolEntry): void {
  if (pools.get(key) === entry) pools.delete(key);
  // Lets its running tasks finish, then ends its threads.
  void entry.pool.close().catch(() => undefined);
}

function retireAllPools(): void {
  for (const [key, entry] of [...pools]) retire(key, entry);
}

/** Ends every pooled pdf.js thread now (tests, scripts that want to exit at once); the next task starts new ones. */
export async function closePdfThreads(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((e) => e.pool.destroy().catch(() => undefined)));
}

/**
 * Runs `workerUrl` (a module whose default export is a `pdfTaskHandler`) on a
 * pooled, warm thread with `input`, and settles with what it returns. `input` is
 * cloned, except the buffers in `transfer`, which are moved to the thread (the
 * caller must not use them afterwards). At most `pdfThreads` tasks run at
 * once; later calls wait their turn.
 *
 * The task is abandoned, and its thread terminated (a fresh one replaces it):
 * - when its CPU time, counted from the start of the task (starting the thread
 *   and loading the module are not counted), exceeds its budget (openTimeoutMs
 *   to open, then msPerPage per announced page) → PdfRejectedError 'too_complex';
 * - when the thread exceeds its heap cap → 'too_complex' ("needed more than N MB");
 * - when wall-clock time exceeds STARVED_WALL_FACTOR times the CPU budget (at
 *   least STARVED_WALL_MIN_MS) while the task got less CPU than its budget → a
 *   plain (retryable) Error: the machine is starved, the file is not at fault.
 * A Promise.race on the main thread would not do: in Node, pdf.js runs on the
 * calling thread, and a stuck synchronous loop would block any timer there.
 */
export function runPdfWorker<R>(
  workerUrl: URL,
  input: unknown,
  guard: PdfWorkerGuard,
  labels: PdfWorkerLabels,
  transfer: readonly ArrayBuffer[] = [],
): Promise<R> {
  return pdfThreads.run(() => runGuardedTask<R>(workerUrl, input, guard, labels, transfer));
}

function runGuardedTask<R>(
  workerUrl: URL,
  input: unknown,
  guard: PdfWorkerGuard,
  labels: PdfWorkerLabels,
  transfer: readonly ArrayBuffer[],
): Promise<R> {
  const entry = poolFor(workerUrl, guard.maxHeapMb);
  entry.tasks += 1;
  const { pool } = entry;
  const big = inputBytes(input, transfer) >= BIG_INPUT_BYTES;
  const settledTask = new Promise<R>((resolve, reject) => {
    const { port1: progress, port2: threadSide } = new MessageChannel();
    const abort = new AbortController();
    let settled = false;
    let thread: Worker | undefined;
    let baselineCpuMs: number | undefined;
    let startedAt = performance.now();
    let budgetMs = guard.openTimeoutMs;
    let budgetWhat = 'opening the file';
    let poll: ReturnType<typeof setInterval> | undefined;

    const finish = (outcome: { ok: true; value: R } | { ok: false; error: unknown }, stopThread = false): void => {
      if (settled) return;
      settled = true;
      if (poll) clearInterval(poll);
      progress.close();
      if (stopThread) abort.abort(); // piscina terminates the thread running the task
      if (outcome.ok) resolve(outcome.value);
      else reject(outcome.error);
    };
    const tooComplex = (detail: string, cause?: unknown) =>
      new PdfRejectedError('too_complex', rejectMessages.tooComplex(detail), cause === undefined ? undefined : { cause });
    const overBudget = (what: string, ms: number) => tooComplex(`${what} needed more than ${formatSeconds(ms)} of CPU time`);

    const check = async (): Promise<void> => {
      if (settled || !thread || baselineCpuMs === undefined) return;
      let total: number;
      try {
        const usage = await thread.cpuUsage();
        total = (usage.user + usage.system) / 1000;
      } catch {
        return; // the thread is exiting; the task's own outcome settles the call
      }
      if (settled) return;
      const cpuMs = total - baselineCpuMs;
      if (cpuMs > budgetMs) {
        finish({ ok: false, error: overBudget(budgetWhat, budgetMs) }, true);
        return;
      }
      const wallMs = performance.now() - startedAt;
      if (wallMs > Math.max(STARVED_WALL_FACTOR * budgetMs, STARVED_WALL_MIN_MS)) {
        finish(
          {
            ok: false,
            error: new Error(
              `PDF ${labels.verb} got only ${formatSeconds(cpuMs)} of CPU time in ${formatSeconds(wallMs)}: ` +
                'the machine is overloaded; the work will be retried',
            ),
          },
          true,
        );
      }
    };

    progress.on('message', (message: ProgressMessage) => {
      if (settled) return;
      if (message.type === 'started') {
        startedAt = performance.now();
        baselineCpuMs = message.cpuMs;
        thread = pool.threads.find((w) => w.threadId === message.threadId);
        poll ??= setInterval(() => void check(), CPU_POLL_MS);
      } else if (message.cpuMs > guard.openTimeoutMs) {
        finish({ ok: false, error: overBudget('opening the file', guard.openTimeoutMs) }, true);
      } else {
        budgetMs = guard.openTimeoutMs + guard.msPerPage * message.pageCount;
        budgetWhat = labels.pages(message.pageCount);
      }
    });

    const task: PdfTask<unknown> = { input, progress: threadSide };
    pool
      .run(task, { filename: workerUrl.href, signal: abort.signal, transferList: [threadSide, ...transfer] })
      .then(
        (outcome: TaskOutcome<R>) => {
          if (settled) return;
          // Checked again on the thread's own figures: the poll may not have seen a short phase.
          if (outcome.openedCpuMs !== undefined && outcome.openedCpuMs > guard.openTimeoutMs) {
            finish({ ok: false, error: overBudget('opening the file', guard.openTimeoutMs) });
            return;
          }
          if (outcome.pageCount !== undefined) {
            const budget = guard.openTimeoutMs + guard.msPerPage * outcome.pageCount;
            if (outcome.cpuMs > budget) {
              finish({ ok: false, error: overBudget(labels.pages(outcome.pageCount), budget) });
              return;
            }
          } else if (outcome.cpuMs > guard.openTimeoutMs) {
            finish({ ok: false, error: overBudget('opening the file', guard.openTimeoutMs) });
            return;
          }
          switch (outcome.type) {
            case 'done':
              finish({ ok: true, value: outcome.result });
              break;
            case 'rejected':
              finish({
                ok: false,
                error: isPdfRejectCode(outcome.code) ? new PdfRejectedError(outcome.code, outcome.message) : new Error(outcome.message),
              });
              break;
            case 'failed': {
              const Ctor = outcome.name === 'RangeError' ? RangeError : outcome.name === 'TypeError' ? TypeError : Error;
              const error = new Ctor(`PDF ${labels.verb} failed: ${outcome.message}`);
              error.name = outcome.name;
              if (outcome.stack) error.stack = outcome.stack;
              finish({ ok: false, error });
              break;
            }
          }
        },
        (error: Error & { code?: string }) => {
          if (settled) return; // our own abort
          if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
            finish({ ok: false, error: tooComplex(`${labels.verb} needed more than ${guard.maxHeapMb} MB of memory`, error) });
          } else {
            finish({ ok: false, error: new Error(`PDF ${labels.verb} thread ended without a result: ${error.message}`, { cause: error }) });
          }
        },
      );
  });
  if (!big) return settledTask;
  const retireIfBig = () => retire(poolKey(workerUrl, guard.maxHeapMb), entry);
  return settledTask.finally(retireIfBig);
}

function formatSeconds(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

// ---------------------------------------------------------------------------
// The thread side
// ---------------------------------------------------------------------------

/** This thread's CPU time so far, in ms (the same clock `Worker.cpuUsage()` reads from outside). */
function threadCpuMs(): number {
  const usage = process.threadCpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * The thread side of `runPdfWorker`: a worker module's default export is
 * `pdfTaskHandler(task)`, where `task` does the work and calls `onOpened` once
 * the document is open. The handler reports its start and the end of the open
 * phase on the task's progress port, and returns the task's result, its
 * PdfRejectedError, or any other failure as a value, with its CPU figures.
 */
export function pdfTaskHandler<I, R>(
  task: (input: I, onOpened: (pageCount: number) => void) => Promise<R>,
): (job: PdfTask<I>) => Promise<TaskOutcome<R>> {
  return async ({ input, progress }) => {
    const post = (message: ProgressMessage): void => progress.postMessage(message);
    const start = threadCpuMs();
    const used = () => threadCpuMs() - start;
    let openedCpuMs: number | undefined;
    let pageCount: number | undefined;
    post({ type: 'started', threadId, cpuMs: start });
    try {
      const result = await task(input, (n) => {
        openedCpuMs = used();
        pageCount = n;
        post({ type: 'opened', pageCount: n, cpuMs: openedCpuMs });
      });
      return { type: 'done', result, openedCpuMs, pageCount, cpuMs: used() };
    } catch (error) {
      if (error instanceof PdfRejectedError) return { type: 'rejected', code: error.code, message: error.message, openedCpuMs, pageCount, cpuMs: used() };
      const e = error instanceof Error ? error : new Error(String(error));
      return { type: 'failed', name: e.name, message: e.message, stack: e.stack, openedCpuMs, pageCount, cpuMs: used() };
    } finally {
      progress.close();
    }
  };
}

// ---------------------------------------------------------------------------
// Admission
// ---------------------------------------------------------------------------

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

export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
