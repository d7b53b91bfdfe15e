import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createPageImages, PAGE_PIXELS } from '../../src/console/page-images.ts';
import { pngSize } from '../../src/pdf/render-pages.ts';

const SAMPLES = path.resolve(import.meta.dirname, '../../samples');
const PDF = path.join(SAMPLES, readdirSync(SAMPLES).filter((f) => f.endsWith('.pdf')).sort()[0]!);

/** Page images over an in-memory store that counts how often a document's bytes are read (once per render). */
function images() {
  const reads: string[] = [];
  const store = new Map<string, Uint8Array>([
    ['pdf', new Uint8Array(readFileSync(PDF))],
    ['xml', new TextEncoder().encode('<?xml version="1.0"?><Invoice/>')],
  ]);
  const pageImages = createPageImages({
    load: async (id) => {
      reads.push(id);
      return store.get(id) ?? null;
    },
  });
  return { pageImages, reads };
}

describe('console page images', () => {
  it('renders a page once at the console size, then serves it from the cache, also to requests made while it renders', async () => {
    const { pageImages, reads } = images();
    const [a, b] = await Promise.all([pageImages.get('pdf', 1), pageImages.get('pdf', 1)]);
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(b.png).toBe(a.png);
    const size = pngSize(a.png);
    expect(Math.max(size.width, size.height)).toBe(PAGE_PIXELS);
    const again = await pageImages.get('pdf', 1);
    expect(again.ok && again.png).toBe(a.png);
    expect(reads).toEqual(['pdf']);
  });

  it('warms pages ahead: the page asked for next is the one rendered in the background', async () => {
    const { pageImages, reads } = images();
    pageImages.warm([{ documentId: 'pdf', page: 1 }]);
    // Rendering started with nobody asking yet…
    await vi.waitFor(() => expect(reads).toEqual(['pdf']));
    // …and the clerk's request gets that render.
    const page = await pageImages.get('pdf', 1);
    expect(page.ok).toBe(true);
    expect(reads).toEqual(['pdf']);
  });

  it('says why there is no image: no such document or page (404), not a PDF (422); failures are not cached', async () => {
    const { pageImages, reads } = images();
    expect(await pageImages.get('gone', 1)).toMatchObject({ ok: false, status: 404 });
    expect(await pageImages.get('pdf', 999)).toMatchObject({ ok: false, status: 404 });
    expect(await pageImages.get('xml', 1)).toMatchObject({ ok: false, status: 422 });
    expect(await pageImages.get('xml', 1)).toMatchObject({ ok: false, status: 422 });
    expect(reads).toEqual(['gone', 'pdf', 'xml', 'xml']);
  });
});
