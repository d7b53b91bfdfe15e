import type { PageImage } from '../extraction/model-tier.ts';
import { openPdfParser, toRejection } from './extract-pdf.ts';
import { guardDefaults, runPdfWorker, stripUndefined, type PdfWorkerGuard } from './pdf-threads.ts';
import { assertLooksLikePdf } from './sniff.ts';

/** Long side of a rendered page, in pixels, unless the caller asks otherwise. */
export const DEFAULT_MAX_SIDE = 1024;
/**
 * pdf.js skips (does not decode) embedded images larger than this many pixels
 * while rendering: a hostile file can declare a 100,000 × 100,000 image, and
 * decoded pixels live outside the V8 heap, so the heap cap would not stop it.
 * 100 MP covers a 600 dpi A3 scan (70 MP); a 1,200 dpi A4 scan (139 MP) would
 * render without its image.
 */
export const DEFAULT_MAX_IMAGE_PIXELS = 100_000_000;

export interface RenderPagesOptions {
  /** Long side of each image, in pixels. Default 1024. */
  maxSide?: number;
  /** CPU time (ms) of the rendering thread allowed to open the document and read the requested pages' sizes. Default 20 s. */
  openTimeoutMs?: number;
  /** Then this much CPU time (ms) per requested page, plus openTimeoutMs. Default 5 s. */
  msPerPage?: number;
  /** V8 heap cap for the rendering thread, in MB. Default 512. */
  maxHeapMb?: number;
  /** Embedded images larger than this (width × height) are left out of the render. Default 100,000,000. */
  maxImagePixels?: number;
  /** Render on the calling thread (no deadline, no memory cap). For debugging only. */
  inProcess?: boolean;
}

const RENDER_MS_PER_PAGE = 5_000;

/**
 * Renders pages of a PDF as PNG images for a tier that reads images (scanned
 * pages): one image per entry of `pageNumbers` (1-based), in that order.
 *
 * - Each page is scaled on its own so that its long side is exactly `maxSide`
 *   pixels (default 1024) and its short side keeps the page's aspect ratio
 *   (rounded down): larger pages are scaled down, smaller ones up. The page
 *   size is pdf.js's (crop box, /Rotate and /UserUnit applied).
 * - A page number outside 1..pageCount is a RangeError (a caller bug, not a
 *   property of the file); so is a non-integer or an invalid maxSide.
 * - Files pdf.js cannot read are rejected like parsePdf does (PdfRejectedError
 *   'empty_file', 'not_a_pdf', 'encrypted', 'corrupt').
 * - Never hangs: pdf.js renders in a worker thread (the same guarded thread
 *   parsePdf uses, see runPdfWorker) that is terminated when it exceeds its
 *   CPU-time budget (openTimeoutMs to open, then msPerPage per requested page)
 *   or its heap cap → PdfRejectedError 'too_complex'. Canvas memory is bounded by maxSide,
 *   decoded images by maxImagePixels.
 */
export async function renderPages(
  bytes: Uint8Array,
  pageNumbers: readonly number[],
  options: RenderPagesOptions = {},
): Promise<PageImage[]> {
  const maxSide = options.maxSide ?? DEFAULT_MAX_SIDE;
  if (!Number.isInteger(maxSide) || maxSide < 1 || maxSide > 16_384)
    throw new RangeError(`maxSide must be an integer from 1 to 16384, not ${maxSide}`);
  for (const n of pageNumbers) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`page number ${n} is not a page of the document (pages are numbered from 1)`);
  }
  assertLooksLikePdf(bytes); // cheap rejections without starting a thread
  if (pageNumbers.length === 0) return [];
  const input: RenderWorkerInput = {
    // In a thread, the thread gets its own copy, moved to it (see runPdfWorker).
    bytes: options.inProcess ? bytes : new Uint8Array(bytes), // a copy in a fresh ArrayBuffer (a Buffer's slice is a pooled view)
    pageNumbers: [...pageNumbers],
    maxSide,
    maxImagePixels: options.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS,
  };
  if (options.inProcess) return renderPagesInProcess(input);
  const guard: PdfWorkerGuard = {
    openTimeoutMs: guardDefaults.openTimeoutMs,
    msPerPage: RENDER_MS_PER_PAGE,
    maxHeapMb: guardDefaults.maxHeapMb,
    ...stripUndefined({ openTimeoutMs: options.openTimeoutMs, msPerPage: options.msPerPage, maxHeapMb: options.maxHeapMb }),
  };
  return runPdfWorker<PageImage[]>(
    RENDER_WORKER_URL,
    input,
    guard,
    { verb: 'rendering', pages: (n) => `rendering ${n} page${n === 1 ? '' : 's'}` },
    [input.bytes.buffer as ArrayBuffer],
  );
}

