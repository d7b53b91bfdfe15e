/**
 * How a page range whose answer was cut off is split to be asked again: in two
 * halves, the first the larger. The one rule for both places that split: the
 * Gemini tier inside one call (old runs) and the pipeline, as workflow steps.
 * Pure, no imports: it runs inside Temporal workflow code.
 */

/** Items in the first half of `count` (the larger one when `count` is odd). */
export function firstHalfSize(count: number): number {
  return Math.ceil(count / 2);
}

/**
 * @example halves([1, 2, 3]) → [[1, 2], [3]]
 */
export function halves<T>(items: readonly T[]): [T[], T[]] {
  const middle = firstHalfSize(items.length);
  return [items.slice(0, middle), items.slice(middle)];
}

/**
 * A range of consecutive pages in two halves (a range of one page is not split: null).
 *
 * @example halveRange({ pageFrom: 3, pageTo: 7 }) → [{ pageFrom: 3, pageTo: 5 }, { pageFrom: 6, pageTo: 7 }]
 */
export function halveRange<R extends { pageFrom: number; pageTo: number }>(range: R): [R, R] | null {
  const count = range.pageTo - range.pageFrom + 1;
  if (count <= 1) return null;
  const lastOfFirst = range.pageFrom + firstHalfSize(count) - 1;
  return [
    { ...range, pageTo: lastOfFirst },
    { ...range, pageFrom: lastOfFirst + 1 },
  ];
}
