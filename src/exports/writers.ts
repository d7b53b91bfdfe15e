import { Readable, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';

/**
 * Export writers: rows (an async iterable, read as the consumer reads) to CSV or
 * JSON Lines. Shared by the API's `format=csv|jsonl` and `docroute export`.
 */

export type ExportFormat = 'csv' | 'jsonl';

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

export interface CsvOptions {
  /**
   * Cells exactly as stored, without the formula guard (`raw=true` in the API,
   * `--csv-raw` in `docroute export`): for programs that read CSV as data, never
   * for a spreadsheet.
   */
  raw?: boolean;
}

/** A number as written in the records (an exact decimal amount), which a spreadsheet cannot take for a formula. */
const PLAIN_NUMBER = /^[-+]?\d+(\.\d+)?$/;

/**
 * Guards a text cell against formula injection (CSV injection, OWASP): a cell
 * that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed
 * with a single quote, so a spreadsheet shows it as text instead of running it
 * (`=HYPERLINK(…)` from an invoice's vendor name). Plain numbers ("-12.50") are
 * left alone.
 */
export function escapeCsvCell(value: string): string {
  if (value.length === 0 || !/^[=+\-@\t\r]/.test(value) || PLAIN_NUMBER.test(value)) return value;
  return `'${value}`;
}

/**
 * CSV with a header row of `columns` (in that order). Null becomes an empty cell;
 * numbers and booleans their JS text; amounts are already exact decimal strings.
 * Text cells are guarded against formula injection (see escapeCsvCell) unless
 * `options.raw`.
 */
export function toCsv<T extends Record<string, unknown>>(
  rows: AsyncIterable<T>,
  columns: readonly (keyof T & string)[],
  options: CsvOptions = {},
): Readable {
  const stringifier = stringify({
    header: true,
    columns: columns.map((key) => ({ key, header: key })),
    cast: {
      boolean: (b) => (b ? 'true' : 'false'),
      number: (n) => String(n),
      ...(options.raw ? {} : { string: (v: string) => escapeCsvCell(v) }),
    },
  });
  pipeline(Readable.from(rows), stringifier, () => undefined);
  return stringifier;
}

/** One JSON object per line. */
export function toJsonl<T>(rows: AsyncIterable<T>): Readable {
  return Readable.from(
    (async function* () {
      for await (const row of rows) yield JSON.stringify(row) + '\n';
    })(),
  );
}

export function toFormat<T extends Record<string, unknown>>(
  format: ExportFormat,
  rows: AsyncIterable<T>,
  columns: readonly (keyof T & string)[],
  options: CsvOptions = {},
): Readable {
  return format === 'csv' ? toCsv(rows, columns, options) : toJsonl(rows);
}

/**
 * A Content-Disposition header for a download: an ASCII fallback name, quoted, with
 * quotes, backslashes and control or non-ASCII characters replaced, and the exact
 * name in RFC 5987 form (`filename*=UTF-8''…`).
 */
export function contentDisposition(fileName: string, disposition: 'attachment' | 'inline' = 'attachment'): string {
  const base = fileName.split(/[\\/]/).pop() || 'download';
  const fallback = base.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(base).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
