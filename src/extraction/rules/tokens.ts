/**
 * A local token estimate, for the offline tier and for budgeting before a model's
 * own count is available.
 *
 * Tokenisers for current LLMs average about 4 characters per token on English
 * prose, fewer on numbers, punctuation and non-ASCII text. Runs of whitespace
 * (PDF text is full of them: layout spaces, tabs, blank lines) cost far less
 * than 4 characters per token, so they are collapsed before counting rather than
 * inflating the estimate. Words are also counted so that text made of many short
 * tokens ("1 2 3 4", tables of numbers) is not underestimated.
 */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  // Collapse whitespace runs: a run of spaces/newlines is roughly one token.
  const collapsed = text.replace(/\s+/g, ' ').trim();
  if (collapsed.length === 0) return 0;
  let ascii = 0;
  let other = 0;
  for (const ch of collapsed) {
    if (ch.charCodeAt(0) < 128) ascii++;
    else other++;
  }
  // Non-ASCII characters (accents, CJK, symbols) tokenise worse: ~1 token each for
  // CJK, ~0.5 for accented Latin. Use 0.7 as a middle ground.
  const byChars = ascii / 4 + other * 0.7;
  // Each word (or number, or punctuation cluster) is at least ~0.75 token.
  const words = collapsed.split(' ').length;
  const byWords = words * 0.75;
  return Math.max(1, Math.ceil(Math.max(byChars, byWords)));
}
