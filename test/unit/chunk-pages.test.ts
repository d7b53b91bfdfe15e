import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkPages } from '../../src/chunking/chunk-pages.ts';

const pages = (...tokens: number[]) => tokens.map((t, i) => ({ pageNumber: i + 1, tokens: t }));

describe('chunkPages', () => {
  it('no pages → no chunks', () => {
    expect(chunkPages([], 1000)).toEqual([]);
  });

  it('one page → one chunk', () => {
    expect(chunkPages(pages(300), 1000)).toEqual([{ index: 0, pageFrom: 1, pageTo: 1, tokens: 300 }]);
  });

  it('groups consecutive pages greedily under the budget', () => {
    expect(chunkPages(pages(400, 400, 400, 100, 900), 1000)).toEqual([
      { index: 0, pageFrom: 1, pageTo: 2, tokens: 800 },
      { index: 1, pageFrom: 3, pageTo: 4, tokens: 500 },
      { index: 2, pageFrom: 5, pageTo: 5, tokens: 900 },
    ]);
  });

  it('a chunk may reach the budget exactly; one token more starts a new chunk', () => {
    expect(chunkPages(pages(600, 400, 1), 1000)).toEqual([
      { index: 0, pageFrom: 1, pageTo: 2, tokens: 1000 },
      { index: 1, pageFrom: 3, pageTo: 3, tokens: 1 },
    ]);
    expect(chunkPages(pages(600, 401), 1000)).toEqual([
      { index: 0, pageFrom: 1, pageTo: 1, tokens: 600 },
      { index: 1, pageFrom: 2, pageTo: 2, tokens: 401 },
    ]);
  });

  it('a page of exactly the budget is a normal chunk, not oversized', () => {
    expect(chunkPages(pages(1000, 1000), 1000)).toEqual([
      { index: 0, pageFrom: 1, pageTo: 1, tokens: 1000 },
      { index: 1, pageFrom: 2, pageTo: 2, tokens: 1000 },
    ]);
  });

  it('a page over budget becomes its own oversized chunk, between its neighbours', () => {
    expect(chunkPages(pages(200, 300, 5000, 100, 100), 1000)).toEqual([
      { index: 0, pageFrom: 1, pageTo: 2, tokens: 500 },
      { index: 1, pageFrom: 3, pageTo: 3, tokens: 5000, oversized: true },
      { index: 2, pageFrom: 4, pageTo: 5, tokens: 200 },
    ]);
  });

  it('consecutive oversized pages, and an oversized first or last page', () => {
    expect(chunkPages(pages(1001, 1002, 10), 1000)).toEqual([
      { index: 0, pageFrom: 1, pageTo: 1, tokens: 1001, oversized: true },
      { index: 1, pageFrom: 2, pageTo: 2, tokens: 1002, oversized: true },
      { index: 2, pageFrom: 3, pageTo: 3, tokens: 10 },
    ]);
    expect(chunkPages(pages(10, 2000), 1000).at(-1)).toEqual({ index: 1, pageFrom: 2, pageTo: 2, tokens: 2000, oversized: true });
  });

  it('zero-token pages (blank or image-only) join the current chunk', () => {
    expect(chunkPages(pages(0, 1000, 0, 0), 1000)).toEqual([{ index: 0, pageFrom: 1, pageTo: 4, tokens: 1000 }]);
  });

  it('keeps real page numbers when pages were left out, and indexes chunks 0..n-1', () => {
    const chunks = chunkPages(
      [
        { pageNumber: 2, tokens: 500 },
        { pageNumber: 5, tokens: 500 },
        { pageNumber: 6, tokens: 500 },
      ],
      1000,
    );
    expect(chunks).toEqual([
      { index: 0, pageFrom: 2, pageTo: 5, tokens: 1000 },
      { index: 1, pageFrom: 6, pageTo: 6, tokens: 500 },
    ]);
  });

  it('covers every page exactly once, in order, and is deterministic', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const input = Array.from({ length: 300 }, (_, i) => ({ pageNumber: i + 1, tokens: Math.floor(rand() * 2500) }));
    const chunks = chunkPages(input, 2000);
    expect(chunkPages(input, 2000)).toEqual(chunks);
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
    let next = 1;
    for (const c of chunks) {
      expect(c.pageFrom).toBe(next);
      next = c.pageTo + 1;
      const sum = input.slice(c.pageFrom - 1, c.pageTo).reduce((s, p) => s + p.tokens, 0);
      expect(c.tokens).toBe(sum);
      if (c.oversized) expect(c.pageFrom === c.pageTo && c.tokens > 2000).toBe(true);
      else expect(c.tokens).toBeLessThanOrEqual(2000);
    }
    expect(next).toBe(301);
    // Greedy: a chunk could not have taken the next page without exceeding the budget.
    for (let i = 0; i + 1 < chunks.length; i++) {
      const c = chunks[i]!;
      const nextPage = input[c.pageTo]!;
      if (!c.oversized && !chunks[i + 1]!.oversized) expect(c.tokens + nextPage.tokens).toBeGreaterThan(2000);
    }
  });

  it('does not modify its input', () => {
    const input = Object.freeze(pages(100, 200).map((p) => Object.freeze(p)));
    expect(() => chunkPages(input, 250)).not.toThrow();
  });

  it('rejects a bad budget, bad token counts and out-of-order pages', () => {
    expect(() => chunkPages(pages(1), 0)).toThrow(RangeError);
    expect(() => chunkPages(pages(1), Number.NaN)).toThrow(RangeError);
    expect(() => chunkPages(pages(-1), 10)).toThrow(/invalid token count/);
    expect(() => chunkPages(pages(Number.POSITIVE_INFINITY), 10)).toThrow(RangeError);
    expect(() =>
      chunkPages(
        [
          { pageNumber: 2, tokens: 1 },
          { pageNumber: 1, tokens: 1 },
        ],
        10,
      ),
    ).toThrow(/increasing page order/);
    expect(() =>
      chunkPages(
        [
          { pageNumber: 1, tokens: 1 },
          { pageNumber: 1, tokens: 1 },
        ],
        10,
      ),
    ).toThrow(/increasing page order/);
  });

  it('has no imports (it runs inside Temporal workflow code)', () => {
    const source = readFileSync(path.resolve(import.meta.dirname, '../../src/chunking/chunk-pages.ts'), 'utf8');
    expect(source).not.toMatch(/^\s*import\s/m);
    expect(source).not.toMatch(/\brequire\(|\bprocess\.|Date\.now|Math\.random/);
  });
});
