import { Decimal } from 'decimal.js';

/**
 * Exact money helpers. Amounts travel as decimal strings ("1234.50"); every
 * comparison and sum goes through decimal.js, never through JS floats.
 */

const DECIMAL_STRING = /^-?\d+(\.\d+)?$/;

/** Parses an exact decimal string; null for null/undefined or anything that is not a plain decimal. */
export function toDecimal(value: string | null | undefined): Decimal | null {
  if (value === null || value === undefined) return null;
  const s = value.trim();
  if (!DECIMAL_STRING.test(s)) return null;
  return new Decimal(s);
}

/** Sum of decimals. */
export function sum(values: readonly Decimal[]): Decimal {
  return values.reduce((acc, v) => acc.plus(v), new Decimal(0));
}

/** True when |a - b| <= tolerance (inclusive). */
export function withinTolerance(a: Decimal, b: Decimal, tolerance: Decimal | string | number): boolean {
  return a.minus(b).abs().lte(new Decimal(tolerance));
}

/** Formats a decimal for messages with at least two decimals ("1190" -> "1190.00", "0.005" stays). */
export function formatAmount(d: Decimal): string {
  return d.decimalPlaces() < 2 ? d.toFixed(2) : d.toFixed();
}

/** Number of digits after the decimal point in an exact decimal string. */
export function decimalPlacesOf(value: string): number {
  const i = value.indexOf('.');
  return i < 0 ? 0 : value.length - i - 1;
}

/**
 * Every exact amount a written number could stand for, as decimals (absolute
 * values). Handles both decimal separators and thousands separators:
 *   "1.234,50" -> [1234.50]; "1,234.50" -> [1234.50]; "1 234,50" -> [1234.50];
 *   "1'234.50" -> [1234.50]; "1.234" -> [1.234, 1234] (ambiguous); "12,5" -> [12.5].
 */
export function interpretWrittenNumber(token: string): Decimal[] {
  // Apostrophes and (non-breaking / thin) spaces are only ever thousands separators.
  const t = token.replace(/['\u2019\s\u00a0\u202f]/g, '');
  if (!/^\d[\d.,]*$/.test(t)) return [];
  const body = t.replace(/[.,]+$/, '');
  if (body === '') return [];
  const dots = (body.match(/\./g) ?? []).length;
  const commas = (body.match(/,/g) ?? []).length;
  const out: Decimal[] = [];
  const push = (s: string): void => {
    if (/^\d+(\.\d+)?$/.test(s)) out.push(new Decimal(s));
  };
  if (dots === 0 && commas === 0) {
    push(body);
  } else if (dots > 0 && commas > 0) {
    const decimalSep = body.lastIndexOf('.') > body.lastIndexOf(',') ? '.' : ',';
    const thousandsSep = decimalSep === '.' ? ',' : '.';
    if ((decimalSep === '.' ? dots : commas) === 1) {
      push(body.split(thousandsSep).join('').replace(',', '.'));
    }
  } else {
    const sep = dots > 0 ? '.' : ',';
    const count = dots + commas;
    const parts = body.split(sep);
    const groupedByThousands = (parts[0] ?? '').length <= 3 && parts.slice(1).every((p) => p.length === 3);
    if (count === 1) push(body.replace(sep, '.'));
    if (groupedByThousands) push(parts.join(''));
  }
  return out;
}

/** Written numbers in free text (with either separator convention), as candidate exact amounts. */
export function amountsInText(text: string): Decimal[] {
  const candidates: Decimal[] = [];
  // Plain tokens: digits with . , ' separators.
  for (const m of text.matchAll(/\d[\d.,'\u2019]*/g)) candidates.push(...interpretWrittenNumber(m[0]));
  // Space-grouped thousands: "1 234,50", "12 345 678.00".
  for (const m of text.matchAll(/\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d{1,6})?/g)) {
    candidates.push(...interpretWrittenNumber(m[0]));
  }
  return candidates;
}

/** True when the exact amount (sign ignored) is written somewhere in the text. */
export function amountAppearsIn(amount: string, text: string): boolean {
  const value = toDecimal(amount);
  if (value === null) return false;
  const target = value.abs();
  return amountsInText(text).some((c) => c.eq(target));
}
