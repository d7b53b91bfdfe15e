import { promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { reply, type FakeRequest } from './fake-gemini.ts';
import { pagesOf } from './oracle-model.ts';

/**
 * A long line-item table and a model whose answer is cut off on it: for the
 * tests (and history fixtures) of a cut-off range split into halves.
 */

/** A PDF of text pages (one string a line, Helvetica 10), written to a fresh temporary directory: its path. */
export async function linedPdf(fileName: string, pages: readonly string[][]): Promise<string> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (const lines of pages) {
    const p = doc.addPage([595, 842]);
    lines.forEach((text, i) => p.drawText(text, { x: 50, y: 800 - i * 18, size: 10, font }));
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'docroute-table-'));
  const file = path.join(dir, fileName); // a fresh directory each: the name carries no value of the document
  await fs.writeFile(file, await doc.save());
  return file;
}

/** Line-item rows "Widget model N 1 10.00 10.00", numbered on from one call to the next. */
export function widgetRows(): (count: number) => string[] {
  let n = 0;
  return (count) => Array.from({ length: count }, () => `Widget model ${++n} 1 10.00 10.00`);
}

/** An invoice whose 100-row line-item table runs over four pages (25 rows each), the totals on page 4. */
export async function fourPageTable(invoiceNumber: string): Promise<string> {
  const rows = widgetRows();
  return linedPdf('four-page-table.pdf', [
    ['ACME Widgets GmbH', `Invoice No: ${invoiceNumber}`, 'Date: 2026-11-20', 'Description Qty Price Amount', ...rows(25)],
    ['ACME Widgets GmbH - page 2', 'Description Qty Price Amount', ...rows(25)],
    ['ACME Widgets GmbH - page 3', 'Description Qty Price Amount', ...rows(25)],
    ['ACME Widgets GmbH - page 4', 'Description Qty Price Amount', ...rows(25), 'Subtotal 1000.00', 'Total EUR 1000.00'],
  ]);
}

/**
 * A model whose answer is cut off at the output limit when the request covers
 * more than `maxPages` pages, or covers one of `alwaysCutOff`; otherwise it
 * reads every row and the header fields of the pages it is shown.
 */
export function cuttingTableModel(maxPages: number, alwaysCutOff: number[] = []) {
  return (request: FakeRequest) => {
    const pages = pagesOf(request);
    if (pages.length > maxPages || pages.some((p) => alwaysCutOff.includes(p.pageNumber))) {
      return reply.truncated('{"vendorName": {"value": "ACME Widgets GmbH", "page": 1, "quote": "ACME Wid');
    }
    const none = { value: null, page: null, quote: null };
    const said = (value: string, quote: string) => {
      const p = pages.find((pg) => pg.text.includes(quote));
      return p ? { value, page: p.pageNumber, quote } : none;
    };
    const invoiceNumber = /Invoice No: (\S+)/.exec(pages.map((p) => p.text).join('\n'))?.[1];
    const lineItems = pages.flatMap((p) =>
      p.text
        .split('\n')
        .filter((l) => l.startsWith('Widget model'))
        .map((l) => ({ description: l.split(' 1 10.00')[0], quantity: '1', unitPrice: '10.00', amount: '10.00', page: p.pageNumber, quote: l })),
    );
    return reply.json({
      vendorName: said('ACME Widgets GmbH', 'ACME Widgets GmbH'),
      vendorAddress: none,
      vendorTaxId: none,
      customerName: none,
      invoiceNumber: invoiceNumber ? said(invoiceNumber, `Invoice No: ${invoiceNumber}`) : none,
      issueDate: said('2026-11-20', 'Date: 2026-11-20'),
      dueDate: none,
      currency: said('EUR', 'Total EUR 1000.00'),
      subtotal: said('1000.00', 'Subtotal 1000.00'),
      taxTotal: none,
      total: said('1000.00', 'Total EUR 1000.00'),
      lineItems,
      purchaseOrder: none,
      paymentTerms: none,
      iban: none,
      bic: none,
    });
  };
}
