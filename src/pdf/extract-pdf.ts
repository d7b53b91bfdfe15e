import { PDFParse, VerbosityLevel, type LoadParameters } from 'pdf-parse';
import type { PageText } from '../extraction/model-tier.ts';
import { normalizePageText, visibleCharCount } from './normalize-text.ts';
import { PdfRejectedError, rejectMessages } from './pdf-errors.ts';
import { assertLooksLikePdf } from './sniff.ts';
import type { ParsedPdf } from './parse-pdf.ts';
import { textItemsOf, type PdfJsTextPage, type PdfJsViewport } from './text-items.ts';

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
  const load = documentLoader(parser); // outside the try: a missing method is the installation's fault, not the file's
  try {
    // Open the document; numPages is pdf.js's page count, which it checks against
    // the page tree (a lying /Count is corrected at load). The page limit is
    // checked here, before any page is read: a 10,000-page file costs its opening only.
    const doc = await load();
    const pageCount = doc.numPages;
    if (pageCount === 0) throw new PdfRejectedError('no_pages', rejectMessages.noPages());
    if (pageCount > limits.maxPages)
      throw new PdfRejectedError('too_many_pages', rejectMessages.tooManyPages(pageCount, limits.maxPages));

    const pages: PageText[] = [];
    for (let pageNumber = 1; pageNumber <= pageCount; pageNumber++) {
      pages.push(await readPage(doc, pageNumber));
      // The open phase ends with page 1 read (the guard's budget for opening covers it).
      if (pageNumber === 1) hooks.onOpened?.(pageCount);
    }
    return { pageCount, pages, imageOnlyPages: pages.filter((p) => p.imageOnly).map((p) => p.pageNumber) };
  } catch (error) {
    throw toRejection(error);
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}

/**
 * One page: its text and its text runs' positions come from ONE getTextContent
 * pass (reading it twice, once for pdf-parse's text and once for the boxes,
 * cost half of the parse); the operator list is read only for low-text pages.
 */
async function readPage(doc: PdfJsDocument, pageNumber: number): Promise<PageText> {
  const page = await doc.getPage(pageNumber);
  try {
    const viewport = page.getViewport({ scale: 1 });
    const content = await page.getTextContent();
    const text = normalizePageText(pageTextOf(viewport, content.items));
    const layout = textItemsOf(viewport, content.items);
    const lowText = visibleCharCount(text) < MIN_TEXT_CHARS;
    const imageOnly = lowText && (await paintsPicture(page));
    return { pageNumber, text, imageOnly, size: layout.size, items: layout.items };
  } finally {
    page.cleanup();
  }
}

/**
 * A page's text from pdf.js's text runs, laid out as pdf-parse's getText does
 * with its defaults (the text the rules tier and the evaluation were tuned on):
 * a line break after a run that ends a line (hasEOL) or when the baseline moves
 * by more than LINE_THRESHOLD and more than the line's height; a tab before a
 * run on the same line that starts more than CELL_THRESHOLD after the previous
 * one ended (table cells). test/unit/parse-pdf.test.ts checks it against
 * pdf-parse's own getText on real files.
 */
export function pageTextOf(viewport: PdfJsViewport, items: ReadonlyArray<object>): string {
  const out: string[] = [];
  let lastX: number | undefined;
  let lastY: number | undefined;
  let lineHeight = 0;
  for (const raw of items) {
    if (!('str' in raw)) continue; // marked-content markers
    const item = raw as { str: string; transform: number[]; width: number; height: number; hasEOL?: boolean };
    const [x, y] = viewport.convertToViewportPoint(item.transform[4]!, item.transform[5]!) as [number, number];
    let str = item.str;
    if (lastY !== undefined && Math.abs(lastY - y) > LINE_THRESHOLD) {
      const last = out.length ? out[out.length - 1] : undefined;
      const startsLine = str.startsWith('\n') || (str.trim() === '' && item.hasEOL);
      if (last?.endsWith('\n') === false && !startsLine && Math.abs(lastY - y) - 1 > lineHeight) {
        out.push('\n');
        lineHeight = 0;
      }
    }
    if (lastY !== undefined && Math.abs(lastY - y) < LINE_THRESHOLD && lastX !== undefined && Math.abs(lastX - x) > CELL_THRESHOLD) {
      str = `\t${str}`;
    }
    out.push(str);
    lastX = x + item.width;
    lastY = y;
    lineHeight = Math.max(lineHeight, item.height);
    if (item.hasEOL) out.push('\n');
    if (item.hasEOL || str.endsWith('\n')) lineHeight = 0;
  }
  return out.join('');
}

/** pdf-parse's getText defaults (lineThreshold, cellThreshold), in PDF points. */
const LINE_THRESHOLD = 4.6;
const CELL_THRESHOLD = 7;

/**
 * How to open the pdf.js document of a pdf-parse instance. pdf-parse opens it in
 * a private method (`load`, which also maps pdf.js's exceptions to its own); its
 * public calls read text or metadata we do not want (getInfo reads the outline,
 * which a hostile file can make huge). If a pdf-parse release renames it this
 * throws a plain Error (retryable: the installation, not the file), never a
 * wrong answer; every parse test fails on it.
 */
function documentLoader(parser: PDFParse): () => Promise<PdfJsDocument> {
  const load = (parser as unknown as { load?: () => Promise<PdfJsDocument> }).load;
  if (typeof load !== 'function') throw new Error('pdf-parse no longer has its load() method: cannot open the pdf.js document');
  return () => load.call(parser);
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
 * Whether a page paints an image (a scan, a photo) or substantial vector
 * drawing. Only called for pages with (almost) no text, so text documents pay
 * nothing for it; for a scanned page it costs one operator-list pass.
 */
async function paintsPicture(page: PdfJsPage): Promise<boolean> {
  const { fnArray } = await page.getOperatorList();
  let paths = 0;
  for (let i = 0; i < fnArray.length; i++) {
    const op = fnArray[i]!;
    if (OPS_PAINT_IMAGE.has(op)) return true;
    if (op === OPS_CONSTRUCT_PATH && ++paths >= MIN_PATHS_FOR_VECTOR_CONTENT) return true;
  }
  return false;
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
