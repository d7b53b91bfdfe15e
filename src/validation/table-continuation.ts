import type { InvoiceExtraction } from '../../schemas/index.ts';
import type { PageText } from '../extraction/model-tier.ts';
import type { CheckResult } from './checks.ts';

/**
 * A line-item table that runs over a page break, read from the text layer:
 *
 * - a page ENDS IN A TABLE when it has at least two item rows (a line with
 *   words that ends in an amount) and no totals line ("Subtotal", "Total",
 *   "Summe", …) after its last item row;
 * - the next page CONTINUES it when item rows come before any totals line on
 *   it (under a repeated header or not).
 *
 * When the extracted line items cite the page where the table runs out but
 * none cite the page that continues it, the reading stopped short: a failed
 * check `line_items_continue(lineItems)` whose reason says so in words
 * ("the line items table continues on page 3 but only 12 of about 20 rows
 * were read"). Skipped when no line item cites a page (nothing to compare),
 * on scanned pages (no text layer), and on a single page.
 */
const AMOUNT_AT_END = /[A-Za-z\u00C0-\u024F]{2}.*(?:^|[\s:])[-(]?(?:[$€£¥]|[A-Z]{3})?\s?\d{1,3}(?:[.,'\u00A0 ]\d{3})*[.,]\d{2}\)?\s*(?:[A-Z]{3}|[$€£¥])?\s*$/;
const TOTALS_LINE = /\b(?:sub-?total|total|totals|summe|zwischensumme|gesamt(?:betrag)?|totaal|subtotaal|montant (?:total|ht|ttc)|total (?:ht|ttc)|amount due|balance due|net amount|nettobetrag|rechnungsbetrag)\b/i;

export const LINE_ITEMS_CONTINUE_CHECK = 'line_items_continue';

interface PageTable {
  pageNumber: number;
  /** Item rows before the first totals line (a continuation's rows). */
  leadingRows: number;
  /** Item rows on the page. */
  rows: number;
  /** The page's last item row has no totals line after it (the table runs to the page end). */
  runsToEnd: boolean;
}

function tableOf(page: PageText): PageTable {
  const lines = page.text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  let rows = 0;
  let leadingRows = 0;
  let totalsSeen = false;
  let lastRow = -1;
  let lastTotals = -1;
  lines.forEach((line, i) => {
    const totals = TOTALS_LINE.test(line);
    if (totals) {
      totalsSeen = true;
      lastTotals = i;
      return;
    }
    if (AMOUNT_AT_END.test(line)) {
      rows += 1;
      lastRow = i;
      if (!totalsSeen) leadingRows += 1;
    }
  });
  return { pageNumber: page.pageNumber, rows, leadingRows, runsToEnd: rows >= 2 && lastRow > lastTotals };
}

/** Pages (in order) where a table that ran to the end of the previous page goes on: [previous, continuing]. */
export function tableContinuations(pages: readonly PageText[]): { from: number; to: number; rowsFrom: number; rowsTo: number }[] {
  const sorted = [...pages].filter((p) => !p.imageOnly).sort((a, b) => a.pageNumber - b.pageNumber);
  const out: { from: number; to: number; rowsFrom: number; rowsTo: number }[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i]!;
    const b = sorted[i + 1]!;
    if (b.pageNumber !== a.pageNumber + 1) continue;
    const ta = tableOf(a);
    const tb = tableOf(b);
    if (ta.runsToEnd && tb.leadingRows >= 1) out.push({ from: a.pageNumber, to: b.pageNumber, rowsFrom: ta.rows, rowsTo: tb.leadingRows });
  }
  return out;
}

/**
 * Whether the line items stop short of a table that continues on the next
 * page (see the module comment); null when there is nothing to check.
 */
export function lineItemsContinueCheck(lineItems: InvoiceExtraction['lineItems'], pages: readonly PageText[]): CheckResult | null {
  const cited = new Set(lineItems.flatMap((l) => (l.evidence ? [l.evidence.page] : [])));
  if (cited.size === 0) return null;
  const continuations = tableContinuations(pages);
  if (continuations.length === 0) return null;
  const missed = continuations.find((c) => cited.has(c.from) && !cited.has(c.to));
  if (!missed) {
    return {
      name: LINE_ITEMS_CONTINUE_CHECK,
      passed: true,
      message: `the line items table continues over page(s) ${continuations.map((c) => c.to).join(', ')} and line items were read from each`,
      fields: ['lineItems'],
    };
  }
  // The rows seen on the pages of this table: from the page it starts on to its last continuation.
  let start = missed.from;
  for (let link = continuations.find((c) => c.to === start); link; link = continuations.find((c) => c.to === start)) start = link.from;
  const links: typeof continuations = [];
  for (let link = continuations.find((c) => c.from === start); link; link = continuations.find((c) => c.from === link!.to)) links.push(link);
  const seen = (links[0]?.rowsFrom ?? 0) + links.reduce((n, c) => n + c.rowsTo, 0);
  const reason =
    `the line items table continues on page ${missed.to} but only ${lineItems.length} of about ${Math.max(seen, lineItems.length + 1)} rows were read ` +
    `(none from page ${missed.to})`;
  return { name: LINE_ITEMS_CONTINUE_CHECK, passed: false, message: reason, fields: ['lineItems'], reason };
}
