import { normalizeForQuote } from '../extraction/normalize.ts';
import type { TextItem } from '../pdf/text-items.ts';

/**
 * Evidence boxes: where a value's quote sits on its page, found in the PDF's
 * own text layer (pdf.js text runs with their positions), never guessed by a
 * model. Deterministic: the same runs and quote give the same boxes.
 */

/** A rectangle on a page, 0–1 of the page's width and height from its top-left corner. */
export interface EvidenceBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * The boxes covering `quote` in a page's runs: one per line the quote spans
 * (runs on the same line are merged). Matching is case- and whitespace-
 * insensitive with the same folding as grounding (ligatures, typographic
 * quotes and dashes), "..." in a quote stands for elided text (each piece is
 * located after the previous one). Within a run, the part covered is taken in
 * proportion to its characters. Returns null when the quote is not on the page
 * (or the page has no runs): the quote then has no box, and says so.
 *
 * @example
 * locateQuote([{ str: 'Invoice no. 42', x: 0.1, y: 0.1, w: 0.3, h: 0.02 }], 'no. 42')
 * // → [{ x: 0.2071, y: 0.1, w: 0.1929, h: 0.02 }]
 */
export function locateQuote(items: readonly TextItem[], quote: string): EvidenceBox[] | null {
  const pieces = quote
    .split(/\.{3,}|\u2026|\[\s*\.\.\.\s*\]/)
    .map(normalizeForQuote)
    .filter((p) => p.length > 0);
  if (pieces.length === 0 || items.length === 0) return null;
  const page = indexRuns(items);
  const spans: { item: number; from: number; to: number }[] = [];
  let from = 0;
  for (const piece of pieces) {
    const at = page.text.indexOf(piece, from);
    if (at < 0) return null;
    const end = at + piece.length;
    for (let i = at; i < end; i++) {
      const c = page.chars[i]!;
      const last = spans[spans.length - 1];
      if (last && last.item === c.item) {
        last.from = Math.min(last.from, c.from);
        last.to = Math.max(last.to, c.to);
      } else spans.push({ item: c.item, from: c.from, to: c.to });
    }
    from = end;
  }
  const boxes = spans.map(({ item, from: a, to: b }) => {
    const run = items[item]!;
    return { x: run.x + run.w * a, y: run.y, w: run.w * (b - a), h: run.h };
  });
  return mergeLines(boxes).map(round);
}

/** True when two boxes share some area (used by tests and the console's checks). */
export function boxesOverlap(a: EvidenceBox, b: EvidenceBox): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

interface CharSlot {
  item: number;
  /** Fraction of the run's width where this character starts and ends. */
  from: number;
  to: number;
}

/** The page's runs as one folded, whitespace-free string, each character pointing back to its run. */
function indexRuns(items: readonly TextItem[]): { text: string; chars: CharSlot[] } {
  let text = '';
  const chars: CharSlot[] = [];
  items.forEach((run, item) => {
    const source = [...run.str];
    const n = source.length || 1;
    source.forEach((ch, k) => {
      const folded = normalizeForQuote(ch);
      for (const f of folded) {
        text += f;
        chars.push({ item, from: k / n, to: (k + 1) / n });
      }
    });
  });
  return { text, chars };
}

/** Boxes on the same line (vertical overlap of more than half the smaller height) become one. */
function mergeLines(boxes: EvidenceBox[]): EvidenceBox[] {
  const lines: EvidenceBox[] = [];
  for (const box of boxes) {
    const line = lines.find((l) => verticalOverlap(l, box) > 0.5 * Math.min(l.h, box.h));
    if (!line) {
      lines.push({ ...box });
      continue;
    }
    const x1 = Math.min(line.x, box.x);
    const y1 = Math.min(line.y, box.y);
    const x2 = Math.max(line.x + line.w, box.x + box.w);
    const y2 = Math.max(line.y + line.h, box.y + box.h);
    Object.assign(line, { x: x1, y: y1, w: x2 - x1, h: y2 - y1 });
  }
  return lines;
}

function verticalOverlap(a: EvidenceBox, b: EvidenceBox): number {
  return Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
}

const round = (b: EvidenceBox): EvidenceBox => ({
  x: Math.round(b.x * 1e4) / 1e4,
  y: Math.round(b.y * 1e4) / 1e4,
  w: Math.round(b.w * 1e4) / 1e4,
  h: Math.round(b.h * 1e4) / 1e4,
});
