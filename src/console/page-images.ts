import { renderPages } from '../pdf/render-pages.ts';

/**
 * The console's page images: rendered on the server by the project's renderer
 * (pdf.js in a guarded worker thread, src/pdf/render-pages.ts) the first time a
 * page is asked for, then served from a small in-memory cache (documents are
 * immutable, so a page's image never changes). Chosen over pdf.js in the
 * browser by measurement: see scripts/bench-page-images.ts and the README.
 */

/** Long side of a page image, in pixels. */
export const PAGE_PIXELS = 1400;
const CACHE_ENTRIES = 200;

export type PageImageResult = { ok: true; png: Buffer } | { ok: false; status: 404 | 422; error: string };

export interface PageImages {
  get(documentId: string, page: number): Promise<PageImageResult>;
  /**
   * Renders pages ahead of the clerk, one after the other, in the background
   * (a failure is left for `get` to report): e.g. the first page of the
   * document a reviewer will get next, while they work on the current one.
   */
  warm(pages: readonly { documentId: string; page: number }[]): void;
}

/**
 * @example
 * const images = createPageImages({ load: (id) => loadDocumentBytes(db, id) });
 * const first = await images.get(documentId, 1); // rendered; the next call is served from the cache
 */
export function createPageImages(deps: {
  /** The original's bytes, or null when there is no such document. */
  load: (documentId: string) => Promise<Uint8Array | null>;
  maxSide?: number;
  entries?: number;
}): PageImages {
  const cache = new Map<string, Buffer>();
  // Renders in flight: a page asked for again while it renders (warmed, then opened) is rendered once.
  const rendering = new Map<string, Promise<PageImageResult>>();
  const entries = deps.entries ?? CACHE_ENTRIES;
  const render = async (documentId: string, page: number, key: string): Promise<PageImageResult> => {
    const bytes = await deps.load(documentId);
    if (!bytes) return { ok: false, status: 404, error: 'no such document' };
    let png: Buffer;
    try {
      const [image] = await renderPages(new Uint8Array(bytes), [page], { maxSide: deps.maxSide ?? PAGE_PIXELS });
      png = Buffer.from(image!.data);
    } catch (error) {
      return { ok: false, status: error instanceof RangeError ? 404 : 422, error: error instanceof Error ? error.message : String(error) };
    }
    cache.set(key, png);
    if (cache.size > entries) cache.delete(cache.keys().next().value!);
    return { ok: true, png };
  };
  const get = (documentId: string, page: number): Promise<PageImageResult> => {
    const key = `${documentId}:${page}`;
    const cached = cache.get(key);
    if (cached) return Promise.resolve({ ok: true, png: cached });
    let pending = rendering.get(key);
    if (!pending) {
      pending = render(documentId, page, key).finally(() => rendering.delete(key));
      rendering.set(key, pending);
    }
    return pending;
  };
  return {
    get,
    warm(pages) {
      void (async () => {
        for (const p of pages) await get(p.documentId, p.page).catch(() => undefined);
      })();
    },
  };
}
