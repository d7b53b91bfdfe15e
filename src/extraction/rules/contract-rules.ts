/**
 * Rules-based contract extraction (agreements, NDAs; English first, with the
 * common German, French and Dutch clause wordings).
 *
 * Confidence scoring (never 1.0, capped at 0.95):
 *   effective date   "effective / dated / entered into as of DATE" in the
 *                    preamble 0.85; "dated DATE" 0.8; "made DATE" 0.75;
 *                    "Effective Date means DATE" 0.8; the same phrases later in
 *                    the document 0.6; a bare date in the preamble 0.45.
 *   governing law    "governed by … laws of the State of X" with X a known
 *                    state/country 0.9, known name without "State of" 0.85,
 *                    unknown capitalised name 0.5; a clause naming competing
 *                    jurisdictions ≤ 0.6; only a forum clause ("courts of X") 0.5.
 *   parties          named in the preamble ("between X, a … and Y (“Role”)"):
 *                    0.8 with a legal-form suffix and a defined role, 0.7 with
 *                    one of them, 0.5 with neither.
 *   term             "the term of this Agreement shall be N years" 0.8;
 *                    obligations surviving/continuing N years 0.65; any "period
 *                    of N years from the date…" 0.5; clauses about
 *                    non-solicitation/non-competition/employment 0.35,
 *                    which is below the 0.4 reporting floor (not reported).
 *   title            an upper-case heading naming an agreement 0.7, else 0.5.
 *   auto-renewal     explicit "automatically renew" wording 0.8 (only true is
 *                    ever asserted: silence is not evidence of "no").
 *   notice period    "N days' (prior) (written) notice" 0.7.
 *   expiration date  "expire/terminate on DATE" 0.7.
 */
import type { ContractExtraction, ContractParty, Duration, Evidence } from '../../../schemas/index.ts';
import { emptyContractExtraction } from '../../../schemas/index.ts';
import type { PageText } from '../model-tier.ts';
import { detectDateOrder, findDates } from './dates.ts';
import type { DateMatch } from './dates.ts';
import { conf, quoteSpan, textPages } from './text.ts';

interface Doc {
  text: string;
  /** Start offset of each page in `text`. */
  starts: number[];
  pages: PageText[];
}

function buildDoc(pages: PageText[]): Doc {
  const starts: number[] = [];
  let text = '';
  for (const p of pages) {
    starts.push(text.length);
    text += p.text + '\n';
  }
  return { text, starts, pages };
}

/** Whether the text read starts at the document's first page (a later chunk does not). */
function opensDocument(doc: Doc): boolean {
  return (doc.pages[0]?.pageNumber ?? 1) === 1;
}

/** Evidence for [from, to) of the joined text: the page it starts on, clipped to it. */
function evidenceAt(doc: Doc, from: number, to: number): Evidence {
  let k = 0;
  while (k + 1 < doc.starts.length && doc.starts[k + 1]! <= from) k++;
  const page = doc.pages[k]!;
  const base = doc.starts[k]!;
  const a = from - base;
  const b = Math.min(to - base, page.text.length);
  return quoteSpan(page.pageNumber, page.text, a, Math.max(a + 1, b));
}

const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
  thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19, twenty: 20,
  'twenty-one': 21, 'twenty-four': 24, thirty: 30, 'thirty-six': 36, forty: 40, 'forty-five': 45, 'forty-eight': 48,
  sixty: 60, ninety: 90, 'one hundred twenty': 120, 'one hundred eighty': 180,
  // German, French, Dutch
  ein: 1, einem: 1, eines: 1, zwei: 2, drei: 3, vier: 4, fünf: 5, sechs: 6, zwölf: 12, dreißig: 30,
  un: 1, une: 1, deux: 2, trois: 3, quatre: 4, cinq: 5, douze: 12, trente: 30,
  een: 1, twee: 2, drie: 3, vijf: 5, twaalf: 12, dertig: 30,
};
const NUM_WORD_ALT = Object.keys(NUMBER_WORDS).sort((a, b) => b.length - a.length).join('|');
/** A count: "two (2)", "2", "two", "thirty-six (36)". */
const COUNT = `(\\d{1,3}|${NUM_WORD_ALT})(?:\\s*\\((\\d{1,3})\\))?`;
const UNIT = `(years?|months?|weeks?|days?|jahren?|jahre|monate[n]?|ans?|années?|mois|jaar|jaren|maanden|maand)`;

function toCount(word: string, digits: string | undefined): number | null {
  if (digits) return Number(digits);
  if (/^\d+$/.test(word)) return Number(word);
  return NUMBER_WORDS[word.toLowerCase()] ?? null;
}

function toUnit(u: string): Duration['unit'] | null {
  const s = u.toLowerCase();
  if (/^(?:years?|jahre?n?|ans?|années?|jaar|jaren)$/.test(s)) return 'years';
  if (/^(?:months?|monate?n?|mois|maanden|maand)$/.test(s)) return 'months';
  if (/^weeks?$/.test(s)) return 'weeks';
  if (/^days?$/.test(s)) return 'days';
  return null;
}

