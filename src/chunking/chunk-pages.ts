/**
 * Groups consecutive pages into chunks for the fast tier. Pure and
 * deterministic, no imports: it runs inside Temporal workflow code.
 */

export interface Chunk {
  /** 0-based position of the chunk. */
  index: number;
  /** pageNumber of the chunk's first page. */
  pageFrom: number;
  /** pageNumber of the chunk's last page (inclusive). */
  pageTo: number;
  /** Sum of the tokens of the chunk's pages. */
  tokens: number;
  /**
   * Present (and true) only on a chunk made of one page that alone exceeds the
   * budget; the caller decides what to do with it (send to a tier with a larger
   * context, truncate, or fail the chunk).
   */
  oversized?: true;
}

/**
 * Greedy packing, in the given order: a page joins the current chunk while the
 * chunk's total stays ≤ `budget` (a chunk of exactly `budget` tokens is fine);
 * otherwise it starts the next chunk. A page with more than `budget` tokens
 * becomes a chunk of its own with `oversized: true`. Pages with 0 tokens join
 * the current chunk. No pages → no chunks.
 *
 * `pages` must be in strictly increasing pageNumber order (a RangeError
 * otherwise). Gaps are allowed (e.g. blank pages left out by the caller): a
 * chunk's pageFrom..pageTo then spans pages that were not passed in, and the
 * caller selects the chunk's pages from its own list by that range.
 * `budget` must be a positive number; token counts finite and ≥ 0.
 */
export function chunkPages(pages: readonly { pageNumber: number; tokens: number }[], budget: number): Chunk[] {
  if (!(Number.isFinite(budget) && budget > 0)) {
    throw new RangeError(`chunk budget must be a positive number of tokens, got ${budget}`);
  }
  const chunks: Chunk[] = [];
  let current: Chunk | undefined;
  let previousPage = -Infinity;

  for (const page of pages) {
    if (!Number.isFinite(page.tokens) || page.tokens < 0) {
      throw new RangeError(`page ${page.pageNumber} has an invalid token count: ${page.tokens}`);
    }
    if (!Number.isFinite(page.pageNumber) || page.pageNumber <= previousPage) {
      throw new RangeError(
        `pages must be in increasing page order: page ${page.pageNumber} comes after page ${previousPage}`,
      );
    }
    previousPage = page.pageNumber;

    if (page.tokens > budget) {
      if (current) chunks.push(current);
      current = undefined;
      chunks.push({
        index: chunks.length,
        pageFrom: page.pageNumber,
        pageTo: page.pageNumber,
        tokens: page.tokens,
        oversized: true,
      });
      continue;
    }
    if (current && current.tokens + page.tokens <= budget) {
      current.pageTo = page.pageNumber;
      current.tokens += page.tokens;
      continue;
    }
    if (current) chunks.push(current);
    current = { index: chunks.length, pageFrom: page.pageNumber, pageTo: page.pageNumber, tokens: page.tokens };
  }
  if (current) chunks.push(current);
  return chunks;
}
