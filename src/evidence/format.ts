import type { EvidenceBox } from './locate.ts';

/**
 * Evidence boxes in words for the terminal, as percentages of the page from its
 * top-left: "box x 12.0–31.5%, y 8.2–9.9%" (one per line of the quote), or why
 * there is none.
 */
export function formatBoxes(boxes: readonly EvidenceBox[] | null): string {
  if (boxes === null || boxes.length === 0) return 'box: not located on the page text layer';
  const pct = (v: number) => (v * 100).toFixed(1);
  return boxes.map((b) => `box x ${pct(b.x)}–${pct(b.x + b.w)}%, y ${pct(b.y)}–${pct(b.y + b.h)}%`).join('; ');
}
