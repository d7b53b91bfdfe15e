/** Text helpers shared by the rules extractors: lines with offsets, quotes. */
import type { Evidence } from '../../../schemas/index.ts';
import type { PageText } from '../model-tier.ts';

export interface Line {
  page: number;
  /** The full page text, for quotes. */
  pageText: string;
  /** Index of the line in the page. */
  index: number;
  /** Offset of the line's first character in the page text. */
  start: number;
  /** The line, as in the page (not trimmed). */
  text: string;
}

export const MAX_QUOTE = 300;

/** The pages worth reading: image-only (scanned) pages have no text to read. */
export function textPages(pages: readonly PageText[]): PageText[] {
  return pages.filter((p) => !p.imageOnly && p.text.trim().length > 0);
}

export function pageLines(page: PageText): Line[] {
  const out: Line[] = [];
  let start = 0;
  const parts = page.text.split('\n');
  parts.forEach((text, index) => {
    out.push({ page: page.pageNumber, pageText: page.text, index, start, text });
    start += text.length + 1;
  });
  return out;
}

/**
 * Evidence for a value read at [from, to) of a page: the surrounding span,
 * trimmed, at most MAX_QUOTE characters, always an exact substring of the page.
 */
export function quoteSpan(pageNumber: number, pageText: string, from: number, to: number): Evidence {
  let a = Math.max(0, Math.min(from, pageText.length));
  let b = Math.max(a, Math.min(to, pageText.length));
  if (b - a > MAX_QUOTE) b = a + MAX_QUOTE;
  // Widen to whole lines when that stays short.
  const lineStart = pageText.lastIndexOf('\n', a - 1) + 1;
  let lineEnd = pageText.indexOf('\n', b);
  if (lineEnd < 0) lineEnd = pageText.length;
  if (lineEnd - lineStart <= MAX_QUOTE) {
    a = lineStart;
    b = lineEnd;
  } else {
    const room = MAX_QUOTE - (b - a);
    a = Math.max(lineStart, a - Math.floor(room / 2));
    b = Math.min(lineEnd, a + MAX_QUOTE);
  }
  let quote = pageText.slice(a, b);
  // Trim whitespace at both ends (still a substring).
  const lead = quote.length - quote.trimStart().length;
  quote = quote.trim();
  if (quote.length === 0) {
    quote = pageText.slice(from, Math.max(from + 1, to)).trim() || pageText.trim().slice(0, 1);
  }
  void lead;
  return { page: pageNumber, quote };
}

/** Evidence for a whole line. */
export function quoteLine(line: Line): Evidence {
  return quoteSpan(line.page, line.pageText, line.start, line.start + line.text.length);
}

/** Evidence spanning several lines of the same page (label line to value line). */
export function quoteLines(first: Line, last: Line): Evidence {
  return quoteSpan(first.page, first.pageText, first.start, last.start + last.text.length);
}

/** Clamp a confidence into [0, 0.95]: a rules extractor is never certain. */
export function conf(x: number): number {
  return Math.round(Math.max(0, Math.min(0.95, x)) * 100) / 100;
}
