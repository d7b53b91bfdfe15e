/**
 * Date recognition for the rules tier: numeric (ISO, D/M/Y, M/D/Y, D.M.Y) and
 * textual dates in English, French, German and Dutch, with a day/month order
 * decision driven by the document's locale cues.
 */

/** Which order to assume for an ambiguous numeric date like 03/04/2024. */
export type DateOrder = 'dmy' | 'mdy';

export interface DateOptions {
  /** Order for ambiguous numeric dates (both parts <= 12). Default 'dmy'. */
  order?: DateOrder;
}

export interface DateMatch {
  /** ISO YYYY-MM-DD, a real calendar date. */
  iso: string;
  /** Offset of the match in the searched text. */
  index: number;
  /** The matched text as written. */
  raw: string;
  /**
   * True when the day/month order was a guess (numeric, both parts <= 12, and
   * not written with '.' which is day-first everywhere we care about).
   */
  ambiguous: boolean;
  /** 'numeric' (03/04/2024), 'iso' (2024-04-03) or 'text' (3 April 2024). */
  style: 'numeric' | 'iso' | 'text';
}

const MONTHS: Record<string, number> = {};
function addMonths(n: number, ...names: string[]): void {
  for (const name of names) MONTHS[name] = n;
}
// English, French, German, Dutch full names and common abbreviations (lower case,
// accents kept and also listed without accents as PDFs often lose them).
addMonths(1, 'january', 'jan', 'janvier', 'janv', 'januar', 'jänner', 'jaenner', 'januari');
addMonths(2, 'february', 'feb', 'febr', 'février', 'fevrier', 'févr', 'fevr', 'fév', 'fev', 'februar', 'februari');
addMonths(3, 'march', 'mar', 'mars', 'märz', 'maerz', 'marz', 'mär', 'maart', 'mrt');
addMonths(4, 'april', 'apr', 'avril', 'avr');
addMonths(5, 'may', 'mai', 'mei');
addMonths(6, 'june', 'jun', 'juin', 'juni');
addMonths(7, 'july', 'jul', 'juillet', 'juil', 'juli');
addMonths(8, 'august', 'aug', 'août', 'aout', 'augustus');
addMonths(9, 'september', 'sep', 'sept', 'septembre');
addMonths(10, 'october', 'oct', 'octobre', 'oktober', 'okt');
addMonths(11, 'november', 'nov', 'novembre');
addMonths(12, 'december', 'dec', 'décembre', 'decembre', 'déc', 'dezember', 'dez');

// Longest names first so "juillet" wins over "jul".
const MONTH_ALT = Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .map((m) => m.replace(/\./g, '\\.'))
  .join('|');

const L = '(?<![\\p{L}\\p{N}])'; // left word boundary, Unicode-aware
const R = '(?![\\p{L}\\p{N}])'; // right word boundary
const DAY_SUFFIX = '(?:st|nd|rd|th|er|e|ste|de)?';

const RE_ISO = new RegExp(`${L}(\\d{4})([-/.])(\\d{1,2})\\2(\\d{1,2})${R}`, 'gu');
const RE_NUMERIC = new RegExp(`${L}(\\d{1,2})([-/.])(\\d{1,2})\\2(\\d{4}|\\d{2})${R}(?![.,/-]\\d)`, 'gu');
// 1 March 2024, 1st March, 2024, 1. März 2024, 1er mars 2024, 1st day of March, 2024
const RE_DMY_TEXT = new RegExp(
  `${L}(\\d{1,2})${DAY_SUFFIX}\\.?\\s*(?:day\\s+of\\s+)?(${MONTH_ALT})\\.?,?\\s+(\\d{4})${R}`,
  'giu',
);
// March 1, 2024 / Mar. 1st 2024 / August 3 , 2014
const RE_MDY_TEXT = new RegExp(`${L}(${MONTH_ALT})\\.?\\s+(\\d{1,2})${DAY_SUFFIX}\\s*,?\\s+(\\d{4})${R}`, 'giu');

/** Whether y-m-d is a real calendar date. */
export function isRealDate(y: number, m: number, d: number): boolean {
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d)) return false;
  if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31) return false;
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