const US_STATES = [
  'Alabama', 'Alaska', 'Arizona', 'Arkansas', 'California', 'Colorado', 'Connecticut', 'Delaware', 'Florida', 'Georgia',
  'Hawaii', 'Idaho', 'Illinois', 'Indiana', 'Iowa', 'Kansas', 'Kentucky', 'Louisiana', 'Maine', 'Maryland',
  'Massachusetts', 'Michigan', 'Minnesota', 'Mississippi', 'Missouri', 'Montana', 'Nebraska', 'Nevada',
  'New Hampshire', 'New Jersey', 'New Mexico', 'New York', 'North Carolina', 'North Dakota', 'Ohio', 'Oklahoma',
  'Oregon', 'Pennsylvania', 'Rhode Island', 'South Carolina', 'South Dakota', 'Tennessee', 'Texas', 'Utah',
  'Vermont', 'Virginia', 'Washington', 'West Virginia', 'Wisconsin', 'Wyoming', 'District of Columbia',
];
const OTHER_JURISDICTIONS = [
  'England and Wales', 'England', 'Scotland', 'Northern Ireland', 'Ireland', 'Germany', 'France', 'the Netherlands',
  'Netherlands', 'Belgium', 'Luxembourg', 'Switzerland', 'Austria', 'Spain', 'Italy', 'Sweden', 'Denmark', 'Norway',
  'Finland', 'Israel', 'Singapore', 'Hong Kong', 'Japan', 'India', 'China', 'Australia', 'New South Wales', 'Victoria',
  'Canada', 'Ontario', 'Quebec', 'British Columbia', 'Alberta', 'Bermuda', 'Cayman Islands', 'the Cayman Islands',
  'British Virgin Islands', 'the British Virgin Islands', 'United Kingdom', 'the United Kingdom', 'United States',
  'the United States', 'Puerto Rico', 'Mexico', 'Brazil',
];
const KNOWN = [...US_STATES, ...OTHER_JURISDICTIONS].sort((a, b) => b.length - a.length);

function knownJurisdiction(s: string): string | null {
  for (const k of KNOWN) {
    if (s.startsWith(k) && !/^[\p{L}]/u.test(s.slice(k.length))) return k.replace(/^the /, '');
  }
  return null;
}

/** Governing law: the jurisdiction whose laws govern the agreement. */
function governingLaw(doc: Doc): { value: string; confidence: number; evidence: Evidence } | null {
  const text = doc.text;
  const found: { value: string; confidence: number; index: number; end: number }[] = [];
  const re =
    /\blaws?\s+of\s+(?:the\s+)?(State\s+of\s+|Commonwealth\s+of\s+|Province\s+of\s+|Republic\s+of\s+|Kingdom\s+of\s+)?([A-Z][\p{L}]+(?:\s+(?:and\s+)?[A-Z][\p{L}]+){0,3})/gu;
  for (const m of text.matchAll(re)) {
    const before = text.slice(Math.max(0, m.index - 250), m.index);
    const sentence = before.slice(Math.max(before.lastIndexOf('. '), before.lastIndexOf(';')) + 1);
    if (!/\bgovern|\bconstrued|\binterpreted|\benforced|\bconstrue/i.test(sentence)) continue;
    // "a corporation organized under the laws of Delaware" describes a party.
    if (/\b(?:organi[sz]ed|incorporated|existing|formed|chartered)\b[^.]{0,40}$/i.test(before.slice(-80))) continue;
    const name = m[2]!.replace(/\s+/g, ' ');
    const known = knownJurisdiction(name);
    const value = known ?? name.replace(/\s+(?:Without|Applicable|And|Excluding|Except)\b.*$/, '');
    let c = known ? (m[1] ? 0.9 : 0.85) : 0.5;
    if (!known && /^(?:Such|Any|Each|Its|The)\b/.test(value)) continue;
    found.push({ value, confidence: c, index: m.index, end: m.index + m[0].length });
  }
  // German / French / Dutch wordings.
  const other: [RegExp, string][] = [
    [/(?:unterliegt|unterliegen)[^.]{0,60}(?:deutschem\s+Recht|Recht\s+der\s+Bundesrepublik\s+Deutschland)/gi, 'Germany'],
    [/(?:soumis|régi)[^.]{0,40}(?:au\s+)?droit\s+français|loi\s+française/gi, 'France'],
    [/(?:beheerst\s+door|onderworpen\s+aan)[^.]{0,40}Nederlands\s+recht|Nederlands\s+recht\s+is\s+van\s+toepassing/gi, 'Netherlands'],
    [/(?:unterliegt|unterliegen)[^.]{0,60}(?:schweizerischem\s+Recht)/gi, 'Switzerland'],
  ];
  for (const [r, v] of other) for (const m of text.matchAll(r)) found.push({ value: v, confidence: 0.85, index: m.index, end: m.index + m[0].length });
  if (found.length === 0) {
    // Only a forum clause: the courts' state is a fair guess for the law.
    const forum = /\b(?:courts?|venue|jurisdiction)\b[^.]{0,100}?\b(?:State|Commonwealth)\s+of\s+([A-Z][\p{L}]+(?:\s+[A-Z][\p{L}]+){0,2})/gu;
    for (const m of text.matchAll(forum)) {
      const known = knownJurisdiction(m[1]!);
      if (known) {
        found.push({ value: known, confidence: 0.5, index: m.index, end: m.index + m[0].length });
        break;
      }
    }
  }
  const best = [...found].sort((a, b) => b.confidence - a.confidence || a.index - b.index)[0];
  if (!best) return null;
  let c = best.confidence;
  if (found.some((f) => f.value !== best.value && f.confidence >= 0.8)) c = Math.min(c, 0.6);
  return { value: best.value, confidence: conf(c), evidence: evidenceAt(doc, best.index, best.end) };
}

