import type { Duration } from '../../schemas/index.ts';
import { parseIsoDate } from '../validation/dates.ts';

/**
 * Normalisations used to compare extracted values with the text they were read
 * from. All pure; all tolerant of the ways PDFs and models mangle text
 * (ligatures, typographic quotes, non-breaking spaces, accents, line breaks).
 */

/** NFKC, lower case, typographic quotes and dashes folded, soft hyphens and zero-width characters dropped. */
function fold(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u00ad\u200b-\u200d\u2060\ufeff]/g, '')
    .replace(/[\u2018\u2019\u201a\u201b\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]/g, '"')
    .replace(/[\u2010-\u2015\u2212]/g, '-');
}

/** For "is this quote on the page": case- and whitespace-insensitive. */
export function normalizeForQuote(s: string): string {
  return fold(s).replace(/\s+/g, '');
}

/** Removes accents: "März" -> "marz", "février" -> "fevrier". */
export function stripDiacritics(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC');
}

/** For names and identifiers: letters and digits only, lower case, no accents ("DE89 3704-0044" -> "de8937040044"). */
export function normalizeAlnum(s: string): string {
  return stripDiacritics(fold(s)).replace(/[^\p{L}\p{N}]/gu, '');
}

/**
 * True when `quote` occurs in `pageText`, ignoring case and whitespace. An
 * ellipsis in the quote ("..." or "…") stands for elided text: each piece must
 * occur, in order.
 */
export function quoteOnPage(quote: string, pageText: string): boolean {
  const page = normalizeForQuote(pageText);
  const pieces = quote
    .split(/\.{3,}|\u2026|\[\s*\.\.\.\s*\]/)
    .map(normalizeForQuote)
    .filter((p) => p.length > 0);
  if (pieces.length === 0) return false;
  let from = 0;
  for (const piece of pieces) {
    const at = page.indexOf(piece, from);
    if (at < 0) return false;
    from = at + piece.length;
  }
  return true;
}

/** True when a name or identifier occurs in the text, ignoring case, punctuation, accents and whitespace. */
export function textAppearsIn(value: string, text: string): boolean {
  const v = normalizeAlnum(value);
  return v.length > 0 && normalizeAlnum(text).includes(v);
}

// ---------------------------------------------------------------------------
// Dates

const MONTH_NAMES: ReadonlyArray<readonly string[]> = [
  // en, fr, de, es, it, nl, pt (accents already stripped), with abbreviations
  ['january', 'jan', 'janvier', 'janv', 'januar', 'janner', 'jaenner', 'enero', 'ene', 'gennaio', 'gen', 'januari', 'janeiro'],
  ['february', 'feb', 'febr', 'fevrier', 'fev', 'fevr', 'februar', 'febrero', 'febbraio', 'februari', 'fevereiro', 'fev'],
  ['march', 'mar', 'mars', 'marz', 'maerz', 'marzo', 'maart', 'mrt', 'marco'],
  ['april', 'apr', 'avril', 'avr', 'abril', 'abr', 'aprile'],
  ['may', 'mai', 'mayo', 'maggio', 'mag', 'mei', 'maio'],
  ['june', 'jun', 'juin', 'juni', 'junio', 'giugno', 'giu', 'junho'],
  ['july', 'jul', 'juillet', 'juil', 'juli', 'julio', 'luglio', 'lug', 'julho'],
  ['august', 'aug', 'aout', 'agosto', 'ago', 'augustus'],
  ['september', 'sep', 'sept', 'septembre', 'septiembre', 'setiembre', 'set', 'settembre', 'setembro'],
  ['october', 'oct', 'octobre', 'oktober', 'okt', 'octubre', 'ottobre', 'ott', 'outubro', 'out'],
  ['november', 'nov', 'novembre', 'noviembre', 'novembro'],
  ['december', 'dec', 'decembre', 'dezember', 'dez', 'diciembre', 'dic', 'dicembre', 'dezembro'],
];

const MONTH_BY_NAME: ReadonlyMap<string, number> = new Map(
  MONTH_NAMES.flatMap((names, i) => names.map((n) => [n, i + 1] as const)),
);

/** Words that sit between the parts of a written date: "1st of March", "1 de marzo de 2024". */
const DATE_FILLERS = new Set(['of', 'the', 'de', 'del', 'le', 'den', 'am', 'der', 'il', 'el', 'van', 'do', 'da']);

