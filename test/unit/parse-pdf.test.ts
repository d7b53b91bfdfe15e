import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PDFDocument, PDFName } from 'pdf-lib';
import { PDFParse } from 'pdf-parse';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { normalizePageText, visibleCharCount } from '../../src/pdf/normalize-text.ts';
import { PdfRejectedError, parsePdf, type ParsedPdf, type PdfRejectCode } from '../../src/pdf/parse-pdf.ts';
import { findPdfHeader } from '../../src/pdf/sniff.ts';
import * as bad from '../support/bad-pdfs.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../../samples');
const DATASETS = path.resolve(import.meta.dirname, '../../../shared/datasets');
const INVOICE2DATA = path.join(DATASETS, 'invoice2data');
const LIMITS = { maxPages: 500 };

const read = (file: string): Uint8Array => new Uint8Array(readFileSync(file));
const allText = (r: ParsedPdf): string => r.pages.map((p) => p.text).join('\n');

async function rejection(bytes: Uint8Array, limits = LIMITS, options = {}): Promise<PdfRejectedError> {
  try {
    await parsePdf(bytes, limits, options);
  } catch (error) {
    expect(error).toBeInstanceOf(PdfRejectedError);
    return error as PdfRejectedError;
  }
  throw new Error('expected parsePdf to reject the file');
}

describe('parsePdf on the generated samples', () => {
  const cases: { file: string; pages: number; texts: string[] }[] = [
    {
      file: 'invoice-en-usd.pdf',
      pages: 1,
      texts: ['HDS-2024-0417', 'April 14, 2024', '13,912.00', 'Sales tax (8.875%) 1,234.69', '$15,146.69', 'GB92 HRBL 4005 1212 3456 78'],
    },
    {
      file: 'rechnung-de-eur.pdf',
      pages: 1,
      texts: ['Lindenhof Präzisionstechnik GmbH', 'RE-2024-00318', 'zzgl. 19 % USt (MwSt.) 1.323,35 €', '8.288,35 €', 'DE812345673'],
    },
    {
      file: 'factuur-nl-eur.pdf',
      pages: 1,
      texts: ['Factuurnummer: 2024-0912', 'BTW 9% over 1.006,80 90,61', 'BTW 21% over 322,40 67,70', '€ 1.487,51'],
    },
    {
      file: 'contract-nda.pdf',
      pages: 2,
      texts: ['MUTUAL NON-DISCLOSURE AGREEMENT', '1 July 2024', 'does not renew automatically', 'laws of England and Wales'],
    },
    {
      file: 'contract-services.pdf',
      pages: 2,
      texts: ['MASTER SERVICES AGREEMENT', 'effective as of January 15,', 'automatically renew', 'State of Texas', 'USD 7,500.00'],
    },
  ];

  for (const c of cases) {
    it(`${c.file}: ${c.pages} page(s) with the expected text`, async () => {
      const result = await parsePdf(read(path.join(SAMPLES, c.file)), LIMITS);
      expect(result.pageCount).toBe(c.pages);
      expect(result.pages.map((p) => p.pageNumber)).toEqual(Array.from({ length: c.pages }, (_, i) => i + 1));
      expect(result.imageOnlyPages).toEqual([]);
      expect(result.pages.every((p) => !p.imageOnly)).toBe(true);
      const text = allText(result);
      for (const t of c.texts) expect(text).toContain(t);
      expect(text).not.toMatch(/[\u0000-\u0008\u000B-\u001F]/);
      expect(text).not.toMatch(/ {2}/);
    });
  }

  it('keeps the page boundary: the services agreement continues on page 2', async () => {
    const result = await parsePdf(read(path.join(SAMPLES, 'contract-services.pdf')), LIMITS);
    expect(result.pages[0]!.text).toContain('Page 1 of 2');
    expect(result.pages[1]!.text).toContain('IN WITNESS WHEREOF');
    expect(result.pages[1]!.text).toContain('Page 2 of 2');
  });

  it('gives the same result in-process as in the worker, and leaves the input buffer intact', async () => {
    const bytes = read(path.join(SAMPLES, 'invoice-en-usd.pdf'));
    const copy = bytes.slice();
    const inWorker = await parsePdf(bytes, LIMITS);
    const inProcess = await parsePdf(bytes, LIMITS, { inProcess: true });
    expect(inProcess).toEqual(inWorker);
    expect(bytes).toEqual(copy);
  });

  it('parses a Node Buffer as the activities pass it (the stored original, read from Postgres), pooled or not', async () => {
    const file = readFileSync(path.join(SAMPLES, 'invoice-en-usd.pdf'));
    // A small Buffer lives in Node's shared pool (a view into a bigger ArrayBuffer): it must not be moved to the thread.
    const pooled = Buffer.from(file);
    const big = Buffer.concat([file]);
    const expected = await parsePdf(new Uint8Array(file), LIMITS);
    for (const bytes of [pooled, big, file]) {
      expect((await parsePdf(bytes, LIMITS)).pages).toEqual(expected.pages);
      expect(bytes.equals(file)).toBe(true);
    }
  });
});