/** The preamble: the first sentence that names the agreement and its parties. */
const ABBREV = /(?:\b(?:Inc|Ltd|Corp|Co|No|Nos|St|Mr|Mrs|Ms|Dr|Jr|Sr|L\.P|N\.A|S\.A|U\.S|L\.L\.C|B\.V|N\.V|Corp|Cos|Bros|vs|viz|e\.g|i\.e)|\b[A-Z])$/i;

/** End of the sentence starting at `from` (a period followed by a capital, not after an abbreviation). */
function sentenceEnd(text: string, from: number, max: number): number {
  const re = /[.]\s+(?=[A-Z“"(])/g;
  re.lastIndex = from;
  for (let m = re.exec(text); m && m.index < max; m = re.exec(text)) {
    const before = text.slice(Math.max(from, m.index - 12), m.index);
    if (ABBREV.test(before)) continue;
    // "BioLargo. Inc." — a period before a legal form is inside the name.
    if (new RegExp(`^[.]\\s+(?:${SUFFIX_ALT})\\b`).test(text.slice(m.index, m.index + 12))) continue;
    return m.index + 1;
  }
  return max;
}

function preamble(doc: Doc, skip = 0): { start: number; end: number } | null {
  const head = doc.text.slice(0, 12000);
  let seen = 0;
  const re = /\b(?:by\s+and\s+between|by\s+and\s+among|between|among|entre|zwischen|tussen)\b/giu;
  for (const m of head.matchAll(re)) {
    const before = head.slice(Math.max(0, m.index - 600), m.index);
    if (!/agreement|contract|vertrag|vereinbarung|contrat|convention|overeenkomst/i.test(before)) continue;
    if (seen++ < skip) continue;
    const start = m.index + m[0].length;
    let end = sentenceEnd(head, start, Math.min(head.length, start + 1500));
    const stop = head.slice(start, end).search(/\bWHEREAS\b|\bRECITALS?\b|\bW\s?I\s?T\s?N\s?E\s?S\s?S|\bNOW,?\s+THEREFORE|\bBACKGROUND\b|\n\s*1\.\s/);
    if (stop >= 0) end = start + stop;
    return { start, end };
  }
  return null;
}

const LEGAL_SUFFIX =
  /(?:,?\s+(?:Inc|Incorporated|LLC|L\.L\.C|Ltd|Limited|Corp|Corporation|Company|Co|L\.P|LP|LLP|plc|PLC|N\.A|S\.A|AG|GmbH|B\.V|N\.V|SA|SAS|SE|Trust|Bank|Holdings?|Partners|Group)\.?)+$/i;
const SUFFIXES = ['Inc', 'Incorporated', 'LLC', 'L.L.C', 'Ltd', 'Limited', 'Corp', 'Corporation', 'Co', 'L.P', 'LP', 'LLP', 'plc', 'N.A', 'S.A', 'AG', 'GmbH', 'B.V', 'N.V', 'SA', 'SAS', 'SE'];
const SUFFIX_ALT = [...new Set(SUFFIXES.flatMap((x) => [x, x.toUpperCase()]))]
  .sort((a, b) => b.length - a.length)
  .map((x) => x.replace(/\./g, '\\.'))
  .join('|');
const NAME_RE = new RegExp(
  `^((?:[A-Z0-9][\\p{L}\\p{N}&.'’\\-]*|&|and|of|de|the|du|van|der|von|und|et)(?:\\s+(?:[A-Z0-9][\\p{L}\\p{N}&.'’\\-]*|&|and|of|de|the|du|van|der|von|und|et))*?(?:,?\\s+(?:${SUFFIX_ALT})\\.?)*)(?=\\s*$|\\s*[,(“"]|\\s+(?:a|an|with|having|located|whose|on\\s+behalf|acting|organi[sz]ed|incorporated|together|residing|hereinafter|each|its|who)\\b)`,
  'u',
);
const NAME_STOP = /^(?:the|this|such|each|its|their|any|all|which|who|whose|a|an|party|parties|company|recipient|discloser|disclosing|receiving|employee|executive|you|we|us|it|said)\b/i;

/** Split on top-level separators (not inside parentheses or quotes). */
function topLevelChunks(s: string): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  // A list whose items are closed by semicolons ("Foo Ltd, a company incorporated
  // in England and Wales …; and Bar GmbH …") is split on those only: the "and"s
  // inside an item describe it.
  const semis = topLevelSemicolons(s);
  let depth = 0;
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '(' || ch === '[') depth++;
    else if ((ch === ')' || ch === ']') && depth > 0) depth--;
    else if (depth === 0) {
      const rest = s.slice(i);
      const sep = rest.match(semis ? /^;\s*(?:and\s+)?/i : /^(?:,?\s+and\s+|;\s*(?:and\s+)?)/i);
      if (sep) {
        out.push({ text: s.slice(last, i), offset: last });
        last = i + sep[0].length;
        i = last - 1;
      }
    }
  }
  out.push({ text: s.slice(last), offset: last });
  return out;
}