/** Date tokens of a text: lower case, no accents, ordinal suffixes removed ("1st" -> "1", "1er" -> "1"). */
function dateTokens(text: string): string[] {
  return stripDiacritics(fold(text))
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0 && !DATE_FILLERS.has(t))
    .map((t) => t.replace(/^(\d{1,2})(st|nd|rd|th|er|re|eme|o|a|e)$/, '$1'));
}

/**
 * True when the ISO date is written in the text in any common form:
 * 2024-03-01, 2024/03/01, 01.03.2024, 1.3.24, 01/03/2024, 3/1/2024, 20240301,
 * March 1, 2024, 1st March 2024, 1 mars 2024, 1er mars 2024, 1. März 2024,
 * 1 de marzo de 2024, 2024年3月1日. Day/month order is not assumed (a written
 * "01/03/2024" is accepted for both 1 March and 3 January).
 */
export function dateAppearsIn(isoDate: string, text: string): boolean {
  const d = parseIsoDate(isoDate);
  if (d === null) return false;
  const tokens = dateTokens(text);
  const isDay = (t: string): boolean => /^\d{1,2}$/.test(t) && Number(t) === d.day;
  const isMonth = (t: string): boolean =>
    (/^\d{1,2}$/.test(t) && Number(t) === d.month) || MONTH_BY_NAME.get(t) === d.month;
  const isYear = (t: string): boolean =>
    (/^\d{4}$/.test(t) && Number(t) === d.year) || (/^\d{2}$/.test(t) && Number(t) === d.year % 100);
  const compact = `${d.year}${String(d.month).padStart(2, '0')}${String(d.day).padStart(2, '0')}`;
  for (let i = 0; i < tokens.length; i++) {
    const a = tokens[i] as string;
    if (a === compact) return true;
    const b = tokens[i + 1];
    const c = tokens[i + 2];
    if (b === undefined || c === undefined) continue;
    if (isDay(a) && isMonth(b) && isYear(c)) return true; // 01.03.2024, 1 March 2024
    if (isMonth(a) && isDay(b) && isYear(c)) return true; // 3/1/2024, March 1, 2024
    if (/^\d{4}$/.test(a) && isYear(a) && isMonth(b) && isDay(c)) return true; // 2024-03-01
  }
  return false;
}

// ---------------------------------------------------------------------------
// Durations

const NUMBER_WORDS: ReadonlyMap<string, number> = new Map([
  ['one', 1], ['two', 2], ['three', 3], ['four', 4], ['five', 5], ['six', 6], ['seven', 7], ['eight', 8],
  ['nine', 9], ['ten', 10], ['eleven', 11], ['twelve', 12], ['thirteen', 13], ['fourteen', 14],
  ['fifteen', 15], ['sixteen', 16], ['seventeen', 17], ['eighteen', 18], ['nineteen', 19],
  ['twenty', 20], ['thirty', 30], ['forty', 40], ['fifty', 50], ['sixty', 60], ['seventy', 70],
  ['eighty', 80], ['ninety', 90], ['a', 1], ['an', 1], ['single', 1],
]);

const UNIT_WORDS: ReadonlyMap<string, Duration['unit']> = new Map([
  ...['day', 'days', 'jour', 'jours', 'tag', 'tage', 'tagen', 'dia', 'dias', 'giorni', 'giorno', 'dag', 'dagen'].map((w) => [w, 'days'] as const),
  ...['week', 'weeks', 'semaine', 'semaines', 'woche', 'wochen', 'semana', 'semanas', 'settimana', 'settimane', 'weken'].map((w) => [w, 'weeks'] as const),
  ...['month', 'months', 'mois', 'monat', 'monate', 'monaten', 'mes', 'meses', 'mese', 'mesi', 'maand', 'maanden'].map((w) => [w, 'months'] as const),
  ...['year', 'years', 'yr', 'yrs', 'an', 'ans', 'annee', 'annees', 'jahr', 'jahre', 'jahren', 'ano', 'anos', 'anno', 'anni', 'jaar', 'jaren'].map((w) => [w, 'years'] as const),
]);

/** A duration in a comparable base: days for days/weeks, months for months/years. */
function durationKey(count: number, unit: Duration['unit']): string {
  switch (unit) {
    case 'days':
      return `d${count}`;
    case 'weeks':
      return `d${count * 7}`;
    case 'months':
      return `m${count}`;
    case 'years':
      return `m${count * 12}`;
  }
}

