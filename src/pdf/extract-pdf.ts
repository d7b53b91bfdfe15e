import { PDFParse, VerbosityLevel, type LoadParameters } from 'pdf-parse';
import type { PageText } from '../extraction/model-tier.ts';
import { normalizePageText, visibleCharCount } from './normalize-text.ts';
import { PdfRejectedError, rejectMessages } from './pdf-errors.ts';
import { assertLooksLikePdf } from './sniff.ts';
import type { ParsedPdf } from './parse-pdf.ts';
import { pageTextItems, type PdfJsTextPage } from './text-items.ts';

/**
 * In-process PDF text extraction with pdf-parse (pdf.js). This runs pdf.js on
 * the calling thread; production code calls `parsePdf` (parse-pdf.ts), which
 * runs this inside a worker thread with a deadline. Exported for the worker and
 * for tests.
 */

/** A page with fewer non-space characters than this has no usable text layer. */
export const MIN_TEXT_CHARS = 20;
/**
 * A low-text page that draws at least this many vector paths is treated as
 * image-only too: it is typically text converted to outlines, or a drawing.
 */
export const MIN_PATHS_FOR_VECTOR_CONTENT = 20;

// pdf.js operator codes (OPS in pdfjs-dist; stable for many releases). Not
// re-exported by pdf-parse, so listed here; test/unit/parse-pdf.test.ts checks
// the image-only outcome end to end.
const OPS_PAINT_IMAGE = new Set([
  83, // paintImageMaskXObject
  84, // paintImageMaskXObjectGroup
  85, // paintImageXObject
  86, // paintInlineImageXObject
  87, // paintInlineImageXObjectGroup
  88, // paintImageXObjectRepeat
  89, // paintImageMaskXObjectRepeat
  // 90 paintSolidColorImageMask is a 1x1 mask: not a picture, deliberately left out
]);
const OPS_CONSTRUCT_PATH = 91;

/** The part of pdf.js's PDFDocumentProxy/PDFPageProxy used for the image check and text positions. */
interface PdfJsPage extends PdfJsTextPage {
  getOperatorList(): Promise<{ fnArray: ArrayLike<number> }>;
  cleanup(): unknown;
}
interface PdfJsDocument {
  numPages: number;
  getPage(pageNumber: number): Promise<PdfJsPage>;
}

export interface ExtractHooks {
  /** Called once the document is open and its page count is known and within limits. */
  onOpened?: (pageCount: number) => void;
  /** The bytes belong to this call (a worker thread's own copy): pdf.js may take them without a copy. */
  ownsBytes?: boolean;
}