function topLevelSemicolons(s: string): boolean {
  let depth = 0;
  for (const ch of s) {
    if (ch === '(' || ch === '[') depth++;
    else if ((ch === ')' || ch === ']') && depth > 0) depth--;
    else if (ch === ';' && depth === 0) return true;
  }
  return false;
}

/** Parties from the first preamble candidate that names at least two; else the best one. */
function preambleParties(doc: Doc): ContractParty[] {
  let best: ContractParty[] = [];
  for (let k = 0; k < 4; k++) {
    const pre = preamble(doc, k);
    if (!pre) break;
    const found = partiesIn(doc, pre);
    if (found.length >= 2) return found;
    if (found.length > best.length) best = found;
  }
  return best;
}

/**
 * The parties: the preamble's, then entities named with a legal form and a defined term
 * in the opening ("… with ZOLL Medical Corporation (the “Company”)"), a letter agreement's
 * letterhead and addressee, and the entities over the signature lines. The same entity
 * named twice keeps its first mention; "RedPrairie Holding" and "RedPrairie Holding, Inc."
 * are one entity (the fuller name is kept).
 */
function parties(doc: Doc): ContractParty[] {
  const all = [...preambleParties(doc), ...definedTermParties(doc), ...letterParties(doc), ...signatureParties(doc)];
  const keyOf = (p: ContractParty) => p.name.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const out: ContractParty[] = [];
  for (const p of all) {
    const k = keyOf(p);
    if (k.length < 2) continue;
    const same = out.findIndex((q) => {
      const qk = keyOf(q);
      return qk === k || ((qk.startsWith(k) || k.startsWith(qk) || qk.endsWith(k) || k.endsWith(qk)) && LEGAL_SUFFIX.test(q.name.length > p.name.length ? q.name : p.name) && Math.abs(qk.length - k.length) <= 12);
    });
    if (same < 0) out.push(p);
    else if (p.name.length > out[same]!.name.length && LEGAL_SUFFIX.test(p.name) && !LEGAL_SUFFIX.test(out[same]!.name)) out[same] = { ...out[same]!, name: p.name };
    if (out.length >= 6) break;
  }
  return out;
}

/** A name that ends in a legal form: "ZOLL Medical Corporation", "Williams Controls, Inc.", "uDate.com, Inc.", "TPG Capital, L.P.". */
/** `space`: what may stand between the words (prose wraps lines; a heading line does not continue on the next). */
const entity = (space: string) =>
  `((?:[A-Z0-9][\\p{L}\\p{N}&.'’\\-]*|[a-z]+[A-Z][\\p{L}\\p{N}.\\-]*)(?:${space}+(?:[A-Z0-9][\\p{L}\\p{N}&.'’\\-]*|&|and|of|de|du|van|der|von|und|et))*?,?${space}+(?:(?:Limited${space}+)?Partnership|${SUFFIX_ALT}|Corporation|Company|Incorporated|Limited)\\.?)(?![\\p{L}\\p{N}])`;
const ENTITY_LINE = new RegExp(`^\\s*${entity('[ \\t]')}\\s*$`, 'u');
/** A defined term that names a party, not a thing ("the “Agreement”", "the “Effective Date”"). */
const NOT_A_ROLE = /\b(?:agreement|date|transaction|material|information|act|plan|purpose|representatives?|shares?|stock|securities|notes?|business|products?|technology|program)\b/i;

/** The opening of the document: up to its first numbered section, at most 5,000 characters. */
function opening(doc: Doc): { start: number; end: number } | null {
  if (!opensDocument(doc)) return null;
  const head = doc.text.slice(0, 5000);
  const numbered = head.slice(300).search(/\n\s*(?:1\.|Section\s+1\b|ARTICLE\s+I\b)/);
  return { start: 0, end: numbered < 0 ? head.length : 300 + numbered };
}

