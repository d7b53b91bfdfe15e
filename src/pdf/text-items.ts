/**
 * Where each piece of text sits on its page, from pdf.js's text content: what
 * evidence boxes (the review console) and layout-aware rules are built on.
 * Positions come from the PDF's own text layer, never from a model.
 */

/**
 * One text run as pdf.js reports it, in page-relative coordinates: 0–1 from the
 * page's top-left corner (as the page is displayed, rotation applied), so a box
 * can be drawn over a rendered page of any size.
 */
export interface TextItem {
  /** The run's text, as in the PDF (not normalised). */
  str: string;
  /** Left edge, 0–1 of the page width. */
  x: number;
  /** Top edge, 0–1 of the page height. */
  y: number;
  /** Width, 0–1 of the page width. */
  w: number;
  /** Height, 0–1 of the page height (about the font size). */
  h: number;
}

/** Page size as displayed, in PDF points (1/72 inch). */
export interface PageSize {
  width: number;
  height: number;
}

/** The part of pdf.js's PDFPageProxy used here. */
export interface PdfJsTextPage {
  getViewport(params: { scale: number }): {
    width: number;
    height: number;
    convertToViewportPoint(x: number, y: number): number[];
  };
  getTextContent(params?: { includeMarkedContent?: boolean }): Promise<{ items: ReadonlyArray<object> }>;
}

interface PdfJsTextRun {
  str: string;
  transform: number[];
  width: number;
  height: number;
}

const PRECISION = 1e4;
const round = (v: number) => Math.round(v * PRECISION) / PRECISION;
const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/**
 * The text runs of a page with their boxes. Runs that are only whitespace are
 * left out; a run's box is the rectangle spanned by its baseline start and its
 * end at font height, mapped through the page's viewport (so rotated pages and
 * cropped media boxes come out right), clamped to the page.
 */
export async function pageTextItems(page: PdfJsTextPage): Promise<{ size: PageSize; items: TextItem[] }> {
  const viewport = page.getViewport({ scale: 1 });
  return textItemsOf(viewport, (await page.getTextContent()).items);
}

/** The viewport part of a pdf.js page used to place text. */
export type PdfJsViewport = ReturnType<PdfJsTextPage['getViewport']>;

/** pageTextItems on a page's text content already read (one getTextContent pass serves text and positions). */
export function textItemsOf(viewport: PdfJsViewport, contentItems: ReadonlyArray<object>): { size: PageSize; items: TextItem[] } {
  const content = { items: contentItems };
  const items: TextItem[] = [];
  const { width, height } = viewport;
  if (!(width > 0) || !(height > 0)) return { size: { width: 0, height: 0 }, items };
  for (const raw of content.items) {
    if (!isTextRun(raw) || raw.str.trim() === '') continue;
    const [a, b, c, d, e, f] = raw.transform as [number, number, number, number, number, number];
    // Font height along the text's vertical axis (the run's own height is 0 for some fonts).
    const fontHeight = raw.height > 0 ? raw.height : Math.hypot(c, d) || Math.hypot(a, b);
    const runWidth = raw.width;
    // Unit vectors of the run's direction and its "up" in user space.
    const along = Math.hypot(a, b) || 1;
    const up = Math.hypot(c, d) || 1;
    const ux = a / along;
    const uy = b / along;
    const vx = c / up;
    const vy = d / up;
    const corners = [
      [e, f],
      [e + ux * runWidth, f + uy * runWidth],
      [e + vx * fontHeight, f + vy * fontHeight],
      [e + ux * runWidth + vx * fontHeight, f + uy * runWidth + vy * fontHeight],
    ].map(([x, y]) => viewport.convertToViewportPoint(x!, y!));
    const xs = corners.map((p) => p[0]!);
    const ys = corners.map((p) => p[1]!);
    const left = clamp01(Math.min(...xs) / width);
    const right = clamp01(Math.max(...xs) / width);
    const top = clamp01(Math.min(...ys) / height);
    const bottom = clamp01(Math.max(...ys) / height);
    if (![left, right, top, bottom].every(Number.isFinite)) continue;
    items.push({ str: raw.str, x: round(left), y: round(top), w: round(right - left), h: round(bottom - top) });
  }
  return { size: { width: round(width), height: round(height) }, items };
}

function isTextRun(item: object): item is PdfJsTextRun {
  const run = item as Partial<PdfJsTextRun>;
  return typeof run.str === 'string' && Array.isArray(run.transform) && run.transform.length >= 6 && typeof run.width === 'number';
}
