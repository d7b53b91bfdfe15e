/**
 * The customer of a letter-style invoice from the window-envelope address field
 * (src/extraction/rules/parties.ts, windowRecipient): synthetic pages, positions
 * page-relative as pdf.js text items give them.
 */
import { describe, expect, it } from 'vitest';
import type { PageText } from '../../src/extraction/model-tier.ts';
import { extractInvoice } from '../../src/extraction/rules/invoice-rules.ts';
import { windowRecipient } from '../../src/extraction/rules/parties.ts';
import type { TextItem } from '../../src/pdf/text-items.ts';

type Row = [str: string, x: number, y: number, h: number];

function page(rows: Row[], pageNumber = 1): PageText {
  const items: TextItem[] = rows.map(([str, x, y, h]) => ({ str, x, y, w: Math.min(0.4, str.length * h * 0.35), h }));
  return { pageNumber, text: rows.map((r) => r[0]).join('\n'), imageOnly: false, size: { width: 595, height: 842 }, items };
}

const letter: Row[] = [
  ['Nordlicht Werkzeuge GmbH', 0.6, 0.05, 0.014],
  ['Nordlicht Werkzeuge GmbH · Hafenweg 3 · 20457 Hamburg', 0.1, 0.16, 0.007],
  ['Gartenbau Sommer KG', 0.1, 0.18, 0.011],
  ['z. Hd. Frau Sommer', 0.1, 0.195, 0.011],
  ['Lindenallee 8', 0.1, 0.21, 0.011],
  ['34117 Kassel', 0.1, 0.225, 0.011],
  ['Rechnung Nr. 2024-117', 0.1, 0.3, 0.014],
];

describe('windowRecipient', () => {
  it('reads the first line under a small return-address line as the customer, with a quote of the page', () => {
    const p = page(letter);
    const found = windowRecipient(p);
    expect(found).toMatchObject({ role: 'customer', value: 'Gartenbau Sommer KG', confidence: 0.75 });
    expect(p.text).toContain(found!.evidence.quote);
    expect(extractInvoice([p]).customerName).toMatchObject({ value: 'Gartenbau Sommer KG', confidence: 0.75 });
  });

  it('needs both signals: a return line in a smaller type, and a postal line in the block under it', () => {
    // The return line in the same type as the address: a letterhead line, not a window's return line.
    expect(windowRecipient(page(letter.map((r, i) => (i === 1 ? [r[0], r[1], r[2], 0.011] : r))))).toBeNull();
    // No postal line in the block.
    expect(windowRecipient(page(letter.filter((r) => r[0] !== '34117 Kassel')))).toBeNull();
    // No postal code in the return line.
    expect(windowRecipient(page(letter.map((r, i) => (i === 1 ? ['Nordlicht Werkzeuge GmbH · Hafenweg 3', r[1], r[2], r[3]] : r))))).toBeNull();
  });

  it('looks only at the upper left of the page', () => {
    expect(windowRecipient(page(letter.map(([s, x, y, h]) => [s, x + 0.45, y, h])))).toBeNull();
    expect(windowRecipient(page(letter.map(([s, x, y, h]) => [s, x, y + 0.4, h])))).toBeNull();
  });

  it('does not take an address or a number line as the name', () => {
    const rows: Row[] = [letter[1]!, ['Lindenallee 8', 0.1, 0.18, 0.011], ['34117 Kassel', 0.1, 0.195, 0.011]];
    expect(windowRecipient(page(rows))).toBeNull();
  });
});