function iso(y: number, m: number, d: number): string | null {
  if (!isRealDate(y, m, d)) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function expandYear(y: string): number {
  const n = Number(y);
  if (y.length === 4) return n;
  // Two-digit years: 00-69 -> 2000s, 70-99 -> 1900s.
  return n < 70 ? 2000 + n : 1900 + n;
}

/** Find every date in `text`, in order of position, without overlaps. */
export function findDates(text: string, options: DateOptions = {}): DateMatch[] {
  const order = options.order ?? 'dmy';
  const found: DateMatch[] = [];
  const push = (m: DateMatch | null): void => {
    if (!m) return;
    const end = m.index + m.raw.length;
    if (found.some((f) => m.index < f.index + f.raw.length && f.index < end)) return;
    found.push(m);
  };

  for (const m of text.matchAll(RE_DMY_TEXT)) {
    const month = MONTHS[m[2]!.toLowerCase()];
    if (!month) continue;
    const v = iso(Number(m[3]), month, Number(m[1]));
    if (v) push({ iso: v, index: m.index, raw: m[0], ambiguous: false, style: 'text' });
  }
  for (const m of text.matchAll(RE_MDY_TEXT)) {
    const month = MONTHS[m[1]!.toLowerCase()];
    if (!month) continue;
    const v = iso(Number(m[3]), month, Number(m[2]));
    if (v) push({ iso: v, index: m.index, raw: m[0], ambiguous: false, style: 'text' });
  }
  for (const m of text.matchAll(RE_ISO)) {
    const v = iso(Number(m[1]), Number(m[3]), Number(m[4]));
    if (v) push({ iso: v, index: m.index, raw: m[0], ambiguous: false, style: 'iso' });
  }
  for (const m of text.matchAll(RE_NUMERIC)) {
    const a = Number(m[1]);
    const b = Number(m[3]);
    const sep = m[2]!;
    const y = expandYear(m[4]!);
    let v: string | null = null;
    let ambiguous = false;
    if (a > 12 && b <= 12) v = iso(y, b, a);
    else if (b > 12 && a <= 12) v = iso(y, a, b);
    else if (a <= 12 && b <= 12) {
      // '.' is day-first (German, Dutch, French usage); '/' and '-' follow the locale.
      const dayFirst = sep === '.' || order === 'dmy';
      v = dayFirst ? iso(y, b, a) : iso(y, a, b);
      ambiguous = a !== b && sep !== '.';
    }
    if (v) push({ iso: v, index: m.index, raw: m[0], ambiguous, style: 'numeric' });
  }
  return found.sort((x, y) => x.index - y.index);
}

/**
 * Parse a string that is a date (surrounding whitespace and punctuation allowed),
 * or return null. "garbage", "31/02/2024" and "2024-13-01" give null.
 */
export function parseDate(text: string, options: DateOptions = {}): string | null {
  const trimmed = text.trim().replace(/^[\s:,(]+|[\s,.;)]+$/g, '');
  if (!trimmed) return null;
  const all = findDates(trimmed, options);
  const first = all[0];
  if (!first || all.length !== 1) return null;
  // The date must be (nearly) the whole string.
  const rest = (trimmed.slice(0, first.index) + trimmed.slice(first.index + first.raw.length)).trim();
  if (rest.replace(/[.,]/g, '').length > 0) return null;
  return first.iso;
}

/**
 * Decide the day/month order for a document's ambiguous numeric dates.
 * 1. An unambiguous slash/dash date in the document decides (13/02/2024 is D/M).
 * 2. Otherwise US cues (US dollar, "United States", a US state + ZIP code)
 *    suggest M/D; anything else D/M (the rest of the world).
 */
export function detectDateOrder(text: string): DateOrder {
  let dmy = 0;
  let mdy = 0;
  for (const m of text.matchAll(/(?<!\d)(\d{1,2})[/-](\d{1,2})[/-](?:\d{4}|\d{2})(?!\d)/g)) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    if (a > 12 && b <= 12) dmy++;
    else if (b > 12 && a <= 12) mdy++;
  }
  if (dmy > mdy) return 'dmy';
  if (mdy > dmy) return 'mdy';
  let us = 0;
  if (/\bUnited States\b|\bU\.S\.A?\.?\b|\bUSA\b|\bUS Dollars?\b|\bUSD\b/.test(text)) us += 2;
  if (/\b(?:AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY),? \d{5}(?:-\d{4})?\b/.test(text)) us += 2;
  if (/\$\s?\d/.test(text)) us += 1;
  if (/€|£|₹|\bEUR\b|\bGBP\b|\bINR\b|\bRs\.?\s?\d/.test(text)) us -= 2;
  return us >= 2 ? 'mdy' : 'dmy';
}
