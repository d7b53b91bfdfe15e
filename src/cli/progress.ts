/** Where progress goes: stderr, or a test's fake. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  /** Milliseconds since some fixed point (tests pass a fake clock). */
  now?: () => number;
  /**
   * When not a terminal: with nothing settled for this long, a line says the
   * work goes on, so a CI log is never silent for minutes. Default 30 s.
   */
  heartbeatMs?: number;
}

export interface Progress {
  /** One item settled with `outcome` (extracted, failed, …); `name` says which (a file). */
  tick(outcome: string, name?: string): void;
  /** How many have not settled yet. */
  readonly pending: number;
  end(): void;
}

/** "0:07", "12:05", "1:02:03" */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/**
 * Progress on stderr. On a terminal: one line redrawn in place (bar, counts,
 * elapsed time, rate, ETA), updated every second. Otherwise (CI, a log file):
 * one line per item as it settles, and a line every `heartbeatMs` while nothing
 * settles, so that a slow run is never silent.
 */
export function createProgress(total: number, label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const tty = Boolean(stream.isTTY);
  const started = now();
  let lastSettled = started;
  const counts = new Map<string, number>();
  let done = 0;
  let ended = false;

  const timing = () => {
    const elapsed = now() - started;
    const perMinute = elapsed > 0 ? (done / elapsed) * 60_000 : 0;
    const eta = done > 0 && done < total ? formatDuration(((total - done) / done) * elapsed) : null;
    return `${formatDuration(elapsed)} elapsed${done > 0 ? `, ${perMinute.toFixed(1)}/min` : ''}${eta ? `, about ${eta} left` : ''}`;
  };
  const render = () => {
    if (!tty || ended || total <= 1) return;
    const width = 24;
    const filled = Math.round((done / total) * width);
    const parts = [...counts.entries()].map(([k, v]) => `${k} ${v}`).join(', ');
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${parts}${parts ? ' · ' : ''}${timing()}\x1b[K`);
  };

  // Redraws the elapsed time on a terminal; says "still working" in a log. Never keeps the process alive.
  const timer = setInterval(
    () => {
      if (tty) return render();
      if (done < total && now() - lastSettled >= (options.heartbeatMs ?? 30_000)) {
        lastSettled = now();
        stream.write(`${label}: ${done}/${total} settled, ${total - done} still in progress (${timing()})\n`);
      }
    },
    tty ? 1000 : Math.min(options.heartbeatMs ?? 30_000, 5000),
  );
  timer.unref?.();
  render();

  return {
    tick(outcome: string, name?: string) {
      done += 1;
      lastSettled = now();
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      if (tty) render();
      else stream.write(`[${done}/${total}] ${outcome.padEnd(12)} ${name ?? ''}${name ? '  ' : ''}(${timing()})\n`);
    },
    get pending() {
      return total - done;
    },
    end() {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      if (tty && total > 1) stream.write('\n');
    },
  };
}