/**
 * True when the duration is written in the text, in digits or English number
 * words, possibly in an equivalent unit: {2, years} matches "two (2) years",
 * "2-year term", "24 months"; {30, days} matches "thirty (30) days".
 */
export function durationAppearsIn(duration: Duration, text: string): boolean {
  const target = durationKey(duration.count, duration.unit);
  const tokens = stripDiacritics(fold(text)).split(/[^a-z0-9]+/).filter((t) => t.length > 0);
  const numberAt = (i: number): { value: number; next: number } | null => {
    const t = tokens[i];
    if (t === undefined) return null;
    if (/^\d{1,4}$/.test(t)) return { value: Number(t), next: i + 1 };
    const w = NUMBER_WORDS.get(t);
    if (w === undefined) return null;
    const u = tokens[i + 1] !== undefined ? NUMBER_WORDS.get(tokens[i + 1] as string) : undefined;
    if (w >= 20 && w % 10 === 0 && u !== undefined && u >= 1 && u <= 9 && tokens[i + 1] !== 'a' && tokens[i + 1] !== 'an') {
      return { value: w + u, next: i + 2 };
    }
    return { value: w, next: i + 1 };
  };
  for (let i = 0; i < tokens.length; i++) {
    const n = numberAt(i);
    if (n === null) continue;
    // The unit may follow directly or after one parenthesised repeat: "two (2) years".
    for (const j of [n.next, n.next + 1]) {
      const unit = tokens[j] !== undefined ? UNIT_WORDS.get(tokens[j] as string) : undefined;
      if (unit !== undefined && durationKey(n.value, unit) === target) return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------
// Currencies

/** Symbols and words that name a currency in running text, besides its ISO code. */
const CURRENCY_MARKS: Readonly<Record<string, readonly string[]>> = {
  EUR: ['€', 'euro', 'euros'],
  USD: ['$', 'us$', 'usd', 'dollar', 'dollars'],
  GBP: ['£', 'pound', 'pounds', 'sterling'],
  JPY: ['¥', '円', 'yen'],
  CNY: ['¥', '元', 'rmb', 'yuan', 'renminbi'],
  INR: ['₹', 'rs', 'rupee', 'rupees'],
  CHF: ['fr.', 'sfr', 'franken', 'francs'],
  CAD: ['$', 'c$', 'ca$', 'dollar', 'dollars'],
  AUD: ['$', 'a$', 'au$', 'dollar', 'dollars'],
  NZD: ['$', 'nz$', 'dollar', 'dollars'],
  SGD: ['$', 's$', 'dollar', 'dollars'],
  HKD: ['$', 'hk$', 'dollar', 'dollars'],
  MXN: ['$', 'mx$', 'peso', 'pesos'],
  BRL: ['r$', 'real', 'reais'],
  KRW: ['₩', 'won'],
  RUB: ['₽', 'руб'],
  PLN: ['zł', 'zl', 'zloty'],
  SEK: ['kr', 'kronor'],
  NOK: ['kr', 'kroner'],
  DKK: ['kr', 'kroner'],
  CZK: ['kč', 'kc'],
  TRY: ['₺', 'tl'],
  ILS: ['₪', 'shekel', 'shekels'],
  UAH: ['₴'],
  VND: ['₫'],
  PHP: ['₱'],
  NGN: ['₦'],
  THB: ['฿', 'baht'],
  ZAR: ['r', 'rand'],
};

/** True when the currency is named in the text by its ISO code, a symbol ("€", "$") or a word ("euro"). */
export function currencyAppearsIn(code: string, text: string): boolean {
  const upper = code.trim().toUpperCase();
  const folded = fold(text);
  const wordRe = (w: string): RegExp => new RegExp(`(^|[^\\p{L}])${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\p{L}])`, 'u');
  if (wordRe(upper.toLowerCase()).test(folded)) return true;
  for (const mark of CURRENCY_MARKS[upper] ?? []) {
    // Symbols may touch digits ("€1.234", "1.234€"); words must stand alone.
    if (/^[\p{L}.]+$/u.test(mark) ? wordRe(mark).test(folded) : folded.includes(mark)) return true;
  }
  return false;
}
