import type { Duration } from '../../schemas/index.ts';

/** Calendar arithmetic on ISO `YYYY-MM-DD` dates, in UTC, with no clock. */

export interface YMD {
  year: number;
  month: number; // 1..12
  day: number; // 1..31
}

/** Parses a real calendar date in ISO form; null for anything else (including 2024-02-30). */
export function parseIsoDate(s: string | null | undefined): YMD | null {
  if (typeof s !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return { year, month, day };
}

export function formatIsoDate(d: YMD): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Adds calendar months, clamping the day to the end of the target month (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(d: YMD, months: number): YMD {
  const index = d.year * 12 + (d.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  return { year, month, day: Math.min(d.day, daysInMonth(year, month)) };
}

export function addDays(d: YMD, days: number): YMD {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

export function addDuration(d: YMD, duration: Duration): YMD {
  switch (duration.unit) {
    case 'days':
      return addDays(d, duration.count);
    case 'weeks':
      return addDays(d, duration.count * 7);
    case 'months':
      return addMonths(d, duration.count);
    case 'years':
      return addMonths(d, duration.count * 12);
  }
}

/** Whole days from a to b (negative when b is earlier). */
export function daysBetween(a: YMD, b: YMD): number {
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000);
}

/** Duration in days, approximating months as 30.44 days (for sanity bounds only). */
export function approximateDays(duration: Duration): number {
  const perUnit = { days: 1, weeks: 7, months: 30.44, years: 365.25 } as const;
  return duration.count * perUnit[duration.unit];
}

export function formatDuration(duration: Duration): string {
  const unit = duration.count === 1 ? duration.unit.replace(/s$/, '') : duration.unit;
  return `${duration.count} ${unit}`;
}
