/**
 * One way out for every docroute process. What a command starts (dev server,
 * embedded PostgreSQL, worker, API) registers how to stop it here; on SIGINT,
 * SIGTERM, SIGHUP, or when the parent process goes away (a supervisor or script
 * that signalled only `npx`, which then exits without passing the signal on),
 * a long-running command's `untilStopped()` resolves and it closes in order, and
 * a short command's closers run before the process exits with 128 + the signal's
 * number. A second signal exits at once; the children still get SIGTERM from the
 * `exit` handlers their starters installed.
 */
type Closer = () => Promise<unknown>;

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
export type StopReason = keyof typeof SIGNALS | 'parent-exited';

const closers = new Set<Closer>();
const waiters = new Set<(reason: StopReason) => void>();
let installed = false;
let stopping: StopReason | null = null;

/** Registers a closer; returns a function that unregisters it (call it after closing normally). */
export function onShutdown(close: Closer): () => void {
  closers.add(close);
  return () => closers.delete(close);
}

/** Resolves when the process is asked to stop: how `serve`, `worker`, `up` and `watch` wait. */
export function untilStopped(): Promise<StopReason> {
  installShutdownHandlers();
  if (stopping) return Promise.resolve(stopping);
  return new Promise((resolve) => waiters.add(resolve));
}

/** Whether a stop was asked for (e.g. to end a loop between two documents). */
export function stopRequested(): StopReason | null {
  return stopping;
}

/**
 * Installs the signal and parent watch handlers (once). `watchParentMs` is how
 * often the parent pid is checked: when it changes, the parent has died and we
 * were re-parented, and nothing will ever signal us; we stop as on SIGHUP.
 */
export function installShutdownHandlers(options: { watchParentMs?: number } = {}): void {
  if (installed) return;
  installed = true;
  for (const signal of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) {
    process.on(signal, () => stop(signal));
  }
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      stop('parent-exited');
    }
  }, options.watchParentMs ?? 1000);
  timer.unref();
}

function stop(reason: StopReason): void {
  if (stopping) {
    // A second request: no more waiting.
    process.exit(exitCodeOf(reason));
  }
  stopping = reason;
  if (waiters.size > 0) {
    for (const resolve of waiters) resolve(reason);
    waiters.clear();
    return;
  }
  // A short command in the middle of its work: close what it opened, then exit.
  void (async () => {
    const force = setTimeout(() => process.exit(exitCodeOf(reason)), 30_000);
    force.unref();
    for (const close of [...closers].reverse()) await close().catch(() => undefined);
    process.exit(exitCodeOf(reason));
  })();
}

export function exitCodeOf(reason: StopReason): number {
  return reason === 'parent-exited' ? 128 + SIGNALS.SIGHUP : 128 + SIGNALS[reason];
}
