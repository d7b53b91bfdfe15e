/**
 * Money recognition for the rules tier: amounts with either decimal separator and
 * any common thousands separator, with currency symbols and codes. Values are
 * returned as exact decimal strings ("1234.56"), never as JS numbers.
 */
import { isIsoCurrency } from '../../../schemas/currencies.ts';

export interface AmountMatch {
  /** Exact decimal string, e.g. "1234.56" or "-9.32". */
  value: string;
  index: number;
  raw: string;
  /** Currency written next to the amount (symbol or code), if any. */
  currency: string | null;
  /** True when followed by '%': a rate, not money. */
  percent: boolean;
  /** Number of decimals written (0 for "1939"). */
  decimals: number;
}

/** Currency symbols and words, mapped to ISO 4217. "$" alone is read as USD. */
const SYMBOLS: ReadonlyArray<readonly [string, string]> = [
  ['US$', 'USD'],
  ['CA$', 'CAD'],
  ['C$', 'CAD'],
  ['AU$', 'AUD'],
  ['A$', 'AUD'],
  ['NZ$', 'NZD'],
  ['HK$', 'HKD'],
  ['S$', 'SGD'],
  ['R$', 'BRL'],
  ['€', 'EUR'],
  ['£', 'GBP'],
  ['₹', 'INR'],
  ['¥', 'JPY'],
  ['₩', 'KRW'],
  ['₽', 'RUB'],
  ['₺', 'TRY'],
  ['₪', 'ILS'],
  ['₱', 'PHP'],
  ['zł', 'PLN'],
  ['Fr.', 'CHF'],
  ['Rs.', 'INR'],
  ['Rs', 'INR'],
  ['$', 'USD'],
];

const SYMBOL_ALT = SYMBOLS.map(([s]) => s.replace(/[.$]/g, (c) => `\\${c}`)).join('|');
const CODE = '[A-Z]{3}';
// A number: grouped with , . ' or (non-breaking/thin) space, or plain; optional decimals.
const NUMBER =
  "\\d{1,3}(?:(?:,\\d{3})+|(?:\\.\\d{3})+|(?:'\\d{3})+|(?:[\\u00a0\\u202f ]\\d{3})+)(?:[.,]\\d{1,4})?|\\d+(?:[.,]\\d{1,4})?";
const RE_AMOUNT = new RegExp(
  `(?<![\\p{L}\\p{N}.,/-])(?:(${SYMBOL_ALT}|${CODE})[ \\u00a0]?)?([-−–][ \\u00a0]?)?(${NUMBER})(?![\\p{N}]|[.,/:]\\d)(?:[ \\u00a0]?(${SYMBOL_ALT}|${CODE}|%)(?![\\p{L}]))?`,
  'gu',
);

/**
 * Normalise the digits of an amount as written to an exact decimal string, or
 * null. `decimalHint` is the document's decimal separator when known; it decides
 * "1.234" (a thousand in Germany) and "1,234" (a thousand in the US) when the
 * text alone cannot.
 */
