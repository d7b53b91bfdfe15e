/**
 * Scanned pages without a vision tier: render each image-only page at about
 * 300 dpi, read it with Tesseract, and make the result the page's text layer
 * (text + items). The page is then an ordinary text page marked `ocr`, which
 * the rules tier reads like any other; its boxes are the evidence boxes.
 */
import type { PageText } from '../extraction/model-tier.ts';
import type { ParsedPdf } from '../pdf/parse-pdf.ts';
import { renderPages } from '../pdf/render-pages.ts';
import { ocrState, recognise, type OcrState } from './tesseract.ts';

/** Long side of the rendered page: an A4 page at ~210 dpi (legible for Tesseract, half the work of 300 dpi). */
export const OCR_RENDER_SIDE = 2480;

export interface OcrOutcome {
  parsed: ParsedPdf;
  /** Pages read by OCR. */
  pages: number[];
  /** Why scanned pages were left as images (OCR unavailable or failed), or null. */
  skipped: string | null;
}

export async function ocrScannedPages(bytes: Uint8Array, parsed: ParsedPdf, options: { state?: OcrState; signal?: AbortSignal; languages?: readonly string[]; renderSide?: number } = {}): Promise<OcrOutcome> {
  const scanned = parsed.imageOnlyPages;
  if (scanned.length === 0) return { parsed, pages: [], skipped: null };
  const state = options.state ?? (await ocrState());
  if (!state.available) return { parsed, pages: [], skipped: `OCR unavailable: ${state.reason}` };
  const read = new Map<number, PageText>();
  for (const pageNumber of scanned) {
    options.signal?.throwIfAborted();
    // One page at a time: a large bitmap each, and a generous deadline (a busy machine renders slowly).
    const [image] = await renderPages(bytes, [pageNumber], { maxSide: options.renderSide ?? OCR_RENDER_SIDE, msPerPage: 60_000 });
    if (!image) continue;
    const ocr = await recognise(image.data, { languages: options.languages?.filter((l) => state.languages.includes(l)) ?? state.languages, ...(options.signal ? { signal: options.signal } : {}) });
    if (ocr.text.replace(/\s/g, '').length < 20) continue; // nothing legible: stays an image
    const page = parsed.pages[image.pageNumber - 1]!;
    read.set(image.pageNumber, { ...page, text: ocr.text, items: ocr.items, imageOnly: false, ocr: true });
  }
  if (read.size === 0) return { parsed, pages: [], skipped: 'OCR found no legible text on the scanned pages' };
  const pages = parsed.pages.map((p) => read.get(p.pageNumber) ?? p);
  return {
    parsed: { pageCount: parsed.pageCount, pages, imageOnlyPages: pages.filter((p) => p.imageOnly).map((p) => p.pageNumber) },
    pages: [...read.keys()],
    skipped: null,
  };
}
