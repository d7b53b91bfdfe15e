/**
 * CPU time of a process and everything it started, read from Linux's /proc: for
 * the benchmark's "where the end-to-end time goes" (the Temporal dev server,
 * the embedded PostgreSQL's postmaster and its backends). Null elsewhere.
 *
 * A process's CPU is utime + stime of itself and of its live descendants, plus
 * cutime + cstime (children that exited and were waited for: PostgreSQL's
 * short-lived backends). Read twice around a phase, the difference is what the
 * phase cost that tree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond: number | null = null;
function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

interface Stat {
  pid: number;
  ppid: number;
  /** utime + stime, ticks. */
  own: number;
  /** cutime + cstime (waited-for children), ticks. */
  children: number;
}

function readStat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is state (field 3); ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
    return { pid, ppid: Number(fields[1]), own: Number(fields[11]) + Number(fields[12]), children: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return null;
  }
}

/** CPU milliseconds used so far by `root` and its descendants; null when /proc cannot tell. */
export function treeCpuMs(root: number | null | undefined): number | null {
  if (!root || process.platform !== 'linux') return null;
  const rootStat = readStat(root);
  if (!rootStat) return null;
  const byParent = new Map<number, Stat[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (!s) continue;
    const siblings = byParent.get(s.ppid);
    if (siblings) siblings.push(s);
    else byParent.set(s.ppid, [s]);
  }
  let ticks = rootStat.own + rootStat.children;
  const queue = [...(byParent.get(root) ?? [])];
  while (queue.length > 0) {
    const s = queue.pop()!;
    ticks += s.own + s.children;
    queue.push(...(byParent.get(s.pid) ?? []));
  }
  return (ticks * 1000) / clockTicks();
}

/** CPU milliseconds of this process (all its threads: the worker's, the pdf.js pool's). */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