const RENDER_WORKER_URL = new URL('./render-worker.ts', import.meta.url);

/** What render-worker.ts receives. */
export interface RenderWorkerInput {
  bytes: Uint8Array;
  pageNumbers: number[];
  maxSide: number;
  maxImagePixels: number;
}

/**
 * The scale at which a page of `width` × `height` (pdf.js units at scale 1)
 * renders with its long side exactly `maxSide` pixels. The canvas size is the
 * viewport size rounded down, so the scale aims a hair above maxSide: the
 * product can then not fall to maxSide − 1 through floating-point error, nor
 * reach maxSide + 1.
 */
export function scaleForMaxSide(width: number, height: number, maxSide: number): number {
  const longSide = Math.max(width, height);
  if (!(longSide > 0) || !Number.isFinite(longSide)) throw new RangeError(`page has no usable size (${width} × ${height})`);
  return (maxSide + 1e-6) / longSide;
}

/**
 * In-process rendering: pdf.js on the calling thread, no guard. Production code
 * calls `renderPages`, which runs this inside a worker thread. Exported for the
 * worker and for debugging.
 */
export async function renderPagesInProcess(
  input: RenderWorkerInput,
  hooks: { onOpened?: (pagesToRender: number) => void; ownsBytes?: boolean } = {},
): Promise<PageImage[]> {
  assertLooksLikePdf(input.bytes);
  const parser = openPdfParser(input.bytes, { maxImageSize: input.maxImagePixels }, hooks.ownsBytes);
  try {
    const wanted = [...new Set(input.pageNumbers)];
    // Opens the document; page sizes (scale 1, rotation applied) of the wanted pages.
    const info = await parser.getInfo({ parsePageInfo: true, partial: wanted });
    const outside = input.pageNumbers.find((n) => n > info.total);
    if (outside !== undefined) {
      throw new RangeError(`page ${outside} is outside the document, which has ${info.total} page${info.total === 1 ? '' : 's'}`);
    }
    const sizes = new Map(info.pages.map((p) => [p.pageNumber, p]));
    hooks.onOpened?.(wanted.length);

    const rendered = new Map<number, PageImage>();
    for (const pageNumber of wanted) {
      const size = sizes.get(pageNumber);
      if (!size) throw new Error(`pdf.js did not report the size of page ${pageNumber}`);
      const scale = scaleForMaxSide(size.width, size.height, input.maxSide);
      const shot = await parser.getScreenshot({ partial: [pageNumber], scale, imageBuffer: true, imageDataUrl: false });
      const data = shot.pages[0]?.data;
      if (!data || data.length === 0) throw new Error(`pdf.js returned no image for page ${pageNumber}`);
      const { width, height } = pngSize(data);
      if (Math.max(width, height) > input.maxSide) {
        throw new Error(`page ${pageNumber} rendered at ${width} × ${height} px, larger than ${input.maxSide} px`);
      }
      rendered.set(pageNumber, { pageNumber, mimeType: 'image/png', data });
    }
    return input.pageNumbers.map((n) => rendered.get(n)!);
  } catch (error) {
    throw error instanceof RangeError ? error : toRejection(error);
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR chunk (which must come first). Throws if `data` is not a PNG. */
export function pngSize(data: Uint8Array): { width: number; height: number } {
  const isPng =
    data.length >= 24 &&
    PNG_SIGNATURE.every((b, i) => data[i] === b) &&
    String.fromCharCode(data[12]!, data[13]!, data[14]!, data[15]!) === 'IHDR';
  if (!isPng) throw new Error('not a PNG image (no signature and IHDR chunk)');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
