/**
 * Page layout for the rules tier, from the positions of the text items (the same
 * pdf.js runs as the evidence boxes, src/pdf/text-items.ts): rows, phrases, the
 * value to the right of a label or under it in the same column, and the page's
 * header and footer zones.
 *
 * Why: a PDF's text layer often emits a label and its value far apart ("FACTURE
 * N° :" at the top of the text, "F20180027" fifty lines later, although the value
 * sits right beside the label on the page), and a header row of labels over a row
 * of values ("TOTAL HT   TOTAL TTC" over "100,00   110,00") reads as two unrelated
 * lines. Positions put them back together.
 */
import type { PageSize, TextItem } from '../../pdf/text-items.ts';

/** A run of items on one row close enough to be one phrase ("Invoice" "number:"). */
export interface Phrase {
  str: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Row {
  /** Phrases left to right. */
  phrases: Phrase[];
  top: number;
  bottom: number;
}

/** A4 portrait, for pages whose size was not reported. */
const DEFAULT_SIZE: PageSize = { width: 595, height: 842 };

/**
 * Rows of phrases. Items whose vertical centres lie within half a line height of a
 * row's centre share the row; within a row, items closer than about one character
 * width (0.6 × font height, in points) join into one phrase — a wider gap is a
 * column gap.
 */
export function layoutRows(items: readonly TextItem[], size: PageSize = DEFAULT_SIZE): Row[] {
  const sorted = items.filter((i) => i.str.trim() !== '' && i.h > 0).sort((a, b) => a.y + a.h / 2 - (b.y + b.h / 2) || a.x - b.x);
  const rows: { items: TextItem[]; centre: number; h: number }[] = [];
  for (const it of sorted) {
    const c = it.y + it.h / 2;
    const row = rows.find((r) => Math.abs(r.centre - c) < Math.max(r.h, it.h) / 2);
    if (row) {
      row.items.push(it);
      row.h = Math.max(row.h, it.h);
    } else rows.push({ items: [it], centre: c, h: it.h });
  }
  const ratio = (size.width || DEFAULT_SIZE.width) / (size.height || DEFAULT_SIZE.height);
  return rows
    .sort((a, b) => a.centre - b.centre)
    .map((r) => {
      const its = [...r.items].sort((a, b) => a.x - b.x);
      const phrases: Phrase[] = [];
      for (const it of its) {
        const last = phrases.at(-1);
        // Gap in width units; a character is about 0.6 × the font height, converted to width units.
        const gap = last ? it.x - (last.x + last.w) : Infinity;
        const charW = (0.6 * Math.max(it.h, last?.h ?? 0)) / ratio;
        if (last && gap < charW) {
          const right = Math.max(last.x + last.w, it.x + it.w);
          const top = Math.min(last.y, it.y);
          const bottom = Math.max(last.y + last.h, it.y + it.h);
          last.str = `${last.str}${gap > charW / 4 && !/\s$/.test(last.str) && !/^\s/.test(it.str) ? ' ' : ''}${it.str}`;
          last.w = right - last.x;
          last.y = top;
          last.h = bottom - top;
        } else phrases.push({ str: it.str, x: it.x, y: it.y, w: it.w, h: it.h });
      }
      return { phrases, top: Math.min(...its.map((i) => i.y)), bottom: Math.max(...its.map((i) => i.y + i.h)) };
    });
}

/** The phrases right of `p` on its row, up to (not including) the first one `stop` rejects. */
export function rightOf(row: Row, p: Phrase, stop: (q: Phrase) => boolean): Phrase[] {
  const out: Phrase[] = [];
  for (const q of row.phrases) {
    if (q.x < p.x + p.w - 1e-4 || q === p) continue;
    if (stop(q)) break;
    out.push(q);
  }
  return out;
}

function overlapsColumn(p: Phrase, q: Phrase): boolean {
  const a0 = p.x;
  const a1 = p.x + p.w;
  const b0 = q.x;
  const b1 = q.x + q.w;
  // Overlap, or right-aligned (amount columns), within a small tolerance.
  return Math.min(a1, b1) - Math.max(a0, b0) > -0.005 || Math.abs(a1 - b1) < 0.01;
}

/**
 * The phrases in the same column under `p`: the first row below it (within three
 * line heights) that has a phrase overlapping p's horizontal extent. Null when the
 * nearest such phrase is rejected by `stop` (another label: a stacked label list).
 */
export function below(rows: readonly Row[], rowIndex: number, p: Phrase, stop: (q: Phrase) => boolean): { row: Row; phrases: Phrase[] } | null {
  const limit = p.y + p.h + 3 * p.h;
  for (let k = rowIndex + 1; k < rows.length; k++) {
    const row = rows[k]!;
    if (row.top > limit) return null;
    const hit = row.phrases.filter((q) => overlapsColumn(p, q));
    if (hit.length === 0) continue;
    if (hit.some(stop)) return null;
    return { row, phrases: hit };
  }
  return null;
}

export type Zone = 'header' | 'body' | 'footer';

/** Where on the page a phrase sits: the top 15% (letterhead, title), the bottom 10% (legal footer, bank details), or between. */
export function zoneOf(p: { y: number; h: number }): Zone {
  if (p.y + p.h <= 0.15) return 'header';
  if (p.y >= 0.9) return 'footer';
  return 'body';
}
