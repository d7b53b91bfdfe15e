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
import { quoteLine, quoteLines } from './text.ts';
import type { Evidence } from '../../../schemas/index.ts';

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
