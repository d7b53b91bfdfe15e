/**
 * Rules-based invoice extraction (English, German, French, Dutch).
 *
 * How values are found: every line is scanned for field labels (labels.ts). A
 * value is then read, in order of preference,
 *   - after the label on the same line            "Invoice number: 42183017"
 *   - before it, when the label ends the line      "993548900<TAB>Factuurnummer:"
 *     (PDF text layers often emit a right-hand label after its value)
 *   - on the next line, under a label-only line    "Invoice Date:\n03/20/2023"
 *   - in a table: a header row of labels over a row of amounts
 *   - in stacked columns: N label-only lines preceded by N value lines.
 *
 * Confidence scoring (documented so it can be audited; never 1.0, capped at 0.95):
 *   base by placement and label strength        strong / weak label
 *     value after the label, same line             0.90 / 0.75
 *     value before the label (label ends line)     0.85 / 0.70
 *     value on the line under a label-only line    0.82 / 0.68
 *     header row over a row of amounts             0.65
 *     stacked columns (position-paired)            0.60 / 0.50
 *     title ("Invoice INV/2023/03/0008")           0.70
 *     guesses (first date on page, weak id labels,
 *       name from legal-form suffix, ...)          0.30 – 0.55
 *   adjustments
 *     several amounts in the value span            −0.20 (which one is a choice)
 *     ambiguous day/month order                    −0.15 (order from the document's
 *                                                  own unambiguous dates) or −0.30
 *     IBAN failing the mod-97 check                → 0.30
 *     VAT id not matching a known national format  −0.20
 *     another candidate with a different value
 *       and similar confidence                     → at most 0.55
 *     independent candidates agreeing              +0.03 each
 *     subtotal + tax = total exactly (3 labelled
 *       values agree arithmetically)               → at least 0.90
 *     tax split by rate (one line per VAT rate):
 *       subtotal + their sum = total               → subtotal/total at least 0.90,
 *                                                    tax = the sum at 0.85 (derived:
 *                                                    grounding will flag it)
 *   vendor name: earned by corroboration (guessVendor): the name on two or more
 *     lines, one of them independent evidence (vendor label, account holder,
 *     register/VAT line, running footer, sender line) 0.85, two such 0.88;
 *     otherwise 0.25 – 0.65. Never 0.9 or more.
 *   line items: 0.70 when quantity × unit price = amount, else 0.45. Of the
 *     possible column readings of a row, the one the row's own arithmetic
 *     confirms is taken ("zak 25 kg  40  18,75  9%  750,00": 40 × 18,75).
 */
import { Decimal } from 'decimal.js';
import type { Evidence, InvoiceExtraction, InvoiceLineItem, InvoiceModelField } from '../../../schemas/index.ts';
import { emptyInvoiceExtraction } from '../../../schemas/index.ts';
import { isIsoCurrency } from '../../../schemas/currencies.ts';
import type { PageText } from '../model-tier.ts';
import { detectCurrency, detectDecimalSeparator, findAmounts, normaliseNumber } from './amounts.ts';
import type { AmountMatch } from './amounts.ts';
import { detectDateOrder, findDates } from './dates.ts';
import type { DateOrder } from './dates.ts';
import { findBics, findIbans, findVatIds, readVatIdAt } from './identifiers.ts';
import { findLabels } from './labels.ts';
import { partyBlocks } from './parties.ts';
import { below, layoutRows, rightOf } from './layout.ts';
import type { Phrase } from './layout.ts';
import type { InvoiceLabelField, LabelHit } from './labels.ts';
import { conf, pageLines, quoteLine, quoteLines, quoteSpan, textPages } from './text.ts';
import type { Line } from './text.ts';

/** Every scalar invoice field asked of a tier but the currency, which is detected document-wide. */
type ScalarField = Exclude<InvoiceModelField, 'currency'>;

type ValueKind = 'id' | 'date' | 'amount' | 'vatid' | 'iban' | 'bic' | 'text' | 'name';

const KIND: Record<Exclude<InvoiceLabelField, 'block'>, ValueKind> = {
  invoiceNumber: 'id',
  invoiceNumberWeak: 'id',
  issueDate: 'date',
  dueDate: 'date',
  subtotal: 'amount',
  taxTotal: 'amount',
  total: 'amount',
  vendorTaxId: 'vatid',
  iban: 'iban',
  bic: 'bic',
  purchaseOrder: 'id',
  paymentTerms: 'text',
  customerName: 'name',
  vendorName: 'name',
};

interface Candidate {
  field: ScalarField;
  value: string;
  confidence: number;
  evidence: Evidence;
  /** Line identity, so agreeing candidates from the same line are not double-counted. */
  key: string;
}

interface Ctx {
  order: DateOrder;
  /** True when the order came from the document's own unambiguous dates. */
  orderFromDates: boolean;
  decimal: ',' | '.' | undefined;
}

interface Parsed {
  value: string;
  /** Offset of the value within the parsed segment. */
  index: number;
  length: number;
  /** Confidence adjustment from the value itself (ambiguity, format). */
  adjust: number;
}

