/** A one-line progress display on a terminal's stderr; silent when stderr is not a TTY. */
export function createProgress(total: number, label: string) {
  const tty = Boolean(process.stderr.isTTY) && total > 1;
  const counts = new Map<string, number>();
  let done = 0;
  const render = () => {
    if (!tty) return;
    const width = 24;
    const filled = Math.round((done / total) * width);
    const parts = [...counts.entries()].map(([k, v]) => `${k} ${v}`).join(', ');
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${parts}\x1b[K`);
  };
  render();
  return {
    tick(outcome: string) {
      done += 1;
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      render();
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}
