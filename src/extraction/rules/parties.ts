/**
 * Vendor and customer from their address blocks: a heading that names the
 * party's role ("Verkäufer", "Käufer/Leistungsempfänger", "Rechnung an:",
 * "Vendeur", "Facturé à", "Leverancier", "Bill to") followed by the block. The
 * name is the block's "Name:" line (Name, Firma, Nom, Raison sociale, Naam,
 * Company) when it has one, else the heading's own value ("Rechnung an: X"),
 * else the block's first line that reads as a name (letters, not a
 * "key: value" line, not an address or number line).
 *
 * Headings are matched only as a whole line (or a line that starts with the
 * heading and a colon), so "Name: Lieferant GmbH" is never read as a vendor
 * heading with the value "GmbH".
 *
 * Confidence: "Heading: value" 0.65 (one labelled mention, as for other labels);
 * a "Name:" line under a role heading 0.75 (two signals); the first name-like
 * line under a heading 0.65.
 */
import type { Line } from './text.ts';
import { pageLines, quoteLine, quoteLines } from './text.ts';
import type { Evidence } from '../../../schemas/index.ts';
import type { PageText } from '../model-tier.ts';
import { layoutRows, type Phrase } from './layout.ts';

export interface PartyCandidate {
  role: 'vendor' | 'customer';
  value: string;
  confidence: number;
  evidence: Evidence;
  key: string;
}

const VENDOR =
  'verk[äa]ufer(?:in)?|lieferant|rechnungssteller(?:in)?|leistungserbringer|rechnungsaussteller|seller|supplier|vendor|issuer|fournisseur|vendeur|[ée]metteur|prestataire|leverancier|verkoper';
const CUSTOMER =
  'k[äa]ufer(?:in)?|rechnungsempf[äa]nger(?:in)?|leistungsempf[äa]nger(?:in)?|rechnung\\s+an|kunde|buyer|customer|bill(?:ed)?\\s+to|invoice\\s+to|sold\\s+to|acheteur|client|factur[ée]\\s+[àa]|destinataire|koper|klant|factuur\\s+aan|gefactureerd\\s+aan';
/** A role heading, possibly two roles joined ("Käufer/Leistungsempfänger"), then an optional ":" and the rest of the line. */
const HEADING = new RegExp(`^\\s*(?:(${VENDOR})|(${CUSTOMER}))(?:\\s*[/&]\\s*[\\p{L}-]+)?\\s*(:)?\\s*(.*)$`, 'iu');
const NAME_LINE = /^\s*(?:name|firma|firmenname|company(?:\s+name)?|nom|raison\s+sociale|d[ée]nomination|naam|bedrijfsnaam)\s*:\s*(.+?)\s*$/iu;
const KEY_VALUE = /^\s*[\p{L}][\p{L}\s.\-/()]{0,40}:\s*\S/u;

function cleanName(s: string): string {
  return s.split(/\t|\s{3,}/)[0]!.replace(/[\s,;:\-–]+$/, '').trim();
}

function looksLikeName(s: string): boolean {
  const digits = (s.match(/\d/g) ?? []).length;
  return s.length >= 2 && s.length <= 80 && /\p{L}{2}/u.test(s) && digits <= s.length / 4 && !/@|https?:|www\./i.test(s);
}

export function partyBlocks(lines: readonly Line[]): PartyCandidate[] {
  const out: PartyCandidate[] = [];
  const headingOf = (l: Line | undefined) => (l ? HEADING.exec(l.text) : null);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = headingOf(line);
    if (!m) continue;
    const role = m[1] ? 'vendor' : 'customer';
    const rest = m[4]!.trim();
    // "Verkäufer ist die X GmbH" is prose, not a heading: only "Heading" or "Heading: value".
    if (rest !== '' && !m[3]) continue;
    const key = `${line.page}:${line.index}`;
    if (rest !== '') {
      const name = cleanName(rest);
      if (looksLikeName(name) && !KEY_VALUE.test(name)) out.push({ role, value: name, confidence: 0.65, evidence: quoteLine(line), key });
      continue;
    }
    // The block under the heading: up to 6 lines on the same page, until the next heading.
    const block: Line[] = [];
    for (let j = i + 1; j < lines.length && block.length < 6; j++) {
      const next = lines[j]!;
      if (next.page !== line.page || headingOf(next) || next.text.trim() === '') break;
      block.push(next);
    }
    const named = block.find((b) => NAME_LINE.test(b.text));
    if (named) {
      const name = cleanName(NAME_LINE.exec(named.text)![1]!);
      if (looksLikeName(name)) out.push({ role, value: name, confidence: 0.75, evidence: quoteLines(line, named), key: `${named.page}:${named.index}` });
      continue;
    }
    const first = block.find((b) => !KEY_VALUE.test(b.text));
    if (first && block.indexOf(first) <= 1) {
      const name = cleanName(first.text);
      if (looksLikeName(name) && !/^\d/.test(name)) out.push({ role, value: name, confidence: 0.65, evidence: quoteLines(line, first), key: `${first.page}:${first.index}` });
    }
  }
  return out;
}

