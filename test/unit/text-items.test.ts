import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PDFDocument, StandardFonts, degrees } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { parsePdf } from '../../src/pdf/parse-pdf.ts';
import type { TextItem } from '../../src/pdf/text-items.ts';

const INVOICE2DATA = path.resolve(import.meta.dirname, '../../../shared/datasets/invoice2data');

/** A one-page PDF (A4, 595 × 842 pt) with text drawn at known places. */
async function pdfWith(texts: { text: string; x: number; y: number; size: number }[], rotate = 0): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  if (rotate) page.setRotation(degrees(rotate));
  for (const t of texts) page.drawText(t.text, { x: t.x, y: t.y, size: t.size, font });
  return doc.save();
}

const find = (items: readonly TextItem[] | undefined, str: string): TextItem => {
  const item = items?.find((i) => i.str.includes(str));
  if (!item) throw new Error(`no text item with "${str}" among ${items?.length ?? 0}`);
  return item;
};

describe('text positions from the PDF text layer', () => {
  it('places each run where it was drawn, in page-relative coordinates from the top-left', async () => {
    const bytes = await pdfWith([
      { text: 'Invoice number INV-4711', x: 59.5, y: 842 - 84.2, size: 12 },
      { text: 'Total 1,234.56', x: 297.5, y: 421, size: 10 },
    ]);
    const parsed = await parsePdf(bytes, { maxPages: 5 }, { inProcess: true });
    const page = parsed.pages[0]!;
    expect(page.size).toEqual({ width: 595, height: 842 });
    const number = find(page.items, 'INV-4711');
    // Baseline at y = 84.2 pt from the top (0.1 of the page); the box rises one font size above it.
    expect(number.x).toBeCloseTo(0.1, 3);
    expect(number.y + number.h).toBeCloseTo(0.1, 2);
    expect(number.h).toBeCloseTo(12 / 842, 2);
    // Helvetica at 12 pt: the run is about 150 pt wide.
    expect(number.w * 595).toBeGreaterThan(120);
    expect(number.w * 595).toBeLessThan(180);
    const total = find(page.items, 'Total');
    expect(total.x).toBeCloseTo(0.5, 3);
    expect(total.y + total.h).toBeCloseTo(0.5, 2);
  });

  it('follows the page rotation (boxes are as the page is displayed)', async () => {
    const bytes = await pdfWith([{ text: 'Rotated', x: 100, y: 700, size: 20 }], 90);
    const parsed = await parsePdf(bytes, { maxPages: 5 }, { inProcess: true });
    const page = parsed.pages[0]!;
    // Displayed landscape: 842 wide, 595 high.
    expect(page.size).toEqual({ width: 842, height: 595 });
    const item = find(page.items, 'Rotated');
    // Rotated 90° clockwise: user-space y maps to display x and x to display y. The baseline
    // (y = 700) becomes the box's left edge, the glyphs rise to the right by the font size.
    expect(item.x).toBeCloseTo(700 / 842, 2);
    expect(item.w).toBeCloseTo(20 / 842, 2);
    expect(item.y).toBeCloseTo(100 / 595, 2);
    expect(item.h).toBeGreaterThan(item.w); // the text now runs downwards
  });

  it('keeps the positions through the guarded worker thread', async () => {
    const bytes = await pdfWith([{ text: 'Guarded 42', x: 59.5, y: 421, size: 12 }]);
    const parsed = await parsePdf(bytes, { maxPages: 5 });
    expect(find(parsed.pages[0]!.items, 'Guarded').x).toBeCloseTo(0.1, 3);
  });

  it.skipIf(!existsSync(INVOICE2DATA))('covers the text of real invoices, every box inside the page', async () => {
    const file = path.join(INVOICE2DATA, 'AmazonWebServices.pdf');
    const parsed = await parsePdf(new Uint8Array(readFileSync(file)), { maxPages: 50 }, { inProcess: true });
    for (const page of parsed.pages) {
      expect(page.items?.length).toBeGreaterThan(10);
      for (const item of page.items ?? []) {
        for (const v of [item.x, item.y, item.w, item.h]) expect(v).toBeGreaterThanOrEqual(0);
        expect(item.x + item.w).toBeLessThanOrEqual(1);
        expect(item.y + item.h).toBeLessThanOrEqual(1);
      }
      // Every word of the page text is in some run (the text layer and the positions are the same data).
      const runs = (page.items ?? []).map((i) => i.str).join(' ');
      const words = page.text.split(/\s+/).filter((w) => w.length > 3);
      const missing = words.filter((w) => !runs.includes(w));
      expect(missing.length / words.length).toBeLessThan(0.02);
    }
  });
});
