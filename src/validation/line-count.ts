import type { PageText } from '../extraction/model-tier.ts';
import type { CheckResult } from './checks.ts';

/**
 * "3 items", "Anzahl Positionen: 3", "Nombre d'articles : 3", "Aantal artikelen 3":
 * a count of lines that the document states itself. Only explicit phrases count;
 * a bare number next to "items" in a table header does not.
 */
const STATED_COUNT = [
  /\b(?:number of (?:items|lines|line items|positions)|item count|total items)\s*[:#]?\s*(\d{1,3})\b/i,
  /\b(\d{1,3})\s+(?:items?|line items|positions)\s+(?:in total|total|ordered|invoiced)\b/i,
  /\b(?:anzahl (?:positionen|artikel)|positionen gesamt)\s*:?\s*(\d{1,3})\b/i,
  /\b(?:nombre d'articles|nombre de lignes)\s*:?\s*(\d{1,3})\b/i,
  /\b(?:aantal (?:artikelen|regels|posten))\s*:?\s*(\d{1,3})\b/i,
];

/** The line count a document states, when it states exactly one. */
export function statedLineCount(pages: readonly PageText[]): { count: number; page: number } | null {
  const found = new Map<number, number>();
  for (const page of pages) {
    for (const pattern of STATED_COUNT) {
      const m = pattern.exec(page.text);
      if (m?.[1]) found.set(Number(m[1]), page.pageNumber);
    }
  }
  if (found.size !== 1) return null;
  const [count, page] = [...found.entries()][0] as [number, number];
  return { count, page };
}

/**
 * Completeness across chunks: when the document states how many lines it has,
 * the extracted (and stitched) lines must be that many. Skipped when it does not.
 */
export function lineCountCheck(lineCount: number, pages: readonly PageText[]): CheckResult | null {
  const stated = statedLineCount(pages);
  if (stated === null || lineCount === 0) return null;
  const passed = stated.count === lineCount;
  return {
    name: 'line_items_count',
    passed,
    message: passed
      ? `${lineCount} line items, as the document states (page ${stated.page})`
      : `${lineCount} line items extracted but the document states ${stated.count} (page ${stated.page})`,
    fields: ['lineItems'],
    ...(passed ? {} : { reason: `the document states ${stated.count} line items (page ${stated.page}) but ${lineCount} were read` }),
  };
}
