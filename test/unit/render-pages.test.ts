import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PDFDocument, PDFName } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { PdfRejectedError } from '../../src/pdf/parse-pdf.ts';
import { pngSize, renderPages, scaleForMaxSide } from '../../src/pdf/render-pages.ts';
import * as bad from '../support/bad-pdfs.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../../samples');
const read = (file: string): Uint8Array => new Uint8Array(readFileSync(file));
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height straight from the IHDR chunk, independent of pngSize(). */
function ihdr(png: Uint8Array): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  expect(Buffer.from(png.subarray(12, 16)).toString('latin1')).toBe('IHDR');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** One page (595 × 842) that fills `paths` triangles: tiny file, seconds to rasterise per 10,000 paths. */
async function slowToRenderPdf(paths: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const page = doc.addPage([595, 842]);
  const op = new TextEncoder().encode('10 10 m 500 800 l 20 700 l f\n');
  const content = new Uint8Array(op.length * paths);
  for (let i = 0; i < paths; i++) content.set(op, i * op.length);
  page.node.set(PDFName.of('Contents'), doc.context.register(doc.context.flateStream(content)));
  return doc.save();
}

/** Pages of the given sizes (points), one line of text each. */
async function pagesOfSizes(sizes: [number, number][]): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  for (const size of sizes) doc.addPage(size).drawText(`Page of ${size[0]} x ${size[1]} pt`, { x: 5, y: 5, size: 8 });
  return doc.save();
}

describe('renderPages', () => {
  it('a scanned page (image only, A4) → one PNG, long side exactly 1024, aspect ratio kept', async () => {
    const images = await renderPages(await bad.imageOnlyPdf(), [1]);
    expect(images).toHaveLength(1);
    expect(images[0]!.pageNumber).toBe(1);
    expect(images[0]!.mimeType).toBe('image/png');
    const { width, height } = ihdr(images[0]!.data);
    expect(height).toBe(1024);
    expect(width).toBe(Math.floor((595 * 1024) / 842)); // 723
    expect(pngSize(images[0]!.data)).toEqual({ width, height });
  });

  it('several pages of a sample, in the order asked, repeats included', async () => {
    const images = await renderPages(read(path.join(SAMPLES, 'contract-nda.pdf')), [2, 1, 2]);
    expect(images.map((i) => i.pageNumber)).toEqual([2, 1, 2]);
    for (const image of images) {
      const { width, height } = ihdr(image.data);
      expect(Math.max(width, height)).toBe(1024);
      expect(width).toBe(724); // A4 from Word/LaTeX: 595.28 × 841.89 pt
    }
    // Page 1 (the title page) and page 2 differ.
    expect(Buffer.compare(images[0]!.data, images[1]!.data)).not.toBe(0);
  });

  it('renders from a Node Buffer as the activities pass it (the stored original), pooled or not, and leaves it intact', async () => {
    const file = readFileSync(path.join(SAMPLES, 'contract-nda.pdf'));
    for (const bytes of [Buffer.from(file), Buffer.concat([file])]) {
      const images = await renderPages(bytes, [1]);
      expect(images).toHaveLength(1);
      expect(bytes.equals(file)).toBe(true);
    }
  });

  it('many pages of a large document: the right number of images, all within bounds', async () => {
    const images = await renderPages(await bad.hugePdf(40), [40, 1, 17, 3, 25]);
    expect(images.map((i) => i.pageNumber)).toEqual([40, 1, 17, 3, 25]);
    for (const image of images) {
      const { width, height } = ihdr(image.data);
      expect({ width, height }).toEqual({ width: 723, height: 1024 });
    }
  });

  it('scales each page on its own: larger pages down, smaller up, landscape by its width', async () => {
    // A0 portrait, a business card, A4 landscape, a square.
    const pdf = await pagesOfSizes([[2384, 3370], [252, 144], [842, 595], [500, 500]]);
    const sizes = (await renderPages(pdf, [1, 2, 3, 4])).map((i) => ihdr(i.data));
    expect(sizes).toEqual([
      { width: Math.floor((2384 * 1024) / 3370), height: 1024 },
      { width: 1024, height: Math.floor((144 * 1024) / 252) },
      { width: 1024, height: 723 },
      { width: 1024, height: 1024 },
    ]);
  });

  it('honours maxSide', async () => {
    const [image] = await renderPages(await bad.imageOnlyPdf(), [1], { maxSide: 300 });
    expect(ihdr(image!.data)).toEqual({ width: 211, height: 300 });
  });

  it('the scale lands on maxSide despite floating-point error', () => {
    for (const long of [841.89, 842, 595.28, 3370, 612, 792, 1e-3 + 700, 14_400 * 75]) {
      for (const maxSide of [1024, 1000, 768, 1]) {
        expect(Math.floor(long * scaleForMaxSide(long, long / 2, maxSide))).toBe(maxSide);
        expect(Math.floor(long * scaleForMaxSide(long / 3, long, maxSide))).toBe(maxSide);
      }
    }
  });

  it('no pages asked → no images', async () => {
    expect(await renderPages(await bad.imageOnlyPdf(), [])).toEqual([]);
  });

  it('a page outside the document is a RangeError', async () => {
    const pdf = read(path.join(SAMPLES, 'contract-nda.pdf'));
    await expect(renderPages(pdf, [1, 3])).rejects.toThrow(RangeError);
    await expect(renderPages(pdf, [3])).rejects.toThrow(/page 3 is outside the document, which has 2 pages/);
    await expect(renderPages(pdf, [0])).rejects.toThrow(RangeError);
    await expect(renderPages(pdf, [1.5])).rejects.toThrow(RangeError);
  });

  it('files that are not readable PDFs are rejected like parsePdf rejects them', async () => {
    const codeOf = async (bytes: Uint8Array): Promise<string> => {
      const error: unknown = await renderPages(bytes, [1]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PdfRejectedError);
      return (error as PdfRejectedError).code;
    };
    expect(await codeOf(await bad.emptyFile())).toBe('empty_file');
    expect(await codeOf(await bad.notAPdf())).toBe('not_a_pdf');
    expect(await codeOf(await bad.encryptedPdf())).toBe('encrypted');
    expect(await codeOf(await bad.corruptPdf())).toBe('corrupt');
  });

  it('leaves the input buffer intact and renders the same in-process as in the worker', async () => {
    const bytes = await bad.imageOnlyPdf();
    const copy = bytes.slice();
    const [inWorker] = await renderPages(bytes, [1]);
    const [inProcess] = await renderPages(bytes, [1], { inProcess: true });
    expect(bytes).toEqual(copy);
    expect(Buffer.compare(inWorker!.data, inProcess!.data)).toBe(0);
  });

  it('a pathologically slow page is stopped at its CPU budget (worker terminated), worded apart from damage', async () => {
    // 100,000 filled paths: ~20 s of CPU to rasterise unguarded.
    const pdf = await slowToRenderPdf(100_000);
    const error: unknown = await renderPages(pdf, [1], { openTimeoutMs: 1_500, msPerPage: 500 }).catch((e: unknown) => e);
    // The CPU-time deadline fired (its message names it); no wall-clock bound: the machine may be busy.
    expect(error).toBeInstanceOf(PdfRejectedError);
    expect((error as PdfRejectedError).code).toBe('too_complex');
    expect((error as PdfRejectedError).message).toMatch(/too complex .*rendering 1 page needed more than 2\.0 s of CPU time/);
    expect((error as PdfRejectedError).message).not.toMatch(/damaged or truncated/);
  });
});
