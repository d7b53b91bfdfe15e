/**
 * Offline OCR: a dev invoice rendered to an image and wrapped in an image-only
 * PDF (a scan, no text layer) is read by Tesseract, extracted by the rules
 * tier, and its values carry boxes on the page.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PDFDocument } from 'pdf-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractInvoice } from '../../src/extraction/rules/invoice-rules.ts';
import { ocrScannedPages } from '../../src/ocr/ocr-pages.ts';
import { layoutWords, ocrState, parseTsv, recoverUnread, RECOVERED_MIN_CONF, unreadRegions, type OcrState, type OcrWord } from '../../src/ocr/tesseract.ts';
import { parsePdf } from '../../src/pdf/parse-pdf.ts';
import { renderPages } from '../../src/pdf/render-pages.ts';
import { DATASETS_DIR, HAVE_DATASETS } from '../support/harness.ts';

describe('Tesseract TSV → page text and items', () => {
  const tsv = [
    'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext',
    '1\t1\t0\t0\t0\t0\t0\t0\t1000\t2000\t-1\t',
    '5\t1\t1\t1\t1\t1\t100\t100\t200\t40\t96.5\tInvoice',
    '5\t1\t1\t1\t1\t2\t320\t102\t100\t40\t91\tNo.',
    '5\t1\t2\t1\t1\t1\t700\t98\t150\t40\t90\t4711',
    '5\t1\t3\t1\t1\t1\t100\t400\t150\t40\t80\tTotal',
    '5\t1\t3\t1\t1\t2\t700\t400\t150\t40\t-1\t ',
  ].join('\n');

  it('groups words on one baseline into one line, left to right, across Tesseract blocks', () => {
    const page = layoutWords(parseTsv(tsv), 1000, 2000);
    expect(page.text).toBe('Invoice No. 4711\nTotal');
    expect(page.items).toHaveLength(4);
    expect(page.items[2]).toEqual({ str: '4711', x: 0.7, y: 0.049, w: 0.15, h: 0.02 });
    expect(page.confidence).toBeCloseTo((96.5 + 91 + 90 + 80) / 4 / 100, 5);
  });

  it('keeps the regions read as nothing apart from the words', () => {
    expect(parseTsv(tsv).map((w) => w.text)).toEqual(['Invoice', 'No.', '4711', 'Total']);
    expect(unreadRegions(tsv)).toEqual([{ text: '', left: 700, top: 400, width: 150, height: 40, conf: -1 }]);
  });

  it('fills an unread region with the second reading\'s confident words inside it, and nothing else', () => {
    const word = (text: string, left: number, top: number, conf = 96): OcrWord => ({ text, left, top, width: 50, height: 20, conf });
    const read = [word('Total', 100, 400), word('EUR', 160, 400)];
    // A blank where the amount stands against a table's frame.
    const unread = [{ text: '', left: 690, top: 395, width: 60, height: 30, conf: 95 }];
    const second = [
      word('EUR', 160, 400), // already read
      word('34,73', 695, 400), // the amount: inside the blank region
      word('|', 700, 400, 90), // a table rule: no letter or digit
      word('a]', 700, 402, 30), // below the confidence floor
      word('15,00', 300, 400), // not in an unread region
    ];
    expect(recoverUnread(read, unread, second).map((w) => w.text)).toEqual(['34,73']);
    expect(recoverUnread(read, unread, [word('34,73', 695, 400, RECOVERED_MIN_CONF - 1)])).toEqual([]);
    expect(recoverUnread(read, [], second)).toEqual([]);
    // The recovered word joins its row: "Total EUR 34,73".
    expect(layoutWords([...read, ...recoverUnread(read, unread, second)], 1000, 2000).text).toBe('Total EUR 34,73');
  });

  it('a missing binary is a clear unavailable state, not a crash', async () => {
    const state = await ocrState('/nonexistent/tesseract');
    expect(state.available).toBe(false);
    if (!state.available) expect(state.reason).toMatch(/not installed.*apt-get install/);
  });
});

let state: OcrState = { available: false, reason: 'not probed' };
beforeAll(async () => {
  state = await ocrState();
});

describe.skipIf(!HAVE_DATASETS)('a scanned dev invoice, read offline', () => {
  it('is read by OCR and extracted: invoice number, date and total right, each with a box on the page', async (ctx) => {
    if (!state.available) {
      ctx.skip(`OCR unavailable: ${state.reason}`);
      return;
    }
    const source = new Uint8Array(readFileSync(path.join(DATASETS_DIR, 'invoice2data', 'QualityHosting.pdf')));
    // The "scan": every page rendered at ~200 dpi, each the only content of a page of a new PDF.
    const original = await parsePdf(source, { maxPages: 10 }, { openTimeoutMs: 120_000, msPerPage: 10_000 });
    const numbers = original.pages.map((p) => p.pageNumber);
    const scan = await PDFDocument.create();
    for (const image of await renderPages(source, numbers, { maxSide: 2339, msPerPage: 60_000 })) {
      const png = await scan.embedPng(image.data);
      scan.addPage([595, 842]).drawImage(png, { x: 0, y: 0, width: 595, height: 842 });
    }
    const bytes = await scan.save();

    const parsed = await parsePdf(bytes, { maxPages: 10 }, { openTimeoutMs: 120_000, msPerPage: 10_000 });
    expect(parsed.imageOnlyPages).toEqual(numbers);
    // English and German only, at ~180 dpi: the invoice is German, and CI machines are shared.
    const outcome = await ocrScannedPages(bytes, parsed, { state, languages: ['eng', 'deu'], renderSide: 2100 });
    expect(outcome.skipped).toBeNull();
    expect(outcome.pages).toEqual(numbers);
    for (const p of outcome.parsed.pages) expect(p).toMatchObject({ imageOnly: false, ocr: true });
    expect(outcome.parsed.pages[0]!.items!.length).toBeGreaterThan(50);

    const fields = extractInvoice(outcome.parsed.pages);
    expect(fields.invoiceNumber.value).toBe('30064443');
    expect(fields.issueDate.value).toBe('2014-05-07');
    // The total stands in a framed cell that the automatic segmentation reads as a blank: the second reading fills it.
    expect(fields.total.value).toBe('34.73');
    expect(fields.total.evidence?.page).toBe(2);
    // The evidence quote is on the OCR text layer, and an item of it has a box inside the page.
    for (const f of [fields.invoiceNumber, fields.issueDate, fields.total]) {
      const quote = f.evidence?.quote ?? '';
      const read = outcome.parsed.pages[(f.evidence?.page ?? 1) - 1]!;
      expect(read.text).toContain(quote);
      const item = read.items!.find((i) => quote.includes(i.str) && /\d/.test(i.str));
      expect(item, `no item for ${quote}`).toBeDefined();
      expect(item!.x).toBeGreaterThanOrEqual(0);
      expect(item!.x + item!.w).toBeLessThanOrEqual(1);
      expect(item!.y + item!.h).toBeLessThanOrEqual(1);
    }
    // The total's box is where the original's text layer puts 34,73 (x 0.924, y 0.527 of page 2), on the row of its label.
    const page2 = outcome.parsed.pages[1]!.items!;
    const amount = page2.find((i) => i.str === '34,73')!;
    const label = page2.find((i) => i.str === 'Total')!;
    expect(amount.x).toBeCloseTo(0.924, 1);
    expect(amount.y).toBeCloseTo(0.527, 1);
    expect(Math.abs(amount.y - label.y)).toBeLessThan(0.01);
  }, 900_000);
});