/** A postal code and a place ("12345 Stadthausen", "75018 PARIS", "1012 AB Amsterdam"). */
const POSTAL_PLACE = /(?:^|[\s,|●•·\-])(?:[A-Z]{1,2}-)?\d{4,5}(?:\s?[A-Z]{2})?\s+\p{Lu}[\p{L}.\-]+/u;
/** Separators of a one-line return address ("Firma GmbH · Weg 1 · 12345 Ort", "X | Y | Z", "X, Y, Z"). */
const SENDER_SEPARATOR = /\s[|●•·]\s|,\s|\s-\s/u;
/** Where a window envelope's address field sits: the upper left of the first page. */
const WINDOW = { maxX: 0.5, maxTop: 0.4 };

/**
 * The recipient of a letter-style invoice (DIN 5008, the window envelope): in the
 * upper left of page 1, a one-line return address in a smaller type ("Kraxi GmbH ·
 * Flugzeugallee 17 · 12345 Papierfeld"), then the recipient's block in the same
 * column — its first line the name, a postal-code line a few lines under it. The
 * customer, without a heading. Both signals are required (the small return line
 * with a postal code and separators, and the block's own postal line); 0.75 like
 * a heading's "Name:" line (two signals), below the rules tier's value floor: not
 * measured yet on enough layouts to be accepted unseen.
 */
export function windowRecipient(page: PageText): PartyCandidate | null {
  if (!page.items || page.items.length === 0) return null;
  const rows = layoutRows(page.items, page.size);
  const left = (row: (typeof rows)[number]) => row.phrases.filter((q) => q.x < WINDOW.maxX);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.top > WINDOW.maxTop) break;
    const parts = left(row);
    if (parts.length === 0) continue;
    const sender: Phrase = {
      str: parts.map((q) => q.str.trim()).join(' '),
      x: parts[0]!.x,
      y: Math.min(...parts.map((q) => q.y)),
      w: parts.at(-1)!.x + parts.at(-1)!.w - parts[0]!.x,
      h: Math.max(...parts.map((q) => q.h)),
    };
    if (!POSTAL_PLACE.test(sender.str) || !SENDER_SEPARATOR.test(sender.str)) continue;
    // The recipient block: the phrases starting near the return line's left edge, in the rows just under it.
    const block: Phrase[] = [];
    for (let k = r + 1; k < rows.length && block.length < 6; k++) {
      const next = rows[k]!;
      if (next.top - (block.at(-1)?.y ?? sender.y) > 6 * sender.h + 0.02) break;
      const hit = left(next).find((q) => Math.abs(q.x - sender.x) <= 0.06);
      if (hit) block.push(hit);
    }
    const name = block[0];
    if (!name || name.h <= sender.h * 1.1) continue; // the return line is in a smaller type than the address
    const value = cleanName(name.str);
    // Not an address line: no postal code, no house number at its end ("Lindenallee 8", "Bahnstr. 42").
    if (!looksLikeName(value) || /^\d/.test(value) || KEY_VALUE.test(value) || POSTAL_PLACE.test(value) || /\s\d+\s?[a-zA-Z]?(?:[-/]\d+)?$/.test(value)) continue;
    if (!block.slice(1, 5).some((q) => POSTAL_PLACE.test(` ${q.str}`))) continue;
    const line = pageLines(page).find((l) => l.text.includes(name.str.trim()));
    if (!line) continue;
    return { role: 'customer', value, confidence: 0.75, evidence: quoteLine(line), key: `${line.page}:${line.index}` };
  }
  return null;
}
