import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgress, formatDuration } from '../../src/cli/progress.ts';

function fakeStream(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (t: string) => out.push(t) } };
}

describe('progress', () => {
  let clock = 0;
  beforeEach(() => {
    clock = 0;
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('formats durations as m:ss or h:mm:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(7_400)).toBe('0:07');
    expect(formatDuration(725_000)).toBe('12:05');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
  });

  it('when not a terminal: one line per settled document with elapsed time, rate and ETA', () => {
    const { out, stream } = fakeStream(false);
    const p = createProgress(4, 'processing', { stream, now: () => clock });
    clock = 30_000;
    p.tick('extracted', 'a.pdf');
    clock = 60_000;
    p.tick('needs_review', 'b.pdf');
    expect(p.pending).toBe(2);
    p.end();
    expect(out).toEqual([
      '[1/4] extracted    a.pdf  (0:30 elapsed, 2.0/min, about 1:30 left)\n',
      '[2/4] needs_review b.pdf  (1:00 elapsed, 2.0/min, about 1:00 left)\n',
    ]);
  });

  it('when not a terminal and nothing settles for the heartbeat interval, says the work goes on; nothing after end()', () => {
    const { out, stream } = fakeStream(false);
    const p = createProgress(3, 'processing', { stream, now: () => clock, heartbeatMs: 10_000 });
    clock = 9_000;
    vi.advanceTimersByTime(9_000);
    expect(out).toEqual([]);
    clock = 10_000;
    vi.advanceTimersByTime(1_000);
    expect(out).toEqual(['processing: 0/3 settled, 3 still in progress (0:10 elapsed)\n']);
    clock = 12_000;
    p.tick('extracted', 'a.pdf');
    clock = 21_000;
    vi.advanceTimersByTime(11_000);
    expect(out).toHaveLength(2);
    clock = 22_000;
    vi.advanceTimersByTime(4_000); // checked every 5 s at most
    expect(out[2]).toBe('processing: 1/3 settled, 2 still in progress (0:22 elapsed, 2.7/min, about 0:44 left)\n');
    p.end();
    clock = 100_000;
    vi.advanceTimersByTime(100_000);
    expect(out).toHaveLength(3);
  });

  it('on a terminal: one line redrawn in place with counts and timing, ended by a newline', () => {
    const { out, stream } = fakeStream(true);
    const p = createProgress(2, 'processing', { stream, now: () => clock });
    clock = 5_000;
    p.tick('extracted', 'a.pdf');
    const last = out[out.length - 1]!;
    expect(last.startsWith('\rprocessing [############............] 1/2 extracted 1 · 0:05 elapsed, 12.0/min, about 0:05 left')).toBe(true);
    expect(out.every((l) => !l.includes('\n'))).toBe(true);
    p.end();
    expect(out[out.length - 1]).toBe('\n');
  });
});
