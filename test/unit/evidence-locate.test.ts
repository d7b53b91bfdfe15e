import { describe, expect, it } from 'vitest';
import { boxesOverlap, locateQuote } from '../../src/evidence/locate.ts';
import { formatBoxes } from '../../src/evidence/format.ts';
import type { TextItem } from '../../src/pdf/text-items.ts';

const run = (str: string, x: number, y: number, w: number, h = 0.02): TextItem => ({ str, x, y, w, h });

describe('locateQuote', () => {
  const items = [
    run('ACME GmbH', 0.1, 0.05, 0.2),
    run('Invoice no.', 0.1, 0.2, 0.11),
    run('INV-2024', 0.25, 0.2, 0.08),
    run('Total due:', 0.5, 0.8, 0.1),
    run('1,234.50 EUR', 0.62, 0.8, 0.12),
    run('Payment within 30', 0.1, 0.9, 0.17),
    run('days of receipt', 0.1, 0.925, 0.15),
  ];

  it('boxes a quote that spans two runs on one line as one box', () => {
    const boxes = locateQuote(items, 'Invoice no. INV-2024');
    expect(boxes).toEqual([{ x: 0.1, y: 0.2, w: 0.23, h: 0.02 }]);
  });

  it('takes the covered part of a run in proportion to its characters', () => {
    const [box] = locateQuote(items, 'INV-2024')!;
    expect(box).toEqual({ x: 0.25, y: 0.2, w: 0.08, h: 0.02 });
    const [part] = locateQuote(items, '1,234.50')!;
    // 8 of the run's 12 characters, from its start
    expect(part!.x).toBeCloseTo(0.62, 4);
    expect(part!.w).toBeCloseTo((0.12 * 8) / 12, 3);
  });

  it('gives one box per line for a quote spanning lines', () => {
    const boxes = locateQuote(items, 'Payment within 30 days of receipt')!;
    expect(boxes).toHaveLength(2);
    expect(boxes[0]!.y).toBe(0.9);
    expect(boxes[1]!.y).toBe(0.925);
  });

  it('ignores case, whitespace and typographic differences, and honours "..." elisions', () => {
    expect(locateQuote(items, 'invoice   NO.inv\u20112024')).toEqual(locateQuote(items, 'Invoice no. INV-2024'));
    const boxes = locateQuote(items, 'Total due: ... EUR')!;
    expect(boxes).toHaveLength(1);
    expect(boxes[0]!.x).toBe(0.5);
    expect(boxes[0]!.x + boxes[0]!.w).toBeCloseTo(0.74, 4);
  });

  it('returns null for a quote that is not on the page, or a page without runs', () => {
    expect(locateQuote(items, 'Invoice no. INV-2025')).toBeNull();
    expect(locateQuote([], 'anything')).toBeNull();
    expect(locateQuote(items, '...')).toBeNull();
  });

  it('overlap and formatting', () => {
    const [box] = locateQuote(items, 'INV-2024')!;
    expect(boxesOverlap(box!, { x: 0.3, y: 0.205, w: 0.01, h: 0.01 })).toBe(true);
    expect(boxesOverlap(box!, { x: 0.5, y: 0.205, w: 0.01, h: 0.01 })).toBe(false);
    expect(formatBoxes([box!])).toBe('box x 25.0–33.0%, y 20.0–22.0%');
    expect(formatBoxes(null)).toMatch(/not located/);
  });
});
