import { IBAN_LENGTHS, isValidIban } from '../../validation/iban.ts';
/** Bank and tax identifiers: IBAN (with mod-97 check), BIC, VAT ids, GSTIN. */

// One IBAN rule set for the whole project: the validator's (ISO 13616 lengths, mod-97).
export { isValidIban } from '../../validation/iban.ts';

export interface IdMatch {
  value: string;
  index: number;
  raw: string;
  valid: boolean;
}

/**
 * IBANs in a piece of text. Written groups vary ("FR76 10107 00245 00617052317 39"),
 * so spaces are dropped and every country-length prefix is tried against the
 * checksum. With `lenient`, an IBAN-shaped token that fails the check is still
 * returned (valid: false) — for a value right after an "IBAN" label.
 */
export function findIbans(text: string, lenient = false): IdMatch[] {
  const out: IdMatch[] = [];
  for (const m of text.matchAll(/(?<![A-Z0-9])([A-Z]{2}\d{2}(?:[ \u00a0]?[A-Z0-9]){4,34})/g)) {
    const raw = m[1]!;
    const compact = raw.replace(/[ \u00a0]/g, '');
    const len = IBAN_LENGTHS[compact.slice(0, 2)];
    let found: IdMatch | null = null;
    if (len !== undefined && compact.length >= len) {
      const cand = compact.slice(0, len);
      if (isValidIban(cand)) {
        // The raw text covering `len` significant characters.
        let n = 0;
        let end = 0;
        for (; end < raw.length && n < len; end++) if (!/[ \u00a0]/.test(raw[end]!)) n++;
        found = { value: cand, index: m.index, raw: raw.slice(0, end), valid: true };
      }
    }
    if (!found && lenient) {
      const token = raw.split(/[ \u00a0]/)[0]!;
      // Only the contiguous token: spaced groups that fail the check are not trusted.
      if (token.length >= 8) found = { value: token, index: m.index, raw: token, valid: false };
    }
    if (found) out.push(found);
  }
  return out;
}

const REGION_NAMES = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** Whether a two-letter code is a country known to ICU. */
export function isCountryCode(cc: string): boolean {
  try {
    return REGION_NAMES.of(cc) !== undefined;
  } catch {
    return false;
  }
}

/** BIC/SWIFT codes: 4 bank letters, a country, 2 location chars, optional branch. */
export function findBics(text: string): IdMatch[] {
  const out: IdMatch[] = [];
  for (const m of text.matchAll(/(?<![A-Za-z0-9])([A-Z]{4}([A-Z]{2})[A-Z0-9]{2}(?:[A-Z0-9]{3})?)(?![A-Za-z0-9])/g)) {
    out.push({ value: m[1]!, index: m.index, raw: m[1]!, valid: isCountryCode(m[2]!) });
  }
  return out;
}

/** Compact formats of VAT ids (spaces and dots removed) and GSTIN. */
const VAT_FORMATS: readonly RegExp[] = [
  /^ATU\d{8}$/,
  /^BE[01]\d{9}$/,
  /^BG\d{9,10}$/,
  /^CHE\d{9}(?:MWST|TVA|IVA)?$/,
  /^CY\d{8}[A-Z]$/,
  /^CZ\d{8,10}$/,
  /^DE\d{9}$/,
  /^DK\d{8}$/,
  /^EE\d{9}$/,
  /^EL\d{9}$/,
  /^ES[0-9A-Z]\d{7}[0-9A-Z]$/,
  /^FI\d{8}$/,
  /^FR[0-9A-Z]{2}\d{9}$/,
  /^GB(?:\d{9}|\d{12})$/,
  /^HR\d{11}$/,
  /^HU\d{8}$/,
  /^IE\d[0-9A-Z+*]\d{5}[A-Z]{1,2}$/,
  /^IT\d{11}$/,
  /^LT(?:\d{9}|\d{12})$/,
  /^LU\d{8}$/,
  /^LV\d{11}$/,
  /^MT\d{8}$/,
  /^NL\d{9}B\d{2}$/,
  /^PL\d{10}$/,
  /^PT\d{9}$/,
  /^RO\d{2,10}$/,
  /^SE\d{12}$/,
  /^SI\d{8}$/,
  /^SK\d{10}$/,
  // India GSTIN: state code, PAN, entity, 'Z', check character.
  /^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$/,
];

export function isVatIdFormat(compact: string): boolean {
  return VAT_FORMATS.some((re) => re.test(compact));
}

/**
 * A VAT id at the start of `text` (after a label). Tokens are accumulated while
 * they look like id pieces; the longest prefix with a known format wins. With no
 * known format, a generic id (letters/digits with at least 6 digits) is returned
 * as `valid: false`.
 */
export function readVatIdAt(text: string): IdMatch | null {
  const lead = text.match(/^[\s:.#°º-]*/)![0].length;
  const rest = text.slice(lead);
  const tokens = [...rest.matchAll(/[A-Za-z0-9.-]+/g)];
  let compact = '';
  let best: IdMatch | null = null;
  let prevEnd = 0;
  for (let i = 0; i < tokens.length && i < 6; i++) {
    const t = tokens[i]!;
    const gap = rest.slice(prevEnd, t.index);
    if (i > 0 && !/^[ \u00a0]?$/.test(gap)) break;
    compact += t[0].replace(/[.-]/g, '').toUpperCase();
    prevEnd = t.index + t[0].length;
    if (isVatIdFormat(compact)) best = { value: compact, index: lead, raw: rest.slice(0, prevEnd), valid: true };
    if (compact.length > 16) break;
  }
  if (best) return best;
  const first = tokens[0];
  if (first && first.index === 0) {
    const c = first[0].replace(/[.-]/g, '').toUpperCase();
    if (/^[A-Z0-9]{8,16}$/.test(c) && (c.match(/\d/g) ?? []).length >= 6) return { value: c, index: lead, raw: first[0], valid: false };
  }
  return null;
}

/** VAT ids of a known format anywhere in the text (no label needed). */
export function findVatIds(text: string): IdMatch[] {
  const out: IdMatch[] = [];
  for (const m of text.matchAll(/(?<![A-Za-z0-9])(?:[A-Z]{2,3}[ \u00a0]?[0-9][0-9A-Z. \u00a0]{6,16}|\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z])/g)) {
    const hit = readVatIdAt(m[0]);
    if (hit?.valid) out.push({ ...hit, index: m.index + hit.index });
  }
  return out;
}