const datasetNote = existsSync(INVOICE2DATA) ? '' : ` (SKIPPED: dataset not found at ${INVOICE2DATA})`;
describe.skipIf(!existsSync(INVOICE2DATA))(`parsePdf on real invoices from invoice2data${datasetNote}`, () => {
  it('AmazonWebServices.pdf: 1 page', async () => {
    const result = await parsePdf(read(path.join(INVOICE2DATA, 'AmazonWebServices.pdf')), LIMITS);
    expect(result.pageCount).toBe(1);
    expect(result.imageOnlyPages).toEqual([]);
    expect(allText(result)).toContain('This is not a VAT invoice');
  });

  it('free_fiber.pdf: 2 pages, French text with accents', async () => {
    const result = await parsePdf(read(path.join(INVOICE2DATA, 'free_fiber.pdf')), LIMITS);
    expect(result.pageCount).toBe(2);
    expect(result.pages[0]!.text).toContain('Facture n°562044387 du 02 Juillet 2015');
    expect(result.pages[1]!.text).toContain('Détail de votre consommation');
  });

  it('QualityHosting.pdf: 2 pages, German invoice', async () => {
    const result = await parsePdf(read(path.join(INVOICE2DATA, 'QualityHosting.pdf')), LIMITS);
    expect(result.pageCount).toBe(2);
    expect(allText(result)).toContain('QualityHosting AG');
    expect(allText(result)).toContain('Rechnungsdatum');
  });

  it("every page's text is what pdf-parse's getText gives (the layout the rules and the evaluation were tuned on)", async () => {
    // parsePdf reads each page's text content once and lays it out itself (pageTextOf); this pins it to pdf-parse.
    const names = readdirSync(INVOICE2DATA).filter((n) => n.endsWith('.pdf')).sort();
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) {
      const bytes = read(path.join(INVOICE2DATA, name));
      const parser = new PDFParse({ data: bytes.slice() });
      const expected = (await parser.getText().finally(() => parser.destroy())).pages.map((p) => normalizePageText(p.text));
      const ours = (await parsePdf(bytes, LIMITS)).pages.map((p) => p.text);
      expect(ours, name).toEqual(expected);
    }
  });

  it('coolblue1.pdf: Dutch invoice, table cells separated by a tab', async () => {
    const result = await parsePdf(read(path.join(INVOICE2DATA, 'coolblue1.pdf')), LIMITS);
    expect(result.pageCount).toBe(1);
    expect(result.pages[0]!.text).toContain('Coolblue B.V.');
    expect(result.pages[0]!.text).toContain('NL50INGB0683251309\tIBAN');
  });
});