export function normaliseNumber(raw: string, decimalHint?: ',' | '.'): { value: string; decimals: number } | null {
  let s = raw.replace(/[\u00a0\u202f' ]/g, (c) => (c === "'" ? "'" : ' ')).trim();
  if (!/^\d[\d.,' ]*$/.test(s)) return null;
  const hasSpaceGroups = / /.test(s);
  s = s.replace(/[ ']/g, '');
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  let intPart = s;
  let frac = '';
  if (lastDot >= 0 && lastComma >= 0) {
    // Both present: the last one is the decimal separator.
    const dec = lastDot > lastComma ? '.' : ',';
    const grp = dec === '.' ? ',' : '.';
    const at = s.lastIndexOf(dec);
    intPart = s.slice(0, at);
    frac = s.slice(at + 1);
    if (intPart.includes(dec)) return null;
    intPart = intPart.split(grp).join('');
  } else if (lastDot >= 0 || lastComma >= 0) {
    const sep = lastDot >= 0 ? '.' : ',';
    const parts = s.split(sep);
    if (parts.length > 2) {
      // "1.234.567": only grouping.
      if (!parts.slice(1).every((p) => p.length === 3)) return null;
      intPart = parts.join('');
    } else {
      const after = parts[1]!;
      if (after.length === 3 && !hasSpaceGroups) {
        // "1,234" / "1.234": thousands unless the document's decimal separator says otherwise.
        const isDecimal = decimalHint !== undefined ? decimalHint === sep : false;
        if (isDecimal) {
          intPart = parts[0]!;
          frac = after;
        } else intPart = parts.join('');
      } else {
        intPart = parts[0]!;
        frac = after;
      }
    }
  }
  if (!/^\d+$/.test(intPart) || (frac !== '' && !/^\d+$/.test(frac))) return null;
  intPart = intPart.replace(/^0+(?=\d)/, '');
  if (intPart.length > 15 || frac.length > 6) return null;
  return { value: frac ? `${intPart}.${frac}` : intPart, decimals: frac.length };
}

function currencyOf(token: string | undefined): string | null {
  if (!token) return null;
  for (const [sym, code] of SYMBOLS) if (token === sym) return code;
  if (/^[A-Z]{3}$/.test(token) && isIsoCurrency(token)) return token;
  return null;
}

/** Find the amounts in a piece of text (numbers that could be money, with any currency marks). */
export function findAmounts(text: string, decimalHint?: ',' | '.'): AmountMatch[] {
  const out: AmountMatch[] = [];
  for (const m of text.matchAll(RE_AMOUNT)) {
    const pre = m[1];
    const preCur = currencyOf(pre);
    // A three-letter prefix that is not a currency ("ABC 12") is not part of the amount.
    let index = m.index;
    let raw = m[0];
    if (pre && !preCur) {
      const cut = m[0].indexOf(m[2] ?? m[3]!);
      index += cut;
      raw = raw.slice(cut);
    }
    let numRaw = m[3]!;
    // A space-grouped number is only taken as one amount in comma-decimal style
    // ("1 234,56"): "1 278.61" in a table row is a quantity then a price.
    // With a currency sign or code right before it ("£3 787.70", "EUR 12 500.00") the
    // space is grouping: a quantity is never written after a currency.
    if (/[ ]/.test(numRaw) && !/,\d{1,2}$/.test(numRaw) && !preCur) {
      const first = numRaw.split(' ')[0]!;
      numRaw = first;
      raw = raw.slice(0, raw.indexOf(m[3]!) + first.length);
      const n = normaliseNumber(first, decimalHint);
      if (!n) continue;
      out.push({
        value: (m[2] ? '-' : '') + n.value,
        index,
        raw,
        currency: preCur,
        percent: false,
        decimals: n.decimals,
      });
      // Re-scan the rest of the match for further amounts.
      const restStart = m.index + m[0].indexOf(m[3]!) + first.length;
      const rest = text.slice(restStart, m.index + m[0].length);
      for (const r of findAmounts(rest, decimalHint)) out.push({ ...r, index: r.index + restStart });
      continue;
    }
    const n = normaliseNumber(numRaw, decimalHint);
    if (!n) continue;
    const post = m[4];
    const percent = post === '%';
    const postCur = currencyOf(post);
    if (post && !percent && !postCur) raw = raw.slice(0, raw.lastIndexOf(post)).trimEnd();
    const negative = Boolean(m[2]);
    const value = n.value;
    out.push({
      value: negative && /[1-9]/.test(value) ? `-${value}` : value,
      index,
      raw,
      currency: preCur ?? postCur,
      percent,
      decimals: n.decimals,
    });
  }
  return out;
}

/**
 * Parse a string that is one amount ("€ 1.234,56", "1,234.56 USD", "-12.3"), or
 * return null for anything else (garbage, several numbers, a percentage).
 */
export function parseAmount(text: string, decimalHint?: ',' | '.'): string | null {
  const t = text.trim();
  if (!t) return null;
  const all = findAmounts(t, decimalHint);
  if (all.length !== 1) return null;
  const a = all[0]!;
  if (a.percent) return null;
  const rest = (t.slice(0, a.index) + t.slice(a.index + a.raw.length)).trim();
  if (rest.length > 0) return null;
  return a.value;
}

/**
 * The document's decimal separator: the separator most often followed by exactly
 * two digits at the end of a number ("12,50" vs "12.50").
 */
export function detectDecimalSeparator(text: string): ',' | '.' | undefined {
  const comma = (text.match(/\d,\d{2}(?![\d.,])/g) ?? []).length;
  const dot = (text.match(/\d\.\d{2}(?![\d.,])/g) ?? []).length;
  if (comma === 0 && dot === 0) return undefined;
  return comma > dot ? ',' : '.';
}

export interface CurrencyGuess {
  code: string;
  /** How many times it is written in the document. */
  count: number;
  /** Occurrences of other currencies. */
  others: number;
  /** The first place it is written, for evidence. */
  index: number;
  raw: string;
}

const CURRENCY_WORDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bUS Dollars?\b|\bU\.S\. Dollars?\b/gi, 'USD'],
  [/\bEuros?\b/gi, 'EUR'],
  [/\bPounds? Sterling\b/gi, 'GBP'],
  [/\bRupees?\b/gi, 'INR'],
  [/\bSwiss Francs?\b/gi, 'CHF'],
];

/**
 * The currency a document is written in: symbols and ISO codes next to amounts,
 * codes standing alone ("Total EUR"), and currency words. The most frequent wins.
 */
export function detectCurrency(text: string): CurrencyGuess | null {
  const tally = new Map<string, { count: number; index: number; raw: string }>();
  const add = (code: string, index: number, raw: string, weight = 1): void => {
    const t = tally.get(code);
    if (t) t.count += weight;
    else tally.set(code, { count: weight, index, raw });
  };
  for (const a of findAmounts(text)) {
    if (a.currency) add(a.currency, a.index, a.raw);
  }
  // Standalone symbols and codes not attached to a number.
  for (const m of text.matchAll(/(?<![\p{L}])([A-Z]{3})(?![\p{L}])/gu)) {
    const code = m[1]!;
    if (['EUR', 'USD', 'GBP', 'INR', 'CHF', 'CAD', 'AUD', 'JPY', 'SEK', 'NOK', 'DKK', 'PLN', 'CZK', 'HUF'].includes(code))
      add(code, m.index, m[0], 0.5);
  }
  for (const m of text.matchAll(/[€£₹]/gu)) add(currencyOf(m[0])!, m.index, m[0], 0.5);
  for (const [re, code] of CURRENCY_WORDS) for (const m of text.matchAll(re)) add(code, m.index, m[0], 1);
  let best: CurrencyGuess | null = null;
  let total = 0;
  for (const [code, t] of tally) {
    total += t.count;
    if (!best || t.count > best.count) best = { code, count: t.count, others: 0, index: t.index, raw: t.raw };
  }
  if (best) best.others = total - best.count;
  return best;
}