export async function extractPdfInProcess(
  bytes: Uint8Array,
  limits: { maxPages: number },
  hooks: ExtractHooks = {},
): Promise<ParsedPdf> {
  assertLooksLikePdf(bytes);
  const parser = openPdfParser(bytes, {}, hooks.ownsBytes);
  try {
    // Open the document and read page 1; `total` is pdf.js's page count, which it
    // checks against the page tree (a lying /Count is corrected at load).
    const first = await parser.getText({ first: 1 });
    const pageCount = first.total;
    if (pageCount === 0) throw new PdfRejectedError('no_pages', rejectMessages.noPages());
    if (pageCount > limits.maxPages)
      throw new PdfRejectedError('too_many_pages', rejectMessages.tooManyPages(pageCount, limits.maxPages));
    hooks.onOpened?.(pageCount);

    const rest = pageCount > 1 ? (await parser.getText({ first: 2, last: pageCount })).pages : [];
    const rawPages = [...first.pages, ...rest];
    if (rawPages.length !== pageCount) {
      throw new PdfRejectedError(
        'corrupt',
        rejectMessages.corrupt(`only ${rawPages.length} of ${pageCount} pages could be read`),
      );
    }

    const doc = pdfJsDocument(parser);
    const pages: PageText[] = [];
    for (const raw of rawPages) {
      const text = normalizePageText(raw.text);
      const lowText = visibleCharCount(text) < MIN_TEXT_CHARS;
      const imageOnly = lowText && (doc ? await paintsPicture(doc, raw.num) : true);
      const layout = doc ? await textLayout(doc, raw.num) : null;
      pages.push({ pageNumber: raw.num, text, imageOnly, ...(layout ? { size: layout.size, items: layout.items } : {}) });
    }
    pages.sort((a, b) => a.pageNumber - b.pageNumber);
    return { pageCount, pages, imageOnlyPages: pages.filter((p) => p.imageOnly).map((p) => p.pageNumber) };
  } catch (error) {
    throw toRejection(error);
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}

/**
 * A pdf-parse instance with the settings every pdf.js use here shares (text
 * extraction, page rendering): quiet, self-contained (no eval'd font code, no
 * system fonts, no fetches), lenient with damaged files. `extra` adds
 * load options (render-pages.ts caps image sizes); `owned` says the bytes are
 * not used after (no defensive copy). The caller destroys it.
 */
export function openPdfParser(bytes: Uint8Array, extra: Omit<LoadParameters, 'data' | 'url'> = {}, owned = false): PDFParse {
  return new PDFParse({
    // pdf.js takes ownership of (and may detach) the buffer it is given: hand it a copy, unless it is ours to give.
    data: owned ? bytes : bytes.slice(),
    verbosity: VerbosityLevel.ERRORS,
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    stopAtErrors: false,
    ...extra,
  });
}

/**
 * pdf-parse keeps the pdf.js document in a private field; the image check needs
 * its pages' operator lists. Guarded: if a pdf-parse release renames the field,
 * low-text pages are all reported image-only (the conservative answer) instead
 * of failing.
 */
function pdfJsDocument(parser: PDFParse): PdfJsDocument | undefined {
  const doc = (parser as unknown as { doc?: Partial<PdfJsDocument> }).doc;
  return doc && typeof doc.getPage === 'function' ? (doc as PdfJsDocument) : undefined;
}

/**
 * Whether a page paints an image (a scan, a photo) or substantial vector
 * drawing. Only called for pages with (almost) no text, so text documents pay
 * nothing for it; for a scanned page it costs one operator-list pass.
 */
async function paintsPicture(doc: PdfJsDocument, pageNumber: number): Promise<boolean> {
  const page = await doc.getPage(pageNumber);
  try {
    const { fnArray } = await page.getOperatorList();
    let paths = 0;
    for (let i = 0; i < fnArray.length; i++) {
      const op = fnArray[i]!;
      if (OPS_PAINT_IMAGE.has(op)) return true;
      if (op === OPS_CONSTRUCT_PATH && ++paths >= MIN_PATHS_FOR_VECTOR_CONTENT) return true;
    }
    return false;
  } finally {
    page.cleanup();
  }
}

/** The page's text runs with their positions (see text-items.ts). */
async function textLayout(doc: PdfJsDocument, pageNumber: number) {
  const page = await doc.getPage(pageNumber);
  try {
    return await pageTextItems(page);
  } finally {
    page.cleanup();
  }
}

/** Maps what pdf.js throws to a PdfRejectedError; leaves environment failures alone. */
export function toRejection(error: unknown): unknown {
  if (error instanceof PdfRejectedError) return error;
  if (!(error instanceof Error)) return new PdfRejectedError('corrupt', rejectMessages.corrupt(String(error)));
  // pdf.js could not start its (fake) worker: a broken installation, not a bad file.
  if (/fake worker|GlobalWorkerOptions/i.test(error.message)) return error;
  if (error.name === 'PasswordException' || /password|encrypt/i.test(error.message)) {
    return new PdfRejectedError('encrypted', rejectMessages.encrypted(), { cause: error });
  }
  const detail = error.message.replace(/\s+/g, ' ').trim().slice(0, 200) || error.name;
  return new PdfRejectedError('corrupt', rejectMessages.corrupt(detail), { cause: error });
}
