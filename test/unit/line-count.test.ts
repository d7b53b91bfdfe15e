import { describe, expect, it } from 'vitest';
import { lineCountCheck, statedLineCount } from '../../src/validation/line-count.ts';

const pages = (...texts: string[]) => texts.map((text, i) => ({ pageNumber: i + 1, text, imageOnly: false }));

describe('stated line count', () => {
  it('finds explicit statements in four languages', () => {
    expect(statedLineCount(pages('Number of items: 4'))).toEqual({ count: 4, page: 1 });
    expect(statedLineCount(pages('intro', 'Anzahl Positionen: 12'))).toEqual({ count: 12, page: 2 });
    expect(statedLineCount(pages("Nombre d'articles : 3"))).toEqual({ count: 3, page: 1 });
    expect(statedLineCount(pages('Aantal artikelen 7'))).toEqual({ count: 7, page: 1 });
    expect(statedLineCount(pages('5 items in total'))).toEqual({ count: 5, page: 1 });
  });

  it('ignores table headers, bare numbers and contradictory statements', () => {
    expect(statedLineCount(pages('Items  Qty  Price\nWidget 2 10.00'))).toBeNull();
    expect(statedLineCount(pages('Number of items: 4', 'Number of items: 5'))).toBeNull();
  });

  it('passes when the lines match the statement, fails naming both numbers when not, skips otherwise', () => {
    expect(lineCountCheck(4, pages('Number of items: 4'))?.passed).toBe(true);
    expect(lineCountCheck(3, pages('p1', 'Number of items: 4'))).toEqual({
      name: 'line_items_count',
      passed: false,
      message: '3 line items extracted but the document states 4 (page 2)',
      fields: ['lineItems'],
      reason: 'the document states 4 line items (page 2) but 3 were read',
    });
    expect(lineCountCheck(3, pages('no statement'))).toBeNull();
    expect(lineCountCheck(0, pages('Number of items: 4'))).toBeNull();
  });
});