const ID_TOKEN = /[A-Za-z0-9#][A-Za-z0-9_\-/.#]*/g;
const STOP_TOKENS = new Set(['du', 'of', 'vom', 'van', 'de', 'le', 'the', 'on', 'am', 'op', 'page', 'seite', 'pagina']);

function blankish(s: string): boolean {
  return /^[\s:.#°º*()\-–|]*$/.test(s);
}

/** Replace dates in a segment by spaces so their digits are not read as amounts. */
function maskDates(seg: string, ctx: Ctx): string {
  let out = seg;
  for (const d of findDates(seg, { order: ctx.order })) {
    out = out.slice(0, d.index) + ' '.repeat(d.raw.length) + out.slice(d.index + d.raw.length);
  }
  return out;
}

function moneyAmounts(seg: string, ctx: Ctx): AmountMatch[] {
  const all = findAmounts(maskDates(seg, ctx), ctx.decimal).filter((a) => !a.percent);
  const strong = all.filter((a) => a.decimals > 0 || a.currency !== null);
  return strong.length > 0 ? strong : all;
}

function pickAmount(field: ScalarField, amounts: AmountMatch[], dir: 'fwd' | 'back'): AmountMatch | undefined {
  if (amounts.length <= 1) return amounts[0];
  const cmp = (a: AmountMatch, b: AmountMatch) => new Decimal(a.value).cmp(new Decimal(b.value));
  if (field === 'total') return [...amounts].sort(cmp).at(-1);
  if (field === 'taxTotal') return dir === 'fwd' ? amounts.at(-1) : [...amounts].sort(cmp)[0];
  return dir === 'fwd' ? amounts[0] : amounts.at(-1);
}

/** Read a value of `kind` from a segment: at its start (fwd) or at its end (back). */
function parseValue(field: ScalarField, kind: ValueKind, seg: string, dir: 'fwd' | 'back', ctx: Ctx): Parsed | null {
  switch (kind) {
    case 'id': {
      const toks = [...seg.matchAll(ID_TOKEN)];
      let t: RegExpExecArray | undefined;
      if (dir === 'fwd') {
        const lead = seg.match(/^[\s:.#°º\-–]*/)![0].length;
        t = toks.find((x) => x.index! >= lead);
        if (!t || !blankish(seg.slice(lead, t.index)) ) return null;
        // "# BLR_123": a lone '#' then the id.
        if (t[0] === '#') {
          const next = toks[toks.indexOf(t) + 1];
          if (!next || !/^\s*$/.test(seg.slice(t.index! + 1, next.index))) return null;
          t = next;
        }
      } else {
        t = toks.at(-1);
        if (!t || !blankish(seg.slice(t.index! + t[0].length))) return null;
      }
      let v = t[0].replace(/^#+/, '').replace(/[.\-/]+$/, '');
      if (v.length < 3 || !/\d/.test(v) || STOP_TOKENS.has(v.toLowerCase())) return null;
      if (findDates(v, { order: ctx.order }).some((d) => d.raw.length >= v.length - 1)) return null;
      return { value: v, index: t.index! + t[0].indexOf(v), length: v.length, adjust: 0 };
    }
    case 'date': {
      const dates = findDates(seg, { order: ctx.order });
      const d = dir === 'fwd' ? dates[0] : dates.at(-1);
      if (!d) return null;
      if (dir === 'fwd') {
        const before = seg.slice(0, d.index);
        if (!/^[\s:.,\-–]*(?:(?:le|on|am|du|op|the|vom|van|of|den|d[ae]l)\s+)?[\s:]*$/i.test(before)) return null;
      } else if (!blankish(seg.slice(d.index + d.raw.length))) return null;
      const adjust = d.ambiguous ? (ctx.orderFromDates ? -0.15 : -0.3) : 0;
      return { value: d.iso, index: d.index, length: d.raw.length, adjust };
    }
    case 'amount': {
      // In a document that writes money with decimals, a bare integer ("1", "27", "2024")
      // is a position number, a count or a year, not a total.
      const amounts = moneyAmounts(seg, ctx).filter((a) => ctx.decimal === undefined || a.decimals > 0 || a.currency !== null);
      if (amounts.length === 0) return null;
      if (dir === 'back' && !blankish(seg.slice(amounts.at(-1)!.index + amounts.at(-1)!.raw.length).replace(/\b(?:TTC|HT|EUR|USD|GBP)\b|[€$£]/g, ''))) return null;
      if (dir === 'fwd') {
        // The value must follow the label closely: only symbols, rates and short words in between.
        const first = amounts[0]!;
        const gap = seg.slice(0, first.index);
        if (gap.replace(/\d+(?:[.,]\d+)?\s?%|\([^)]*\)|[\s:*€$£#=.-]|\b(?:EUR|USD|GBP|INR|CHF|on|sur|auf|over|op|de|du|à|a|of|incl|excl|ttc|ht)\b/gi, '').length > 12) return null;
      }
      const a = pickAmount(field, amounts, dir);
      if (!a) return null;
      return { value: a.value, index: a.index, length: a.raw.length, adjust: amounts.length > 1 ? -0.2 : 0 };
    }
    case 'vatid': {
      if (dir === 'fwd') {
        const v = readVatIdAt(seg);
        if (!v) return null;
        return { value: v.value, index: v.index, length: v.raw.length, adjust: v.valid ? 0 : -0.2 };
      }
      const m = seg.match(/([A-Z0-9][A-Z0-9 .]{6,20}[A-Z0-9])[\s:]*$/);
      if (!m) return null;
      // Try the longest suffix that parses.
      const words = m[1]!.split(' ');
      for (let i = 0; i < words.length; i++) {
        const part = words.slice(i).join(' ');
        const v = readVatIdAt(part);
        if (v && v.raw.length >= part.trim().length - 1) {
          return { value: v.value, index: m.index! + m[1]!.indexOf(part), length: part.length, adjust: v.valid ? 0 : -0.2 };
        }
      }
      return null;
    }
    case 'iban': {
      const all = findIbans(seg, true);
      const v = dir === 'fwd' ? all[0] : all.at(-1);
      if (!v) return null;
      if (dir === 'fwd' && !blankish(seg.slice(0, v.index))) return null;
      if (dir === 'back' && !blankish(seg.slice(v.index + v.raw.length))) return null;
      // A checksum-valid IBAN is near-certain; one failing it is only a guess.
      return { value: v.value, index: v.index, length: v.raw.length, adjust: v.valid ? 0.05 : -0.6 };
    }
    case 'bic': {
      const all = findBics(seg);
      const v = dir === 'fwd' ? all[0] : all.at(-1);
      if (!v) return null;
      if (dir === 'fwd' && !blankish(seg.slice(0, v.index))) return null;
      if (dir === 'back' && !blankish(seg.slice(v.index + v.raw.length))) return null;
      return { value: v.value, index: v.index, length: v.raw.length, adjust: v.valid ? 0 : -0.3 };
    }
    case 'text':
    case 'name': {
      let s = seg;
      let off = 0;
      const lead = s.match(/^[\s:.\-–]*(?:attn:?\s*|t\.a\.v\.?\s*|z\.?\s*hd\.?\s*)?/i)![0].length;
      off = lead;
      s = s.slice(lead);
      const trail = s.match(/[\s:,;\-–]*$/)![0].length;
      s = s.slice(0, s.length - trail);
      if (s.length < 2 || s.length > (kind === 'name' ? 80 : 120)) return null;
      if (!/\p{L}/u.test(s)) return null;
      if (kind === 'name') {
        if (/^(?:address|adresse|adres|phone|tel|email|e-mail)\b/i.test(s)) return null;
        if ((s.match(/\d/g) ?? []).length > s.length / 3) return null;
        if (findLabels(s).some((l) => l.field !== 'block' && l.end - l.start > s.length / 2)) return null;
      }
      return { value: s, index: off, length: s.length, adjust: 0 };
    }
  }
}

function fieldOf(f: InvoiceLabelField): ScalarField | null {
  if (f === 'block') return null;
  if (f === 'invoiceNumberWeak') return 'invoiceNumber';
  return f;
}

const BASE = {
  after: { strong: 0.9, weak: 0.75 },
  before: { strong: 0.85, weak: 0.7 },
  below: { strong: 0.82, weak: 0.68 },
  stack: { strong: 0.6, weak: 0.5 },
} as const;

function labelBase(h: LabelHit, how: keyof typeof BASE): number {
  // "Booking ID" / "Document no." stand in for an invoice number: a guess.
  if (h.field === 'invoiceNumberWeak') return how === 'stack' ? 0.35 : 0.45;
  return BASE[how][h.strength];
}

/** Lines of a page that consist of one field label only ("Due Date:", "Tax (0%):"). */
function labelOnly(line: Line): LabelHit | null {
  return labelOnlyText(line.text);
}

function labelOnlyText(text: string): LabelHit | null {
  const hits = findLabels(text).filter((h) => h.field !== 'block');
  if (hits.length !== 1) return null;
  const h = hits[0]!;
  const rest = text.slice(0, h.start) + text.slice(h.end);
  return /^[\s:()%\d.,#*-]*$/.test(rest) && /\p{L}/u.test(text) ? h : null;
}

/**
 * Labels and values by position (layout.ts): a phrase that is only a label takes the
 * value to its right on the same row, else the value under it in the same column.
 * This reads what the text layer's order splits apart: "FACTURE N° :" beside
 * "F20180027" fifty text lines later, "TOTAL HT  TOTAL TTC" over "100,00  110,00".
 * Confidence as for the same placement in the text (after / below); the evidence is
 * the text line that holds the value, so it stays an exact quote of the page.
 */
function collectLayout(page: PageText, lines: Line[], ctx: Ctx, out: Candidate[]): void {
  if (!page.items || page.items.length === 0) return;
  const rows = layoutRows(page.items, page.size);
  const isLabel = (q: Phrase) => findLabels(q.str).some((h) => h.field !== 'block' && h.end - h.start >= q.str.trim().length / 2);
  const lineOf = (raw: string, near: number): Line | undefined => {
    const found = lines.filter((l) => l.text.includes(raw));
    return found.sort((a, b) => Math.abs(a.index - near) - Math.abs(b.index - near))[0];
  };
  rows.forEach((row, r) => {
    for (const p of row.phrases) {
      const h = labelOnlyText(p.str);
      if (!h) continue;
      const field = fieldOf(h.field)!;
      const kind = KIND[h.field as Exclude<InvoiceLabelField, 'block'>];
      // Names come from address blocks (parties.ts): under a role heading stands a block, often of
      // "Nummer: …" key lines, not a value.
      if (kind === 'name' || kind === 'text') continue;
      const labelLine = lines.find((l) => l.text.includes(p.str.trim()));
      const near = labelLine?.index ?? 0;
      const read = (phrases: Phrase[], how: 'after' | 'below') => {
        if (phrases.length === 0) return false;
        const seg = phrases.map((q) => q.str).join(' ');
        const v = parseValue(field, kind, seg, 'fwd', ctx);
        if (!v || (!blankish(seg.slice(v.index + v.length)) && kind !== 'amount')) return false;
        const raw = seg.slice(v.index, v.index + v.length);
        const at = lineOf(raw, near);
        if (!at) return false;
        out.push({ field, value: v.value, confidence: conf(labelBase(h, how) + v.adjust), evidence: quoteLine(at), key: `${at.page}:${at.index}` });
        return true;
      };
      if (read(rightOf(row, p, isLabel), 'after')) continue;
      // Under the label only when nothing stands right of it (a header row of labels is fine).
      if (rightOf(row, p, () => false).some((q) => !isLabel(q))) continue;
      const under = below(rows, r, p, isLabel);
      if (under) read(under.phrases, 'below');
    }
  });
}

function collectLabelled(lines: Line[], ctx: Ctx, out: Candidate[]): void {
  const add = (field: ScalarField, p: Parsed, base: number, evidence: Evidence, key: string) => {
    out.push({ field, value: p.value, confidence: conf(base + p.adjust), evidence, key });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const hits = withoutQualifiers(line.text, findLabels(line.text));
    const real = hits.filter((h) => h.field !== 'block');
    for (const h of real) {
      const field = fieldOf(h.field)!;
      const kind = KIND[h.field as Exclude<InvoiceLabelField, 'block'>];
      const next = hits.find((x) => x.start >= h.end);
      const prev = [...hits].reverse().find((x) => x.end <= h.start);
      const after = line.text.slice(h.end, next ? next.start : line.text.length);
      const before = line.text.slice(prev ? prev.end : 0, h.start);
      const key = `${line.page}:${line.index}`;
      // A name label in the middle of prose or an address ("35 rue d'ici, Seller line 2") labels nothing.
      if (kind === 'name' && !/(?:^|\t)\s*$/.test(line.text.slice(0, h.start))) continue;
      const fwd = parseValue(field, kind, after, 'fwd', ctx);
      if (fwd) {
        add(field, fwd, labelBase(h, 'after'), quoteLine(line), key);
        continue;
      }
      if (!blankish(after)) continue;
      if (!blankish(before)) {
        // Reversed layout: only when this label ends its segment of the line.
        // Names and free text are only read backwards across a column gap (tab).
        if ((kind === 'name' || kind === 'text') && !/\t\s*$/.test(before)) continue;
        const back = parseValue(field, kind, before, 'back', ctx);
        if (back) add(field, back, labelBase(h, 'before'), quoteLine(line), key);
        continue;
      }
      if (real.length !== 1) continue;
      // Label alone on its line: the value is on the next non-empty line.
      let j = i + 1;
      while (j < lines.length && lines[j]!.text.trim() === '') j++;
      const below = lines[j];
      if (!below) continue;
      const belowHits = findLabels(below.text).filter((x) => x.field !== 'block');
      const seg = belowHits.length > 0 ? below.text.slice(0, belowHits[0]!.start) : below.text;
      const p = parseValue(field, kind, seg, 'fwd', ctx);
      if (p && (kind === 'name' || kind === 'text' || blankish(seg.slice(p.index + p.length)) || kind === 'amount')) {
        add(field, p, labelBase(h, 'below'), quoteLines(line, below), `${below.page}:${below.index}`);
      }
    }
  }
}

/**
 * Labels in parentheses after another label qualify it ("Nettobetrag (zzgl. 19% MwSt.)
 * 376,37", "Total (incl. VAT)"): they are not fields of their own.
 */
function withoutQualifiers(text: string, hits: LabelHit[]): LabelHit[] {
  return hits.filter((h) => {
    const before = text.slice(0, h.start);
    const open = before.lastIndexOf('(');
    if (open < 0 || before.lastIndexOf(')') > open) return true;
    return !hits.some((o) => o !== h && o.field !== 'block' && o.end <= open);
  });
}

/**
 * A VAT breakdown: rows of a rate, its taxable base and its tax ("7% 160,00 € 11,20 €",
 * optionally the gross after), each checked by its own arithmetic (base × rate = tax to
 * the cent, base + tax = gross). Consecutive checked rows with different rates are one
 * table: the bases add up to the net amount and the taxes to the tax total, never the
 * first row alone. Confidence 0.7 (the arithmetic holds, but no label names the sums;
 * with more than one row the sums are not written on the page, so grounding flags them).
 */
function collectVatBreakdown(lines: Line[], ctx: Ctx, out: Candidate[]): void {
  const rowOf = (line: Line): { rate: string; base: string; tax: string } | null => {
    const all = findAmounts(maskDates(line.text, ctx), ctx.decimal);
    const rate = all.find((a) => a.percent);
    if (!rate || new Decimal(rate.value).lte(0) || new Decimal(rate.value).gt(30)) return null;
    const money = all.filter((a) => !a.percent && a.index > rate.index);
    const beforeRate = all.filter((a) => !a.percent && a.index < rate.index);
    if (beforeRate.length > 0 || (money.length !== 2 && money.length !== 3)) return null;
    const [base, tax, gross] = money.map((a) => new Decimal(a.value));
    if (!base!.gt(0) || !base!.times(rate.value).div(100).minus(tax!).abs().lte(0.01)) return null;
    if (gross && !base!.plus(tax!).eq(gross)) return null;
    return { rate: new Decimal(rate.value).toString(), base: base!.toFixed(2), tax: tax!.toFixed(2) };
  };
  for (let i = 0; i < lines.length; i++) {
    const rows: { line: Line; rate: string; base: string; tax: string }[] = [];
    let j = i;
    for (; j < lines.length && lines[j]!.page === lines[i]!.page; j++) {
      const r = rowOf(lines[j]!);
      if (!r || rows.some((x) => x.rate === r.rate)) break;
      rows.push({ line: lines[j]!, ...r });
    }
    if (rows.length === 0) continue;
    const first = rows[0]!.line;
    const last = rows.at(-1)!.line;
    const evidence = rows.length > 1 ? quoteLines(first, last) : quoteLine(first);
    const key = `vat:${first.page}:${first.index}`;
    const sum = (k: 'base' | 'tax') => rows.reduce((acc, r) => acc.plus(r[k]), new Decimal(0)).toFixed(2);
    out.push({ field: 'subtotal', value: sum('base'), confidence: 0.7, evidence, key });
    out.push({ field: 'taxTotal', value: sum('tax'), confidence: 0.7, evidence, key });
    i = j - 1;
  }
}

/** Stacked columns: N label-only lines right after N value lines, paired in order. */
function collectStacked(lines: Line[], ctx: Ctx, out: Candidate[]): void {
  let i = 0;
  while (i < lines.length) {
    if (!labelOnly(lines[i]!)) {
      i++;
      continue;
    }
    let j = i;
    while (j < lines.length && labelOnly(lines[j]!)) j++;
    const n = j - i;
    if (n >= 2 && i - n >= 0) {
      const values = lines.slice(i - n, i);
      if (values.every((v) => v.text.trim() !== '' && findLabels(v.text).every((h) => h.field === 'block'))) {
        for (let k = 0; k < n; k++) {
          const h = labelOnly(lines[i + k]!)!;
          const field = fieldOf(h.field)!;
          const kind = KIND[h.field as Exclude<InvoiceLabelField, 'block'>];
          const v = values[k]!;
          const p = parseValue(field, kind, v.text, 'fwd', ctx);
          if (p && blankish(v.text.slice(p.index + p.length))) {
            out.push({
              field,
              value: p.value,
              confidence: conf(labelBase(h, 'stack') + Math.min(0, p.adjust)),
              evidence: quoteLines(values[0]!, lines[j - 1]!),
              key: `${v.page}:${v.index}`,
            });
          }
        }
      }
    }
    i = j;
  }
}

/** A header row of amount labels over a row of amounts ("Grondslag  BTW bedrag  Totaal"). */
function collectColumns(lines: Line[], ctx: Ctx, out: Candidate[]): void {
  for (let i = 0; i + 1 < lines.length; i++) {
    const line = lines[i]!;
    const hits = findLabels(line.text).filter((h) => h.field === 'subtotal' || h.field === 'taxTotal' || h.field === 'total');
    if (hits.length < 2) continue;
    if (moneyAmounts(line.text, ctx).length > 0) continue;
    const fields = hits.map((h) => h.field as ScalarField);
    if (new Set(fields).size !== fields.length) continue;
    const next = lines[i + 1]!;
    const amounts = findAmounts(maskDates(next.text, ctx), ctx.decimal);
    // The leading run of amounts (rates skipped), up to the first word.
    const run: AmountMatch[] = [];
    let pos = 0;
    for (const a of amounts) {
      if (/\p{L}{2,}/u.test(next.text.slice(pos, a.index).replace(/\b(?:EUR|USD|GBP)\b/g, ''))) break;
      pos = a.index + a.raw.length;
      if (!a.percent) run.push(a);
    }
    if (run.length !== fields.length) continue;
    fields.forEach((f, k) => {
      out.push({ field: f, value: run[k]!.value, confidence: 0.65, evidence: quoteLines(line, next), key: `${next.page}:${next.index}:${k}` });
    });
  }
}

/** "Invoice INV/2023/03/0008", "Facture n°562044387 du 02 Juillet 2015". */
function collectTitles(lines: Line[], ctx: Ctx, out: Candidate[]): void {
  for (const line of lines) {
    const m = line.text.match(/^\s*(?:invoice|rechnung|facture|factuur|tax invoice)\s+([A-Z0-9#][\w\-/.]*\d[\w\-/.]*)\s*$/i);
    if (m && !findDates(m[1]!, { order: ctx.order }).length) {
      out.push({ field: 'invoiceNumber', value: m[1]!.replace(/^#/, ''), confidence: 0.7, evidence: quoteLine(line), key: `${line.page}:${line.index}` });
    }
    // A title line "INVOICE" with the number on the next line ("# 12345", "No. 12345").
    if (/^\s*(?:invoice|rechnung|facture|factuur|tax invoice)\s*$/i.test(line.text)) {
      const next = lines[line.index + 1];
      const n = next?.text.match(/^\s*(?:#|no\.?|nr\.?|n[°º])\s*([A-Za-z0-9][\w\-/.]*\d[\w\-/.]*)\s*$/i);
      if (next && n) {
        out.push({ field: 'invoiceNumber', value: n[1]!, confidence: 0.6, evidence: quoteLines(line, next), key: `${next.page}:${next.index}` });
      }
    }
    // Number followed by "du/vom/van/dated <date>": the issue date of that invoice.
    const hits = findLabels(line.text).filter((h) => h.field === 'invoiceNumber');
    for (const h of hits) {
      const rest = line.text.slice(h.end);
      const dm = rest.match(/^\s*[:#]?\s*[A-Z0-9][\w\-/.]*\s+(?:du|vom|von|van|dated|of|from)\s+/i);
      if (!dm) continue;
      const d = findDates(rest.slice(dm[0].length), { order: ctx.order })[0];
      if (d && d.index === 0) {
        out.push({ field: 'issueDate', value: d.iso, confidence: 0.85, evidence: quoteLine(line), key: `${line.page}:${line.index}` });
      }
    }
  }
}

/** Unlabelled but self-identifying values: valid IBANs, known VAT id formats. */
function collectPatterns(lines: Line[], out: Candidate[]): void {
  for (const line of lines) {
    const key = `${line.page}:${line.index}`;
    for (const ib of findIbans(line.text)) {
      out.push({ field: 'iban', value: ib.value, confidence: 0.8, evidence: quoteLine(line), key });
    }
    const blocked = findLabels(line.text).some((h) => h.field === 'block' && /uw|your|ihre|votre|customer|client|kunden|klant/i.test(h.raw));
    if (!blocked) {
      for (const v of findVatIds(line.text)) {
        if (findIbans(line.text).some((ib) => ib.value.includes(v.value))) continue;
        out.push({ field: 'vendorTaxId', value: v.value, confidence: 0.55, evidence: quoteLine(line), key });
      }
    }
  }
}

const LEGAL_FORM =
  /(?<![\p{L}])(?:GmbH|AG|KG|OHG|UG|e\.K\.|B\.V\.|BV|N\.V\.|NV|V\.O\.F\.|SAS|SARL|Sarl|S\.A\.S\.|S\.A\.|SA|SASU|EURL|SNC|Ltd\.?|Limited|LLC|L\.L\.C\.|Inc\.?|Corp\.?|Corporation|PLC|plc|LLP|Pvt\.? Ltd\.?|Private Limited|Co\.)(?![\p{L}])/u;

/** A document title written on the letterhead line: "Molenwerf Groothandel B.V.   FACTUUR". */
const TITLE_WORD = /(?:tax\s+invoice|invoice|rechnung|facture|factuur|receipt|quittung|credit\s+note|gutschrift|creditnota|avoir)/i;

function stripTitle(name: string): string {
  return name
    .replace(new RegExp(`[\\s\\t]+${TITLE_WORD.source}\\.?\\s*$`, 'i'), '')
    .replace(new RegExp(`^\\s*${TITLE_WORD.source}[\\s\\t:]+`, 'i'), '')
    .trim();
}

/** Lowercase, accents and punctuation folded to single spaces, padded: " harborlight data systems inc ". */
function foldText(s: string): string {
  return ` ${s.toLowerCase().normalize('NFKD').replace(/\p{M}/gu, '').replace(/[^\p{L}\p{N}]+/gu, ' ').trim()} `;
}

const LEGAL_WORDS =
  / (?:gmbh|ag|kg|ohg|ug|e k|b v|bv|n v|nv|v o f|vof|sas|sarl|s a s|s a|sa|sasu|eurl|snc|ltd|limited|llc|l l c|inc|incorporated|corp|corporation|plc|llp|pvt|private|co)(?= )/g;

/**
 * How a name is recognised elsewhere in the document: without its legal form
 * ("Oravel Stays Pvt. Ltd." = "Oravel Stays Private Limited") when what remains
 * is distinctive (two words, or one of 6+ letters); else the full name.
 */
function nameKey(name: string): string {
  const full = foldText(name);
  const core = full.replace(LEGAL_WORDS, ' ').replace(/\s+/g, ' ');
  const words = core.trim().split(' ').filter(Boolean);
  return words.length >= 2 || (words[0]?.length ?? 0) >= 6 ? ` ${words.join(' ')} ` : full;
}

/** Account-holder / payee wording: "t.n.v.", "Kontoinhaber", "account holder", "Titulaire du compte". */
const PAYEE =
  /(?<![\p{L}])(?:t\.\s?n\.\s?v\.?|ten\s+name\s+van|account\s+(?:holder|name)|beneficiary(?:\s+name)?|kontoinhaber(?:in)?|titulaire\s+du\s+compte|payable\s+to|zahlungsempf[äa]nger)(?![\p{L}])\s*:?\s*/iu;
/** Company-register and tax-registration wording: what a legal footer or imprint says about its company. */
const REGISTRATION =
  /(?<![\p{L}])(?:HRB|HRA|Amtsgericht|Registergericht|Handelsregister|Gesch[äa]ftsf[üu]hrer(?:in)?|Vorstand|Sitz|KvK|Kamer\s+van\s+Koophandel|RCS|RSC|SIRE[NT]|au\s+capital|Si[èe]ge\s+social|company\s+(?:number|no\.?|registration)|registered\s+(?:office|in|number)|regd\.?\s+office|CIN|USt-?Id(?:Nr)?\.?|VAT|BTW|TVA|GSTIN)(?![\p{L}])/iu;
/** A customer address block starts here: this line and the 4 under it are the customer's. */
const CUSTOMER_BLOCK = /(?<![\p{L}])(?:bill(?:ed)?\s+to|invoice\s+to|ship\s+to|sold\s+to|deliver(?:y|ed)\s+to|factuuradres|afleveradres|rechnungsadresse|lieferadresse|rechnungsempf[äa]nger|adresse\s+de\s+(?:facturation|livraison)|factur[ée]\s+[àa]|gefactureerd\s+aan)(?![\p{L}])/iu;
/** A line about the customer ("Your VAT number", "Klantnummer"). */
const CUSTOMER_LINE = /(?<![\p{L}])(?:uw|your|ihre|votre|customer|client|kunde|kunden|klant|attn|t\.a\.v\.|z\.\s?hd\.)(?![\p{L}])/iu;

/** The sender line printed above a letter's address window: "Name · Street 1 · 12345 City" (any common separator). */
const SENDER_LINE = /^\s*([^\d\t]{3,60}?)\s+[-–·|•●∙⋅◦]\s+[^\t]*\d[^\t]*\s+[-–·|•●∙⋅◦]\s+[^\t]*\d{4,5}/u;

/** A vendor name is never more than this sure (see guessVendor). */
const VENDOR_MAX = 0.88;

type VendorSignal = 'label' | 'payee' | 'registration' | 'footer' | 'sender';

/**
 * Vendor name candidates: a labelled seller, the sender line above the address
 * window, an account holder, lines with a legal-form suffix, else the first line.
 *
 * Confidence is earned by corroboration, not by where the guess came from:
 *   the name written on two or more lines, at least one of which is independent
 *   evidence that it is the issuer — an explicit vendor label ("Sold by",
 *   "Lieferant"), an account-holder line ("t.n.v.", "Kontoinhaber",
 *   "Titulaire du compte"), a company-register/VAT line (on or right under the
 *   name: "HRB", "KvK", "RCS", "au capital", "VAT", an IBAN, a VAT id), the page
 *   footer, or the sender line                                    0.85
 *   … with two or more such lines                                 0.88
 *   one labelled mention only                                     0.65
 *   sender line / account holder / register line only             0.6
 *   a legal-form line seen once or twice (no independent support) 0.45 – 0.55
 *   the first line of the page                                    0.25
 * Never from a customer context (bill-to/ship-to block, "your VAT number") and
 * never the extracted customer name. Kept below 0.9: a vendor's trading name
 * and its legal name are often both "right".
 */
function guessVendor(pages: PageText[], labelled: Candidate[], customer: string | null): Candidate[] {
  const out: Candidate[] = [];
  const fullText = pages.map((p) => p.text).join('\n').toLowerCase();
  const push = (value: string, confidence: number, line: Line) => {
    const v = stripTitle(value).replace(/[\s,:;\-–]+$/, '').trim();
    if (v.length < 2 || !/^[\p{L}\p{N}]/u.test(v) || !/\p{L}{2}/u.test(v)) return;
    out.push({ field: 'vendorName', value: v, confidence, evidence: quoteLine(line), key: `${line.page}:${line.index}` });
  };
  // The sender line above the address window: "Name - Street 1 - 12345 City".
  for (const line of pageLines(pages[0]!).slice(0, 40)) {
    const m = SENDER_LINE.exec(line.text);
    if (m && LEGAL_FORM.test(m[1]!)) push(m[1]!, 0.6, line);
  }
  for (const c of labelled) if (c.field === 'vendorName' && /^[\p{L}\p{N}]/u.test(c.value)) out.push({ ...c, confidence: conf(Math.min(c.confidence, 0.65)) });
  const allLines = pages.flatMap((p) => pageLines(p));
  // Account holders: "IBAN … · t.n.v. Name", "Kontoinhaber: Name", "Titulaire du compte : NAME".
  for (let i = 0; i < allLines.length; i++) {
    const line = allLines[i]!;
    const m = PAYEE.exec(line.text);
    if (!m) continue;
    let rest = line.text.slice(m.index + m[0].length);
    let at = line;
    if (rest.trim() === '' && allLines[i + 1]?.page === line.page) {
      at = allLines[i + 1]!;
      rest = at.text;
    }
    // "Factoring Bank AG IBAN …": the name ends where the account's own fields start ("Bank" may be part of the name).
    const name = rest.split(/\t|\s[·|•●]\s|\s[-–]\s|\b(?:IBAN|BIC|SWIFT)\b|\bBank(?:verbindung)?\s*:/)[0]!.trim();
    // The account holder is often not the issuer (a factoring bank, the owner of a sole trade): alone, a guess.
    if (name.length >= 2 && name.length <= 80 && (name.match(/\d/g) ?? []).length <= name.length / 3) push(name, 0.5, at);
  }
  const first = pages[0];
  if (!first) return out;
  const lines = pageLines(first);
  const counts = new Map<string, { n: number; line: Line; name: string }>();
  for (const line of lines) {
    const t = line.text.trim();
    if (!t || t.length > 60 || !LEGAL_FORM.test(t)) continue;
    if (customer && t.toLowerCase().includes(customer.toLowerCase())) continue;
    if (/^(?:regd|registered|siège|sitz|bill|ship|attn|sold|©)/i.test(t)) continue;
    const name = stripTitle(t.replace(/[\s,:;\-–]+$/, '').replace(/^[-–:\s]+/, ''));
    if (name.length < 3 || (name.match(/\d/g) ?? []).length > 4) continue;
    const k = name.toLowerCase();
    const e = counts.get(k);
    if (e) e.n++;
    else counts.set(k, { n: 1, line, name });
  }
  // Vendors recur (letterhead, bank details, legal footer); customers appear once or twice.
  for (const e of counts.values()) e.n = fullText.split(e.name.toLowerCase()).length - 1;
  const ranked = [...counts.values()].sort((a, b) => b.n - a.n || a.line.index - b.line.index);
  // The letterhead: a legal-form name among the page's first three lines is the issuer's more often than not.
  const head = new Set(lines.filter((l) => l.text.trim() !== '').slice(0, 3));
  for (const e of ranked) push(e.name, Math.max(e === ranked[0] ? (e.n >= 2 ? 0.55 : 0.45) : 0.4, head.has(e.line) ? 0.55 : 0), e.line);
  if (ranked.length === 0) {
    const firstLine = lines.find(
      (l) => /^\s*\p{L}/u.test(l.text) && /\p{L}{3,}/u.test(l.text) && l.text.trim().length <= 50 && !/\d/.test(l.text) && findLabels(l.text).length === 0 && !/invoice|rechnung|factu/i.test(l.text),
    );
    if (firstLine) push(firstLine.text.trim(), 0.25, firstLine);
  }
  return corroborate(out, pages, customer);
}

/** Raise the candidates whose name the document repeats in independent places (see guessVendor). */
function corroborate(cands: Candidate[], pages: PageText[], customer: string | null): Candidate[] {
  const customerKey = customer ? nameKey(customer) : null;
  const pageLineSets = pages.map((p) => pageLines(p));
  // Lines in a customer context: the line of a customer label and the 4 lines under it.
  const customerLines = new Set<string>();
  for (const ls of pageLineSets)
    ls.forEach((l, i) => {
      if (CUSTOMER_LINE.test(l.text)) customerLines.add(`${l.page}:${i}`);
      if (!CUSTOMER_BLOCK.test(l.text)) return;
      for (let k = i; k < Math.min(ls.length, i + 5); k++) customerLines.add(`${l.page}:${k}`);
    });
  const signalsOf = (ls: Line[], i: number, key: string): Set<VendorSignal> => {
    const l = ls[i]!;
    const sig = new Set<VendorSignal>();
    if (findLabels(l.text).some((h) => h.field === 'vendorName')) sig.add('label');
    else if (i > 0 && labelOnly(ls[i - 1]!)?.field === 'vendorName') sig.add('label');
    const payee = PAYEE.exec(l.text);
    if (payee && foldText(l.text.slice(payee.index)).includes(key)) sig.add('payee');
    else if (i > 0 && PAYEE.test(ls[i - 1]!.text) && PAYEE.exec(ls[i - 1]!.text)!.index + PAYEE.exec(ls[i - 1]!.text)![0].length >= ls[i - 1]!.text.trimEnd().length) sig.add('payee');
    const regAt = (t: string) => REGISTRATION.test(t) || findIbans(t).length > 0 || findVatIds(t).length > 0;
    if (regAt(l.text) || (i + 1 < ls.length && regAt(ls[i + 1]!.text) && !customerLines.has(`${l.page}:${i + 1}`))) sig.add('registration');
    const nonEmpty = ls.filter((x) => x.text.trim() !== '');
    // A running footer or imprint that starts with the name (not any closing sentence mentioning it).
    if (nonEmpty.length >= 15 && nonEmpty.slice(-3).includes(l) && foldText(l.text).startsWith(key)) sig.add('footer');
    if (SENDER_LINE.test(l.text)) sig.add('sender');
    return sig;
  };
  const scored = cands.map((c) => {
    const key = nameKey(c.value);
    if (customerKey && (key === customerKey || foldText(c.value) === foldText(customer!))) return { ...c, confidence: Math.min(c.confidence, 0.25) };
    let lines = 0;
    let supported = 0;
    for (const ls of pageLineSets)
      ls.forEach((l, i) => {
        if (customerLines.has(`${l.page}:${i}`) || !foldText(l.text).includes(key)) return;
        lines++;
        if (signalsOf(ls, i, key).size > 0) supported++;
      });
    let confidence = c.confidence;
    if (lines >= 2 && supported >= 1) confidence = Math.max(confidence, supported >= 2 ? VENDOR_MAX : 0.85);
    return { ...c, confidence };
  });
  // Variants of one name ("Pvt. Ltd." / "Private Limited") are one candidate for choose(): keep the first spelling.
  const byKey = new Map<string, string>();
  return scored.map((c) => {
    const k = nameKey(c.value);
    const v = byKey.get(k) ?? c.value;
    byKey.set(k, v);
    return { ...c, value: v };
  });
}

/** The address block under the vendor name: up to 3 following lines with a digit (street, postcode). */
function guessVendorAddress(pages: PageText[], vendor: Candidate | undefined): Candidate | null {
  if (!vendor || vendor.confidence < 0.4) return null;
  const page = pages.find((p) => p.pageNumber === vendor.evidence.page);
  if (!page) return null;
  const lines = pageLines(page);
  const idx = lines.findIndex((l) => l.text.trim() === vendor.evidence.quote || l.text.includes(vendor.evidence.quote));
  if (idx < 0) return null;
  const block: Line[] = [];
  for (let k = idx + 1; k < lines.length && block.length < 3; k++) {
    const t = lines[k]!.text.trim();
    if (!t || t.length > 80 || findLabels(t).some((h) => h.field !== 'block')) break;
    if (!/\d/.test(t) && block.length === 0) break;
    block.push(lines[k]!);
  }
  if (block.length === 0) return null;
  const value = block.map((l) => l.text.trim()).join(', ');
  return { field: 'vendorAddress', value, confidence: 0.4, evidence: quoteLines(block[0]!, block.at(-1)!), key: 'addr' };
}

/** qty × unit price = amount, to the cent. */
function multiplies(qty: string, unit: string, amount: string): boolean {
  return new Decimal(qty).times(unit).minus(amount).abs().lte(0.01);
}

/** Units written after a quantity in a table row ("250 Stk", "1 psch.", "2 x"). */
const QTY_UNIT =
  /^(?:x|pcs?\.?|pce\.?|pieces?|units?|stk\.?|st\.?|stck\.?|st[üu]ck|psch\.?|pauschal|stuks?|ea\.?|each|kg|g|l|m|m2|m²|h|hrs?\.?|hours?|std\.?|uur|days?|tage?|dagen|nights?|months?|monate?|maand(?:en)?|mois|jours?)$/i;

interface RowNumber {
  value: string;
  /** Offset of the token in the line. */
  index: number;
  /** A rate ("21%", "9 %"): a VAT or discount column, never qty, price or amount. */
  percent: boolean;
  /** Followed by a unit word ("250 Stk"): a quantity. */
  unitWord: boolean;
}

/**
 * The numeric columns at the end of a table row, one whitespace-separated token
 * each (a space-grouped "1 125,00" is NOT joined here: in a row it is more often
 * a quantity then a price). Stops at the first word that is not a currency,
 * a unit or a rate: what precedes is the description.
 */
function rowNumbers(text: string, ctx: Ctx): { nums: RowNumber[]; descEnd: number } {
  const toks = [...text.matchAll(/\S+/g)];
  const nums: RowNumber[] = [];
  let descEnd = text.length;
  let pendingPercent = false;
  let pendingUnit = false;
  for (let k = toks.length - 1; k >= 0; k--) {
    const tok = toks[k]![0];
    const at = toks[k]!.index!;
    if (tok === '%') {
      pendingPercent = true;
      descEnd = at;
      continue;
    }
    if (/^(?:[€$£]|EUR|USD|GBP|CHF|Rs\.?)$/.test(tok)) {
      descEnd = at;
      continue;
    }
    if (QTY_UNIT.test(tok) && nums.length > 0) {
      pendingUnit = true;
      descEnd = at;
      continue;
    }
    const core = tok.replace(/^(?:[€$£]|EUR|USD|GBP|Rs\.?)/, '').replace(/(?:[€$£]|EUR|USD|GBP)$/, '');
    const pct = /%$/.test(core);
    const digits = core.replace(/%$/, '');
    if (!/^-?\d[\d.,']*$/.test(digits)) break;
    const n = normaliseNumber(digits.replace(/^-/, ''), ctx.decimal);
    if (!n) break;
    nums.unshift({ value: (digits.startsWith('-') ? '-' : '') + n.value, index: at, percent: pct || pendingPercent, unitWord: pendingUnit });
    pendingPercent = false;
    pendingUnit = false;
    descEnd = at;
  }
  return { nums, descEnd };
}

/**
 * Column readings of a row, most likely first: amount = the last number; unit
 * price and quantity before it, adjacent or separated only by rates and zero
 * columns (a 0.00 discount). Numbers before the quantity belong to the
 * description ("zak 25 kg", "juni 2024").
 */
function rowReadings(nums: RowNumber[]): { qty: RowNumber; unit: RowNumber; amount: RowNumber }[] {
  const money = nums.filter((n) => !n.percent);
  const out: { qty: RowNumber; unit: RowNumber; amount: RowNumber }[] = [];
  if (money.length < 3) return out;
  const amount = money.at(-1)!;
  for (let u = money.length - 2; u >= 1; u--) {
    if (money.slice(u + 1, -1).some((n) => !new Decimal(n.value).isZero())) break;
    out.push({ qty: money[u - 1]!, unit: money[u]!, amount });
  }
  return out;
}

function lineItems(lines: Line[], ctx: Ctx): InvoiceLineItem[] {
  const items: InvoiceLineItem[] = [];
  const HEADER_DESC = /\b(?:description|item|product|artikel|omschrijving|beschreibung|bezeichnung|d[ée]signation|libell[ée]|service)\b/i;
  const HEADER_NUM = /\b(?:qty|quantity|menge|anzahl|aantal|qt[ée]|quantit[ée]|nombre|hoeveelheid|price|prix|preis|prijs|rate|amount|montant|betrag|bedrag)\b/i;
  const HEADER_QTY = /\b(?:qty|quantity|menge|anzahl|aantal|qt[ée]|quantit[ée]|nombre|hoeveelheid|hours|units)\b/i;
  const HEADER_PRICE = /\b(?:(?:unit\s*)?price|prix|p\.u\.|(?:einzel)?preis|prijs|rate|tarif)\b/i;
  let inTable = false;
  // Column order from the header: "Prijs … Hoeveelheid" puts the price before the quantity.
  let priceFirst = false;
  for (const line of lines) {
    const t = line.text;
    if (HEADER_DESC.test(t) && HEADER_NUM.test(t) && moneyAmounts(t, ctx).length === 0) {
      inTable = true;
      const q = t.search(HEADER_QTY);
      const pr = t.search(HEADER_PRICE);
      priceFirst = q >= 0 && pr >= 0 && pr < q;
      continue;
    }
    if (!inTable) continue;
    const labels = findLabels(t).filter((h) => h.field === 'subtotal' || h.field === 'total' || h.field === 'taxTotal');
    if (labels.some((h) => h.start < 3)) {
      // A totals line ends the table; a line item's own rate note ("Tax: 0.2%") does not.
      const rateNote = moneyAmounts(t, ctx).length === 0 && findAmounts(t, ctx.decimal).some((a) => a.percent);
      if (!rateNote) inTable = false;
      continue;
    }
    const prefix = t.match(/^\s*(?:\[[^\]]*\]\s*|\*[^*]*\*\s*)?/)![0].length;
    // The row's own arithmetic decides between column readings: the first
    // reading where quantity × unit price = amount wins.
    const row = rowNumbers(t, ctx);
    const verified = rowReadings(row.nums).find((r) => multiplies(r.qty.value, r.unit.value, r.amount.value));
    const m = t.match(/^\s*(?:\[[^\]]*\]\s*|\*[^*]*\*\s*)?(\p{L}[^\t]*?\p{L}[^\t\d€$£]*?)\s*\t?\s*((?:[-\d€$£.,%\s]|(?<=[\s\d])(?:Rs\.?|EUR|PCS|Units?|kg|g|L|x)(?!\p{L}))+)$/u);
    let item: InvoiceLineItem | null = null;
    if (m) {
      const desc = m[1]!.trim();
      const nums = findAmounts(m[2]!, ctx.decimal).filter((a) => !a.percent);
      // In a document that writes money with decimals, a row ending in a bare integer ("Period 2024 2025") is not priced.
      const last = nums.at(-1);
      const priced = ctx.decimal === undefined || (last !== undefined && (last.decimals > 0 || last.currency !== null));
      if (nums.length >= 2 && desc.length >= 2 && priced) {
        const amount = nums.at(-1)!;
        const hasQty = nums.length >= 3 || !nums[0]!.currency;
        const quantity = hasQty && nums[0]!.decimals <= 3 && !nums[0]!.currency ? nums[0]!.value : null;
        const unit = nums.length >= 3 ? nums[nums.length - 2]! : quantity === null ? nums[0]! : nums[1]!;
        const unitPrice = unit === amount ? null : unit.value;
        // Plausibility: quantity x unit price = amount makes the row trustworthy.
        const ok = quantity !== null && unitPrice !== null && multiplies(quantity, unitPrice, amount.value);
        item = { description: desc, quantity, unitPrice, amount: amount.value, confidence: ok ? 0.7 : 0.45, evidence: quoteLine(line) };
      }
    }
    if (verified && !(item && item.confidence >= 0.7)) {
      let { qty, unit } = verified;
      // Which of the two factors is the quantity: the one with a unit word, else the header's order.
      if (unit.unitWord && !qty.unitWord) [qty, unit] = [unit, qty];
      else if (priceFirst && !qty.unitWord) [qty, unit] = [unit, qty];
      const desc = t.slice(prefix, qty.index < unit.index ? qty.index : unit.index).trim().replace(/[\s,;:\-–]+$/, '');
      if (/\p{L}{2}/u.test(desc)) {
        item = { description: desc, quantity: qty.value, unitPrice: unit.value, amount: verified.amount.value, confidence: 0.7, evidence: quoteLine(line) };
      }
    }
    if (item) items.push(item);
  }
  return items;
}

function choose(cands: Candidate[], field: ScalarField): Candidate | undefined {
  const list = cands.filter((c) => c.field === field);
  if (list.length === 0) return undefined;
  const byValue = new Map<string, Candidate[]>();
  for (const c of list) {
    const k = c.value.toUpperCase();
    byValue.set(k, [...(byValue.get(k) ?? []), c]);
  }
  const groups = [...byValue.values()].map((g) => {
    const best = [...g].sort((a, b) => b.confidence - a.confidence)[0]!;
    const lines = new Set(g.map((c) => c.key)).size;
    return { best, score: best.confidence + 0.03 * (lines - 1), lines };
  });
  groups.sort((a, b) => b.score - a.score);
  const top = groups[0]!;
  let c = top.best.confidence + 0.03 * Math.min(3, top.lines - 1);
  // Competition: a different value with nearly the same support.
  const rival = groups[1];
  if (rival && rival.best.confidence >= top.best.confidence - 0.1) c = Math.min(c, 0.55);
  return { ...top.best, confidence: conf(c) };
}

/**
 * Tax split by rate ("BTW 9% over 1.006,80  90,61" / "BTW 21% over 322,40  67,70"):
 * no single line holds the tax total. When the tax lines name different rates and
 * subtotal + their sum = total, the sum is the tax total and all three agree.
 * The sum is not written on the page, so its evidence (the tax lines) cannot
 * ground it: grounding will flag it, as it should for a derived value.
 */
function taxByRate(cands: Candidate[], subs: Candidate[], totals: Candidate[], picked: Map<ScalarField, Candidate>, lines: Line[]): boolean {
  const byKey = new Map(lines.map((l) => [`${l.page}:${l.index}`, l]));
  const rateLines: { c: Candidate; line: Line; rate: string }[] = [];
  for (const c of cands) {
    if (c.field !== 'taxTotal' || c.confidence < 0.45) continue;
    const line = byKey.get(c.key);
    const rate = line && findAmounts(line.text).find((a) => a.percent && !new Decimal(a.value).isZero());
    if (!line || !rate || rateLines.some((r) => r.c.key === c.key)) continue;
    rateLines.push({ c, line, rate: new Decimal(rate.value).toString() });
  }
  if (rateLines.length < 2 || rateLines.length > 4 || new Set(rateLines.map((r) => r.rate)).size !== rateLines.length) return false;
  const taxSum = rateLines.reduce((acc, r) => acc.plus(r.c.value), new Decimal(0));
  for (const sub of subs)
    for (const tot of totals) {
      if (!new Decimal(sub.value).plus(taxSum).eq(tot.value) || new Decimal(tot.value).lte(0)) continue;
      const first = rateLines[0]!.line;
      const last = rateLines.at(-1)!.line;
      const evidence = first.page === last.page && first.index < last.index ? quoteLines(first, last) : quoteLine(first);
      picked.set('subtotal', { ...sub, confidence: conf(Math.max(sub.confidence, 0.9)) });
      picked.set('taxTotal', { field: 'taxTotal', value: taxSum.toFixed(2), confidence: 0.85, evidence, key: 'tax-by-rate' });
      picked.set('total', { ...tot, confidence: conf(Math.max(tot.confidence, 0.9)) });
      return true;
    }
  return false;
}

/** Below this, an amount that nothing reconciles: item 3 of issue 15 (0.9 must be earned by arithmetic). */
const UNRECONCILED_MAX = 0.85;

/**
 * Reconcile the totals, then cap what did not reconcile. A value reaches 0.9 only
 * when arithmetic confirms it: subtotal + tax = total (reconcileTriple), or the
 * priced line items adding up to the net amount (or to the total when the tax is
 * zero or absent). Everything else stays at most UNRECONCILED_MAX, however strong
 * its label.
 */
function reconcileTotals(cands: Candidate[], picked: Map<ScalarField, Candidate>, lines: Line[], items: readonly InvoiceLineItem[]): void {
  const confirmed = new Set<ScalarField>();
  if (reconcileTriple(cands, picked, lines)) for (const f of ['subtotal', 'taxTotal', 'total'] as const) if (picked.has(f)) confirmed.add(f);
  const priced = items.filter((i): i is InvoiceLineItem & { amount: string } => i.confidence >= 0.7 && i.amount !== null);
  if (priced.length > 0 && priced.length === items.length) {
    const sum = priced.reduce((acc, i) => acc.plus(i.amount), new Decimal(0));
    const sub = picked.get('subtotal');
    const tax = picked.get('taxTotal');
    const tot = picked.get('total');
    if (sub && sum.eq(sub.value)) confirmed.add('subtotal');
    if (tot && sum.eq(tot.value) && (!tax || new Decimal(tax.value).isZero()) && (!sub || sum.eq(sub.value))) confirmed.add('total');
    for (const f of confirmed) {
      const c = picked.get(f)!;
      if (c.confidence >= 0.7) picked.set(f, { ...c, confidence: conf(Math.max(c.confidence, 0.9)) });
    }
  }
  for (const f of ['subtotal', 'taxTotal', 'total'] as const) {
    const c = picked.get(f);
    if (c && !confirmed.has(f)) picked.set(f, { ...c, confidence: conf(Math.min(c.confidence, UNRECONCILED_MAX)) });
  }
}

/** Prefer a subtotal/tax/total triple that adds up; it confirms all three. True when one did. */
function reconcileTriple(cands: Candidate[], picked: Map<ScalarField, Candidate>, lines: Line[]): boolean {
  const subs = cands.filter((c) => c.field === 'subtotal' && c.confidence >= 0.45);
  const taxes = cands.filter((c) => c.field === 'taxTotal' && c.confidence >= 0.45);
  const totals = cands.filter((c) => c.field === 'total' && c.confidence >= 0.45);
  let best: { s: Candidate; t: Candidate; T: Candidate; score: number } | null = null;
  for (const s of subs)
    for (const t of taxes)
      for (const T of totals) {
        if (!new Decimal(s.value).plus(t.value).eq(T.value)) continue;
        if (new Decimal(T.value).lte(0)) continue;
        const score = s.confidence + t.confidence + T.confidence;
        if (!best || score > best.score) best = { s, t, T, score };
      }
  if (!best && taxByRate(cands, subs, totals, picked, lines)) return true;
  if (best) {
    picked.set('subtotal', { ...best.s, confidence: conf(Math.max(best.s.confidence, 0.9)) });
    picked.set('taxTotal', { ...best.t, confidence: conf(Math.max(best.t.confidence, 0.9)) });
    picked.set('total', { ...best.T, confidence: conf(Math.max(best.T.confidence, 0.9)) });
    return true;
  }
  // Subtotal and total disagree with the tax on record: lower all three.
  const s = picked.get('subtotal');
  const t = picked.get('taxTotal');
  const T = picked.get('total');
  if (s && t && T && !new Decimal(s.value).plus(t.value).eq(T.value)) {
    for (const f of ['subtotal', 'taxTotal', 'total'] as const) {
      const c = picked.get(f)!;
      picked.set(f, { ...c, confidence: conf(Math.min(c.confidence, 0.6)) });
    }
  } else if (s && T && new Decimal(s.value).gt(T.value)) {
    picked.set('subtotal', { ...s, confidence: conf(Math.min(s.confidence, 0.5)) });
  }
  return false;
}

/** A line stamped with the date of something else: a version, a print run, a sent message. */
const STAMP = /(?<![\p{L}])(?:version|stand|gedruckt|printed|druckdatum|print\s*date|sent|gesendet|envoy[ée]|verzonden|verstuurd)(?![\p{L}])/iu;
const MAIL_FIELD = /^\s*(?:from|von|de|van|to|an|[àa]|aan|cc|sent|date|datum|gesendet|envoy[ée]|verzonden|subject|betreff|objet|onderwerp)\s*:/iu;
const MAIL_FROM = /^\s*(?:from|von|de|van)\s*:/iu;
const MAIL_SUBJECT = /^\s*(?:subject|betreff|objet|onderwerp)\s*:/iu;

/**
 * Lines whose dates are not the invoice's: stamp lines, and every line of an
 * e-mail header block (3+ consecutive "Key:" lines with a sender and a subject).
 */
function stampLines(lines: readonly Line[]): Set<string> {
  const out = new Set<string>();
  for (const l of lines) if (STAMP.test(l.text)) out.add(`${l.page}:${l.index}`);
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j < lines.length && lines[j]!.page === lines[i]!.page && MAIL_FIELD.test(lines[j]!.text)) j++;
    const block = lines.slice(i, j);
    if (block.length >= 3 && block.some((l) => MAIL_FROM.test(l.text)) && block.some((l) => MAIL_SUBJECT.test(l.text)))
      for (const l of block) out.add(`${l.page}:${l.index}`);
    i = Math.max(j, i + 1);
  }
  return out;
}

export function extractInvoice(allPages: readonly PageText[]): InvoiceExtraction {
  const fields = emptyInvoiceExtraction();
  const pages = textPages(allPages);
  if (pages.length === 0) return fields;
  const fullText = pages.map((p) => p.text).join('\n');
  const order = detectDateOrder(fullText);
  const orderFromDates = /(?<!\d)(?:1[3-9]|2\d|3[01])[/-](?:0?[1-9]|1[0-2])[/-]\d{2,4}|(?<!\d)(?:0?[1-9]|1[0-2])[/-](?:1[3-9]|2\d|3[01])[/-]\d{2,4}/.test(fullText);
  const ctx: Ctx = { order, orderFromDates, decimal: detectDecimalSeparator(fullText) };

  const cands: Candidate[] = [];
  const allLines: Line[] = [];
  for (const page of pages) {
    const lines = pageLines(page);
    allLines.push(...lines);
    collectLabelled(lines, ctx, cands);
    collectStacked(lines, ctx, cands);
    collectColumns(lines, ctx, cands);
    collectTitles(lines, ctx, cands);
    collectVatBreakdown(lines, ctx, cands);
    collectLayout(page, lines, ctx, cands);
    collectPatterns(lines, cands);
  }

  // Dates of the message or the file, not of the invoice: an e-mail header's "Sent:",
  // a "Version 2.1 vom …" or "printed on" stamp.
  const stamped = stampLines(allLines);
  for (let k = cands.length - 1; k >= 0; k--) if (cands[k]!.field === 'issueDate' && stamped.has(cands[k]!.key)) cands.splice(k, 1);
  // Issue date fallback: the first date on the first page, a guess.
  if (!cands.some((c) => c.field === 'issueDate')) {
    for (const line of pageLines(pages[0]!)) {
      const d = findDates(line.text, { order })[0];
      if (d && !stamped.has(`${line.page}:${line.index}`) && findLabels(line.text).every((h) => h.field !== 'block')) {
        cands.push({ field: 'issueDate', value: d.iso, confidence: d.ambiguous ? 0.3 : 0.4, evidence: quoteLine(line), key: 'fallback' });
        break;
      }
    }
  }
  // Total fallback: the largest amount written with a currency, a guess.
  if (!cands.some((c) => c.field === 'total')) {
    let best: { a: AmountMatch; line: Line } | null = null;
    for (const line of allLines)
      for (const a of moneyAmounts(line.text, ctx))
        if (a.currency && (!best || new Decimal(a.value).gt(best.a.value))) best = { a, line };
    if (best) cands.push({ field: 'total', value: best.a.value, confidence: 0.3, evidence: quoteLine(best.line), key: 'fallback' });
  }

  // Vendor and customer from their role-headed address blocks.
  const parties = partyBlocks(allLines);
  for (const p of parties) if (p.role === 'customer') cands.push({ field: 'customerName', value: p.value, confidence: p.confidence, evidence: p.evidence, key: p.key });

  const picked = new Map<ScalarField, Candidate>();
  const scalar: ScalarField[] = ['invoiceNumber', 'issueDate', 'dueDate', 'subtotal', 'taxTotal', 'total', 'vendorTaxId', 'iban', 'bic', 'purchaseOrder', 'paymentTerms', 'customerName'];
  for (const f of scalar) {
    const c = choose(cands, f);
    if (c) picked.set(f, c);
  }
  const items = lineItems(allLines, ctx);
  reconcileTotals(cands, picked, allLines, items);
  // A labelled tax of zero: the net amount is the total (and is written in the total's line).
  const tax0 = picked.get('taxTotal');
  const tot0 = picked.get('total');
  if (!picked.has('subtotal') && tax0 && tot0 && new Decimal(tax0.value).isZero() && tax0.confidence >= 0.7) {
    picked.set('subtotal', { ...tot0, field: 'subtotal', confidence: conf(Math.min(tot0.confidence, tax0.confidence) - 0.2) });
  }

  // A due date before the issue date is a misread.
  const issue = picked.get('issueDate');
  const due = picked.get('dueDate');
  if (issue && due && due.value < issue.value) picked.set('dueDate', { ...due, confidence: conf(Math.min(due.confidence, 0.4)) });
  // A BIC whose country matches the IBAN's confirms both.
  const iban = picked.get('iban');
  const bic = picked.get('bic');
  if (iban && bic && bic.value.slice(4, 6) === iban.value.slice(0, 2)) picked.set('bic', { ...bic, confidence: conf(bic.confidence + 0.03) });

  const customer = picked.get('customerName')?.value ?? null;
  const sectionVendors: Candidate[] = parties
    .filter((p) => p.role === 'vendor' && (!customer || p.value.toLowerCase() !== customer.toLowerCase()))
    .map((p) => ({ field: 'vendorName', value: p.value, confidence: p.confidence, evidence: p.evidence, key: p.key }));
  // A vendor label read inside a party block's line ("Name: Lieferant GmbH" → "GmbH") is the block's, not a label.
  const blockLines = new Set(parties.map((p) => p.key));
  const labelled = cands.filter((c) => c.field !== 'vendorName' || !blockLines.has(c.key));
  // The buyer is never the vendor: such candidates are dropped (not merely lowered) so the next one is taken.
  const customerKey = customer ? nameKey(customer) : null;
  const vendorCands = [...guessVendor(pages, labelled, customer), ...sectionVendors].filter((c) => !customerKey || nameKey(c.value) !== customerKey);
  const chosen = choose(vendorCands, 'vendorName');
  // Agreeing candidates are the corroboration already counted by guessVendor: no further bonus.
  const vendor = chosen && { ...chosen, confidence: Math.min(chosen.confidence, VENDOR_MAX) };
  if (vendor) picked.set('vendorName', vendor);
  const address = guessVendorAddress(pages, vendor);
  if (address) picked.set('vendorAddress', address);

  for (const [f, c] of picked) fields[f] = { value: c.value, confidence: c.confidence, evidence: c.evidence };

  // Currency: symbols and codes in the document.
  const cur = detectCurrency(fullText);
  if (cur && isIsoCurrency(cur.code)) {
    const page = pages.find((p) => p.text.includes(cur.raw)) ?? pages[0]!;
    const at = page.text.indexOf(cur.raw);
    // Only one currency written, and more than once: clear. "$" alone could be
    // another dollar; competing currencies make it a guess.
    let c = cur.count >= 2 ? 0.9 : 0.75;
    if (cur.code === 'USD' && !/\bUSD\b|US\s?\$|US Dollars?/i.test(fullText)) c -= 0.05;
    if (cur.others > 0) c = Math.min(c, cur.others >= cur.count / 2 ? 0.5 : 0.7);
    fields.currency = { value: cur.code, confidence: conf(c), evidence: quoteSpan(page.pageNumber, page.text, at, at + cur.raw.length) };
  }

  fields.lineItems = items;
  return fields;
}