/** "NAME, a Delaware corporation (the “Company”)", "TPG Capital, L.P. (“TPG”)": entities defined in the opening. */
function definedTermParties(doc: Doc): ContractParty[] {
  const region = opening(doc);
  if (!region) return [];
  const seg = doc.text.slice(region.start, region.end);
  const re = new RegExp(
    `(?<![\\p{L}\\p{N}.,&'’\\-]\\s?)${entity('\\s')}(?=[^()“”";]{0,200}?\\(\\s*(?:(?:collectively|together)\\b[^()“”"]{0,80}?)?(?:the\\s+|this\\s+|hereinafter\\s+(?:referred\\s+to\\s+as\\s+)?(?:the\\s+)?)?[“"]([^”"]{1,40})[”"])`,
    'gu',
  );
  const out: ContractParty[] = [];
  for (const m of seg.matchAll(re)) {
    const name = m[1]!.replace(/\s+/g, ' ').trim();
    const role = m[2]!.trim();
    if (NOT_A_ROLE.test(role) || NAME_STOP.test(name) || /\b(?:Agreement|Exhibit|Section)\b/i.test(name) || name.split(' ').length > 8) continue;
    // "an affiliate of X Corp (“Parent”)", "stockholders of X Corporation (“Timet”)": an entity
    // named to describe a party is not one.
    if (/\bof\s+$/i.test(seg.slice(Math.max(0, m.index - 6), m.index))) continue;
    // A name at a line's start whose line above ends in a capitalised word was cut by the line
    // break ("… Stilwell Value\nAdvisers LLC"): not a whole name.
    if (/(?:^|\n)$/.test(seg.slice(0, m.index)) && /[A-Z][\p{L}\p{N}&'’\-]*[ \t]*\n$/u.test(seg.slice(Math.max(0, m.index - 40), m.index))) continue;
    // The description between the name and its defined term must not introduce another entity
    // ("a licensee of X Ltd., and a ___ corporation (the “Company”)").
    const between = seg.slice(m.index + m[0].length).split('(')[0]!;
    if (/,\s*and\b|;\s*and\b|\band\s+an?\s/i.test(between)) continue;
    out.push({ name, role, confidence: 0.7, evidence: evidenceAt(doc, region.start + m.index, region.start + m.index + m[0].length) });
  }
  return out;
}

/** A letter agreement: the entities on their own lines in its heading (letterhead, addressees). */
function letterParties(doc: Doc): ContractParty[] {
  if (!opensDocument(doc)) return [];
  const heading = letterHeading(doc);
  if (!heading) return [];
  const out: ContractParty[] = [];
  for (const line of heading.lines) {
    const m = ENTITY_LINE.exec(line.text);
    if (!m || /\b(?:Agreement|Exhibit)\b/i.test(m[1]!)) continue;
    const at = line.index + line.text.indexOf(m[1]!);
    out.push({ name: m[1]!.trim(), role: null, confidence: 0.6, evidence: evidenceAt(doc, at, at + m[1]!.length) });
  }
  return out;
}

/** The entities over the signature lines: "REDPRAIRIE HOLDING, INC.<tab>JDA SOFTWARE GROUP, INC." above "By:". */
function signatureParties(doc: Doc): ContractParty[] {
  const text = doc.text;
  const out: ContractParty[] = [];
  const by = /\n[ \t]*By[:\t ]/g;
  for (const m of text.matchAll(by)) {
    // The one or two lines above "By:" (a blank signature line may sit between).
    const above = text.slice(Math.max(0, m.index - 200), m.index).split('\n').slice(-2);
    let at = m.index - above.join('\n').length;
    for (const line of above) {
      for (const cell of line.split(/\t| {3,}/)) {
        const mm = ENTITY_LINE.exec(cell);
        if (mm && !/\b(?:Agreement|Exhibit)\b/i.test(mm[1]!)) {
          const from = at + line.indexOf(cell);
          out.push({ name: mm[1]!.trim(), role: null, confidence: 0.6, evidence: evidenceAt(doc, from, from + cell.length) });
        }
      }
      at += line.length + 1;
    }
    if (out.length >= 4) break;
  }
  return out;
}

function partiesIn(doc: Doc, pre: { start: number; end: number }): ContractParty[] {
  const seg = doc.text.slice(pre.start, pre.end);
  const out: ContractParty[] = [];
  for (const chunk of topLevelChunks(seg)) {
    // A list of parties: "between:\n(1) Foo Ltd, …; and\n(2) Bar GmbH, …" — the
    // colon and the enumerator ("(1)", "(a)", "1.", "(ii)") are not part of the name.
    const raw = chunk.text.replace(/^[\s:]*(?:(?:\((?:\d{1,2}|[a-h]|[ivx]{1,4})\)|(?:\d{1,2}|[a-h])[.)])\s+)?/, '');
    const lead = chunk.text.length - raw.length;
    const t = raw.replace(/\s+/g, ' ');
    if (!/^[A-Z0-9]/.test(t) || NAME_STOP.test(t)) continue;
    // The name runs until a comma (unless it introduces a legal suffix), a
    // parenthesis, or a description ("a Delaware corporation", "located at").
    const m = t.match(NAME_RE);
    if (!m) continue;
    const name = m[1]!.replace(/[\s,]+$/, '').replace(/\s+(?:and|of|the|&)$/i, '');
    const words = name.split(/\s+/);
    if (name.length < 2 || words.length > 10) continue;
    if (/^(?:Confidential|Information|Section|Schedule)\b|\b(?:Agreement|Warrant|Release|Exhibit|Amendment)\b/i.test(name)) continue;
    const after = t.slice(m[1]!.length);
    const paren = after.match(/^[^()]{0,250}?\(([^()]*)\)/);
    const roleM = paren?.[1]?.match(/[“"]([^”"]{1,40})[”"]/g);
    const role = roleM ? roleM.at(-1)!.replace(/[“”"]/g, '').trim() : null;
    const hasSuffix = LEGAL_SUFFIX.test(name);
    const isPerson = !hasSuffix && words.length >= 2 && words.length <= 4 && words.every((w) => /^[A-Z][\p{L}.'’\-]*$/u.test(w));
    if (!hasSuffix && !role && !isPerson) continue;
    const c = hasSuffix && role ? 0.8 : hasSuffix || role ? 0.7 : 0.5;
    const from = pre.start + chunk.offset + lead;
    out.push({ name, role, confidence: c, evidence: evidenceAt(doc, from, from + Math.min(raw.length, 250)) });
    if (out.length >= 6) break;
  }
  // The same entity named twice keeps its first mention.
  const seen = new Set<string>();
  return out.filter((p) => {
    const k = p.name.toUpperCase().replace(/[^A-Z0-9]/g, '');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * "… Agreement, dated as of" / "the Merger Agreement dated" / "that certain letter agreement
 * entered into on": the date that follows belongs to the document named, unless that is this
 * agreement ("This Agreement dated …", "this Mutual NDA (the “Agreement”), dated …") or the
 * document's own upper-case title ("CONFIDENTIALITY AGREEMENT, EFFECTIVE AS OF …").
 */
function referencedDocumentDate(before: string): boolean {
  const named = before.match(
    /\b(agreements?|plan|letter|amendment|indenture|notes?|contract|arrangement|understanding|certificate|charter|by-?laws|policy)\b(?:\s*\([^()]{1,40}\))?\s*,?\s*(?:dated|effective|entered\s+into|made|executed|signed)\b(?:\s+(?:as\s+of|on|of|as\s+at))?\s*(?:(?:this|the)\s+)?$/i,
  );
  if (!named) return false;
  if (named[1] === named[1]!.toUpperCase()) return false;
  const phrase = before.slice(Math.max(0, named.index! - 80), named.index);
  return !/\b(?:this|these|the\s+present)\s+(?:[\p{L}\p{N}’'&.,\-]+\s+){0,8}$/iu.test(phrase);
}

/** The defined term right after a value: "DATE (the “Effective Date”)" → "Effective Date". */
function definedTermAfter(text: string, at: number): string | null {
  const after = text.slice(at, at + 60).replace(/\s+/g, ' ');
  const m = after.match(/^\s*,?\s*\((?:the|this|hereinafter(?:\s+referred\s+to\s+as)?(?:\s+the)?)?\s*[“"]([^”"]{1,40})[”"]\s*\)/i);
  return m ? m[1]!.trim() : null;
}

/** A salutation line: where a letter agreement's heading (letterhead, date, addressee) ends. */
const SALUTATION = /^\s*(?:Dear\b.{0,60}|Ladies\s+and\s+Gentlemen|Gentlemen|Dear\s+Sirs?|To\s+whom\s+it\s+may\s+concern)\s*[:,]?\s*$/im;

/** The heading lines of a letter agreement (before its salutation, on the first page it starts on); null when it is not a letter. */
function letterHeading(doc: Doc): { lines: { text: string; index: number }[] } | null {
  const head = doc.text.slice(0, 4000);
  const sal = SALUTATION.exec(head);
  if (!sal) return null;
  const lines: { text: string; index: number }[] = [];
  let at = 0;
  for (const line of head.slice(0, sal.index).split('\n')) {
    lines.push({ text: line, index: at });
    at += line.length + 1;
  }
  return lines.length > 40 ? null : { lines: lines.slice(-25) };
}

/** A letter agreement's date: a line that is only a date, above the salutation. */
function letterDate(doc: Doc): DateMatch | null {
  const heading = letterHeading(doc);
  if (!heading) return null;
  const order = detectDateOrder(doc.text);
  for (const line of heading.lines) {
    const t = line.text.trim();
    const d = findDates(t, { order })[0];
    if (d && d.style === 'text' && d.raw.length >= t.replace(/[.,]+$/, '').length - 1) {
      return { ...d, index: line.index + line.text.indexOf(t) + d.index };
    }
  }
  return null;
}

/**
 * The date the agreement was signed, as a fallback for its effective date: dates in its first
 * signature block ("Date: March 30, 2018", "/s/ Name  March 21, 2008" over a "Date" caption),
 * the latest of them (the agreement binds when the last party signs).
 */
function signatureDate(doc: Doc, dates: readonly DateMatch[]): DateMatch | null {
  const text = doc.text;
  const start = text.search(/\bIN\s+WITNESS\s+WHEREOF\b|\n\s*By:\s|\/s\//i);
  if (start < 0) return null;
  const end = start + 1500;
  const signed = dates.filter((d) => {
    if (d.index < start || d.index > end) return false;
    const lineStart = text.lastIndexOf('\n', d.index) + 1;
    const lineEnd = text.indexOf('\n', d.index);
    const line = text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
    const nextLine = lineEnd < 0 ? '' : text.slice(lineEnd + 1, text.indexOf('\n', lineEnd + 1) >>> 0);
    return /\bDated?\s*:\s*$/i.test(text.slice(Math.max(lineStart, d.index - 20), d.index)) || (/\/s\//.test(line) && /^\s*(?:By:.*\t)?Date\b/i.test(nextLine));
  });
  return signed.sort((a, b) => b.iso.localeCompare(a.iso))[0] ?? null;
}

function effectiveDate(doc: Doc): { value: string; confidence: number; evidence: Evidence } | null {
  const pre = preamble(doc);
  const preambleEnd = pre ? pre.end + 400 : 3000;
  const text = doc.text;
  const dates: DateMatch[] = findDates(text.slice(0, 60000), { order: detectDateOrder(text) });
  type Hit = { d: DateMatch; c: number };
  const hits: Hit[] = [];
  for (const d of dates) {
    const before = text.slice(Math.max(0, d.index - 80), d.index).replace(/\s+/g, ' ');
    let c = 0;
    if (/\b(?:effective|dated|entered\s+into|made|executed|signed|concluded)\b[^.;]{0,40}\b(?:as\s+of|of|on|as\s+at)\s*(?:(?:this|the)\s+)?$/i.test(before)) c = 0.85;
    else if (/\b(?:dated|effective)\s*(?:(?:this|the)\s+)?$/i.test(before)) c = 0.8;
    else if (/\bEffective\s+Date\W{0,6}(?:means|shall\s+mean|is|shall\s+be)?\s*$/i.test(before)) c = 0.8;
    else if (/\b(?:made|entered\s+into)\s*(?:on\s*)?$/i.test(before)) c = 0.75;
    else if (/\b(?:vom|du|van|d[’']entrée\s+en\s+vigueur|met\s+ingang\s+van|mit\s+Wirkung\s+(?:vom|zum))\s*$/i.test(before)) c = 0.7;
    // The date this agreement defines as its own: "effective as of May 3, 2016 (the “Effective
    // Date”)" beats "dated as of July 15, 2016" in the same sentence; a date defined as another
    // one ("(the “Amendment Date”)") belongs to that other document.
    const defined = definedTermAfter(text, d.index + d.raw.length);
    const ownDate = defined !== null && /^effective\s+date$/i.test(defined);
    if (ownDate) c = Math.max(c, 0.88);
    if (c === 0) {
      if (pre && d.index >= pre.start - 600 && d.index < pre.end) hits.push({ d, c: 0.45 });
      continue;
    }
    // Dates about other documents ("the Original Agreement dated June 1, 2012") are not ours.
    if (/\b(?:original|prior|previous|merger|purchase|plan|letter|settlement|existing)\b[^.;]{0,50}$/i.test(before) && !/\bthis\b/i.test(before.slice(-40))) c -= 0.3;
    else if (!ownDate && referencedDocumentDate(text.slice(Math.max(0, d.index - 200), d.index).replace(/\s+/g, ' '))) c = Math.min(c, 0.3);
    if (d.index > preambleEnd) c = Math.min(c, 0.6);
    if (!ownDate && defined && /\bdate$/i.test(defined) && !/\bthis\b/i.test(before)) c -= 0.3;
    hits.push({ d, c });
  }
  const letter = letterDate(doc);
  if (letter) hits.push({ d: letter, c: 0.7 });
  const signed = signatureDate(doc, dates);
  if (signed) hits.push({ d: signed, c: 0.5 });
  // Best confidence; earliest on ties.
  const best = hits.sort((a, b) => b.c - a.c || a.d.index - b.d.index)[0];
  if (!best) return null;
  // A chunk that starts after page 1 has no opening of its own: what reads as one there (an
  // attached amendment or exhibit: "This Amendment … is made as of …") is not the agreement's.
  if (!opensDocument(doc)) best.c = Math.min(best.c, 0.5);
  // Below 0.4 (a date about another document) nothing is reported, as for the term.
  if (best.c < 0.4) return null;
  return { value: best.d.iso, confidence: conf(best.c), evidence: evidenceAt(doc, best.d.index, best.d.index + best.d.raw.length) };
}

function term(doc: Doc): { value: Duration; confidence: number; evidence: Evidence } | null {
  const text = doc.text;
  const re = new RegExp(`\\b${COUNT}\\s*[- ]?\\s*${UNIT}\\b`, 'giu');
  const hits: { value: Duration; c: number; index: number; end: number }[] = [];
  for (const m of text.matchAll(re)) {
    const count = toCount(m[1]!, m[2]);
    const unit = toUnit(m[3]!);
    if (!count || !unit || unit === 'days' || unit === 'weeks') continue;
    const sStart = Math.max(text.lastIndexOf('. ', m.index), text.lastIndexOf('.\n', m.index), m.index - 400) + 1;
    let sEnd = text.indexOf('. ', m.index);
    if (sEnd < 0 || sEnd - m.index > 300) sEnd = Math.min(text.length, m.index + 300);
    const sentence = text.slice(sStart, sEnd).replace(/\s+/g, ' ');
    const before = text.slice(Math.max(sStart, m.index - 120), m.index).replace(/\s+/g, ' ');
    const after = text.slice(m.index + m[0].length, m.index + m[0].length + 80).replace(/\s+/g, ' ');
    let c = 0;
    if (/\b(?:for|with|has)\s+(?:an?\s+)?(?:initial\s+)?term\s+of\s*$/i.test(before) && /\b(?:this\s+)?agreement\b/i.test(sentence)) c = 0.8;
    else if (/\bterm\s+of\s+this\s+agreement\b|\bthis\s+agreement\s+(?:shall|will)\s+(?:expire|terminate|remain|continue|be\s+in\s+effect)|\bagreement\s+shall\s+(?:have\s+a\s+)?term\b|\bthe\s+term\b/i.test(sentence)) c = 0.8;
    else if (/\bobligations?\b[^.]{0,120}\b(?:survive|continue|remain|expire|terminate|period)\b|\b(?:survive|continue|remain\s+in\s+(?:full\s+)?(?:force|effect))\b/i.test(sentence)) c = 0.65;
    else if (/\b(?:period|term)\s+of\s*$/i.test(before) && /^\s*(?:from|after|following|commencing|beginning)\b/i.test(after)) c = 0.5;
    else if (/^\s*(?:from|after|following)\s+(?:the\s+)?(?:date\s+(?:hereof|of\s+this)|effective\s+date|execution)/i.test(after)) c = 0.5;
    else if (/\blaufzeit|\bdur[ée]e\b|\blooptijd|\bduur\b/i.test(sentence)) c = 0.6;
    if (c === 0) continue;
    if (/\bsolicit|\bemploy|\bhire|\bstandstill|\bcompet|\bacquire|\bpurchase\s+(?:any\s+)?securities|\bvoting\b|\bpreceding\b|\bprior\s+to\b/i.test(sentence)) c = Math.min(c, 0.35);
    hits.push({ value: { count, unit }, c, index: m.index, end: m.index + m[0].length });
  }
  // Durations of other covenants (non-solicitation, standstill) are not the
  // agreement's term: below 0.4 nothing is reported.
  const best = hits.filter((h) => h.c >= 0.4).sort((a, b) => b.c - a.c || a.index - b.index)[0];
  if (!best) return null;
  let c = best.c;
  if (hits.some((h) => h.c >= best.c - 0.05 && (h.value.count !== best.value.count || h.value.unit !== best.value.unit))) c -= 0.15;
  return { value: best.value, confidence: conf(c), evidence: evidenceAt(doc, best.index, best.end) };
}

function title(doc: Doc): { value: string; confidence: number; evidence: Evidence } | null {
  const first = doc.pages[0];
  if (!first) return null;
  const lines = first.text.split('\n').slice(0, 30);
  let offset = 0;
  const WORD = /\b(?:agreement|contract|nda|vertrag|vereinbarung|contrat|convention|accord|overeenkomst)\b/i;
  for (const line of lines) {
    const t = line.trim();
    const at = offset + line.indexOf(t);
    offset += line.length + 1;
    if (t.length < 8 || t.length > 120 || !WORD.test(t) || /^EX-|\.htm\b/i.test(t)) continue;
    const letters = t.replace(/[^\p{L}]/gu, '');
    const upper = letters.replace(/[^\p{Lu}]/gu, '').length / Math.max(1, letters.length);
    if (upper > 0.8 && !/[.;]$/.test(t)) return { value: t, confidence: 0.7, evidence: quoteSpan(first.pageNumber, first.text, at, at + t.length) };
  }
  return null;
}

export function extractContract(allPages: readonly PageText[]): ContractExtraction {
  const fields = emptyContractExtraction();
  const pages = textPages(allPages);
  if (pages.length === 0) return fields;
  const doc = buildDoc(pages);
  const put = <K extends 'title' | 'effectiveDate' | 'governingLaw' | 'term' | 'expirationDate' | 'autoRenewal' | 'noticePeriod' | 'paymentTerms'>(
    k: K,
    v: { value: unknown; confidence: number; evidence: Evidence } | null,
  ) => {
    if (v) (fields[k] as unknown) = { value: v.value, confidence: v.confidence, evidence: v.evidence };
  };
  put('title', title(doc));
  fields.parties = parties(doc);
  put('effectiveDate', effectiveDate(doc));
  put('governingLaw', governingLaw(doc));
  put('term', term(doc));

  const text = doc.text;
  const renew = text.match(
    /automatically\s+(?:be\s+)?(?:renew|extend)|renew(?:s|ed)?\s+automatically|stillschweigend\s+verl[äa]ngert|automatisch\s+verl[äa]ngert|tacite(?:ment)?\s+(?:reconduction|reconduit)|stilzwijgend\s+verlengd|automatisch\s+verlengd/i,
  );
  if (renew) put('autoRenewal', { value: true, confidence: 0.8, evidence: evidenceAt(doc, renew.index!, renew.index! + renew[0].length) });

  const notice = new RegExp(`${COUNT}\\s*${UNIT}['’]?\\s+(?:prior\\s+|advance\\s+)?(?:written\\s+)?(?:notice|K[üu]ndigungsfrist|pr[ée]avis|opzegtermijn)`, 'iu').exec(text);
  if (notice) {
    const count = toCount(notice[1]!, notice[2]);
    const unit = toUnit(notice[3]!);
    if (count && unit) put('noticePeriod', { value: { count, unit }, confidence: 0.7, evidence: evidenceAt(doc, notice.index, notice.index + notice[0].length) });
  }

  const exp = /\b(?:expire[sd]?|terminate[sd]?|end)\s+on\s+/gi;
  for (const m of text.matchAll(exp)) {
    const d = findDates(text.slice(m.index + m[0].length, m.index + m[0].length + 40), { order: 'mdy' })[0];
    if (d && d.index === 0) {
      const end = m.index + m[0].length + d.raw.length;
      put('expirationDate', { value: d.iso, confidence: 0.7, evidence: evidenceAt(doc, m.index, end) });
      break;
    }
  }

  const pay = /\b(?:payable|due|paid)\s+within\s+(?:\w+\s+)?\(?\d{1,3}\)?\s+days\b[^.;\n]{0,60}|\bnet\s+\d{1,3}\s+days\b/i.exec(text);
  if (pay) put('paymentTerms', { value: pay[0].replace(/\s+/g, ' ').trim(), confidence: 0.5, evidence: evidenceAt(doc, pay.index, pay.index + pay[0].length) });
  return fields;
}
