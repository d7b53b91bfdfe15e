/**
 * Text clean-up for what pdf.js extracts from a page. Pure functions, no I/O.
 *
 * - line breaks are kept (CR/LF, form feed, vertical tab, NEL, U+2028/9 become "\n");
 * - NUL and other C0/C1 control characters, zero-width spaces and BOMs are dropped
 *   (Postgres `text` cannot hold NUL; the others are invisible noise);
 * - unpaired UTF-16 surrogates become U+FFFD (they cannot be encoded as UTF-8);
 * - Unicode spaces (NBSP, thin space, ideographic space...) become plain spaces;
 * - within a line, a run of blanks collapses to one space, or to one tab when the
 *   run holds a tab (pdf-parse puts a tab between items separated by a wide gap,
 *   i.e. table cells, which is worth keeping for extraction);
 * - blanks at line ends are trimmed, 3+ line breaks collapse to one empty line,
 *   and the page is trimmed. The result is NFC-normalised.
 */
export function normalizePageText(raw: string): string {
  let s = raw.normalize('NFC');
  s = s.replace(/\r\n?|[\v\f\u0085\u2028\u2029]/g, '\n');
  s = s.replace(/[\u0000-\u0008\u000E-\u001F\u007F-\u009F\u200B\u2060\uFEFF\uFFFE\uFFFF]/g, '');
  s = s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  s = s.replace(/[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g, ' ');
  s = s
    .split('\n')
    .map((line) => line.replace(/[ \t]{2,}|\t/g, (run) => (run.includes('\t') ? '\t' : ' ')).replace(/^[ \t]+|[ \t]+$/g, ''))
    .join('\n');
  s = s.replace(/\n{3,}/g, '\n\n');
  return s.trim();
}

/** Number of non-whitespace characters (code points) in a text. */
export function visibleCharCount(text: string): number {
  let n = 0;
  for (const ch of text) if (!/\s/u.test(ch)) n++;
  return n;
}
