import { describe, expect, it } from 'vitest';
import { halveRange, halves } from '../../src/chunking/halves.ts';

describe('halving a cut-off range', () => {
  it('splits items and page ranges by the same rule: two halves, the first the larger', () => {
    expect(halves([1, 2, 3, 4])).toEqual([[1, 2], [3, 4]]);
    expect(halves([1, 2, 3])).toEqual([[1, 2], [3]]);
    expect(halveRange({ pageFrom: 1, pageTo: 4, chunkIndex: 0 })).toEqual([
      { pageFrom: 1, pageTo: 2, chunkIndex: 0 },
      { pageFrom: 3, pageTo: 4, chunkIndex: 0 },
    ]);
    expect(halveRange({ pageFrom: 3, pageTo: 7 })).toEqual([{ pageFrom: 3, pageTo: 5 }, { pageFrom: 6, pageTo: 7 }]);
    for (let from = 1; from <= 3; from++) {
      for (let to = from + 1; to <= 9; to++) {
        const pages = Array.from({ length: to - from + 1 }, (_, i) => from + i);
        const [a, b] = halves(pages);
        expect(halveRange({ pageFrom: from, pageTo: to })).toEqual([
          { pageFrom: a[0], pageTo: a[a.length - 1] },
          { pageFrom: b[0], pageTo: b[b.length - 1] },
        ]);
      }
    }
  });

  it('does not split a single page', () => {
    expect(halveRange({ pageFrom: 5, pageTo: 5 })).toBeNull();
  });
});