describe('parsePdf rejections', () => {
  const cases: [string, () => Promise<Uint8Array>, PdfRejectCode, RegExp][] = [
    ['an empty file', bad.emptyFile, 'empty_file', /empty \(0 bytes\)/],
    ['a PNG named .pdf', bad.notAPdf, 'not_a_pdf', /not a PDF \(it looks like a PNG image\)/],
    ['a text file named .pdf', bad.textFileNamedPdf, 'not_a_pdf', /not a PDF/],
    ['a password-protected PDF', bad.encryptedPdf, 'encrypted', /encrypted \(password-protected\); remove the password/],
    ['a header followed by garbage', bad.corruptPdf, 'corrupt', /damaged or truncated/],
    ['a truncated upload', bad.truncatedPdf, 'corrupt', /damaged or truncated/],
    ['a PDF without pages', bad.noPagesPdf, 'no_pages', /without any pages/],
  ];
  for (const [what, make, code, message] of cases) {
    it(`${what} → ${code}`, async () => {
      const error = await rejection(await make());
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    });
  }

  it('more pages than the limit → too_many_pages, naming both numbers', async () => {
    const error = await rejection(await bad.hugePdf(501), { maxPages: 500 });
    expect(error.code).toBe('too_many_pages');
    expect(error.message).toContain('501 pages, more than the limit of 500');
  });

  it('exactly the page limit is accepted, pages in order', async () => {
    const result = await parsePdf(await bad.hugePdf(20), { maxPages: 20 });
    expect(result.pageCount).toBe(20);
    expect(result.pages.map((p) => p.pageNumber)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(result.pages[19]!.text).toContain('Usage record page 20 of 20');
  });

  it('the encrypted sample is really encrypted: it opens with its password', async () => {
    const parser = new PDFParse({ data: await bad.encryptedPdf(), password: bad.ENCRYPTED_PDF_PASSWORD });
    try {
      const text = await parser.getText();
      expect(text.pages[0]!.text).toContain('Confidential invoice INV-SECRET-1');
    } finally {
      await parser.destroy();
    }
  });

  it('the header may sit anywhere in the first 1024 bytes, not after', async () => {
    const pdf = read(path.join(SAMPLES, 'invoice-en-usd.pdf'));
    const withPrefix = (n: number): Uint8Array => {
      const out = new Uint8Array(n + pdf.length);
      out.fill(0x20, 0, n);
      out.set(pdf, n);
      return out;
    };
    expect(findPdfHeader(withPrefix(1019))).toBe(1019);
    expect(findPdfHeader(withPrefix(1020))).toBe(-1);
    expect((await rejection(withPrefix(2000))).code).toBe('not_a_pdf');
  });

  it('a file that cannot be parsed within its CPU budget is abandoned (worker terminated) as too complex, not damaged', async () => {
    const error = await rejection(read(path.join(SAMPLES, 'contract-nda.pdf')), LIMITS, { openTimeoutMs: 1 });
    expect(error.code).toBe('too_complex');
    expect(error.message).toMatch(/too complex to read within the parsing limits \(opening the file needed more than 1 ms of CPU time\)/);
    expect(error.message).not.toMatch(/damaged or truncated/);
  });

  it('a page with a million drawing operators is too complex for a small budget, not damaged', async () => {
    const doc = await PDFDocument.create({ updateMetadata: false });
    const page = doc.addPage([595, 842]);
    const op = new TextEncoder().encode('1 1 m 2 2 l S\n');
    const content = new Uint8Array(op.length * 1_000_000);
    for (let i = 0; i < 1_000_000; i++) content.set(op, i * op.length);
    page.node.set(PDFName.of('Contents'), doc.context.register(doc.context.flateStream(content)));
    const error = await rejection(await doc.save(), LIMITS, { openTimeoutMs: 200, msPerPage: 100 });
    expect(error.code).toBe('too_complex');
    expect(error.message).toMatch(/needed more than [\d.]+ m?s of CPU time/);
  });
});

describe('parsePdf page classification', () => {
  it('a page that only paints an image is image-only', async () => {
    const result = await parsePdf(await bad.imageOnlyPdf(), LIMITS);
    expect(result.pageCount).toBe(1);
    expect(result.pages[0]).toMatchObject({ pageNumber: 1, text: '', imageOnly: true, items: [] });
    expect(result.imageOnlyPages).toEqual([1]);
  });

  it('a blank page is not image-only', async () => {
    const result = await parsePdf(await bad.blankPagePdf(), LIMITS);
    expect(result.pages[0]).toMatchObject({ pageNumber: 1, text: '', imageOnly: false, items: [] });
    expect(result.imageOnlyPages).toEqual([]);
  });

  it('a prompt injection is kept verbatim as page text (it is data)', async () => {
    const result = await parsePdf(await bad.hostilePdf(), LIMITS);
    expect(result.pageCount).toBe(1);
    expect(result.pages[0]!.text).toContain('Total: 1,190.00 EUR');
    expect(result.pages[0]!.text).toContain(bad.HOSTILE_INSTRUCTION);
  });
});

describe('pdf.js stays quiet', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints nothing to the console while parsing good and bad files in-process', async () => {
    const spies = (['log', 'warn', 'info', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => undefined),
    );
    const stdout = vi.spyOn(process.stdout, 'write');
    for (const bytes of [await bad.corruptPdf(), await bad.truncatedPdf(), await bad.imageOnlyPdf(), await bad.hostilePdf()]) {
      await parsePdf(bytes, LIMITS, { inProcess: true }).catch(() => undefined);
    }
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    expect(stdout).not.toHaveBeenCalled();
  });
});

describe('normalizePageText', () => {
  it('keeps line breaks, collapses blanks, strips NUL and control characters', () => {
    const raw = '  Invoice\u0000  No.\u00A0\u00A0 42  \r\nTotal:\u0007   10.00\f\n\n\n\nEnd\u200B\uFEFF ';
    expect(normalizePageText(raw)).toBe('Invoice No. 42\nTotal: 10.00\n\nEnd');
  });

  it('collapses a run of blanks holding a tab to one tab (table cells)', () => {
    expect(normalizePageText('Qty \t 2\t\t\tPrice  \t3.00')).toBe('Qty\t2\tPrice\t3.00');
  });

  it('replaces unpaired surrogates and composes to NFC', () => {
    expect(normalizePageText('a\uD800b e\u0301')).toBe('a\uFFFDb é');
  });

  it('counts visible characters, not spaces', () => {
    expect(visibleCharCount(' a b\n\tc ')).toBe(3);
    expect(visibleCharCount('€ ü')).toBe(2);
  });
});
