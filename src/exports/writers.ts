import { Readable, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';

/**
 * Export writers: rows (an async iterable, read as the consumer reads) to CSV or
 * JSON Lines. Shared by the API's `format=csv|jsonl` and `docroute export`.
 */

export type ExportFormat = 'csv' | 'jsonl';

/** What an export writes: its rows (read as the consumer reads), its columns in order, and how cells that hold lists are written in CSV. */
export interface ExportTable<T extends Record<string, unknown>> {
  rows: AsyncIterable<T>;
  columns: readonly (keyof T & string)[];
  cells: Readonly<Record<string, (value: unknown) => string>>;
}

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
  /**
   * Start with a UTF-8 byte order mark, so that Excel reads the file as UTF-8
   * ("Präzisionstechnik", not "PrÃ¤zisionstechnik"). On by default for
   * `docroute export --format csv` (`--no-bom` turns it off), opt-in in the API
   * (`bom=true`): a program reading the CSV may take the mark for part of the
   * first header.
   */
  bom?: boolean;
  /**
   * How a column whose values are arrays or objects is written to one cell
   * (a contract's parties, a duration, review reasons). Any other object is
   * written as JSON.
   */
  cells?: Readonly<Record<string, (value: unknown) => string>>;
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
  const guard = options.raw ? (v: string) => v : escapeCsvCell;
  const stringifier = stringify({
    header: true,
    bom: Boolean(options.bom),
    columns: columns.map((key) => ({ key, header: key })),
    cast: {
      boolean: (b) => (b ? 'true' : 'false'),
      number: (n) => String(n),
      string: (v: string) => guard(v),
      // Written as text, so guarded as any other text cell.
      object: (v: object, context) => {
        const format = typeof context.column === 'string' ? options.cells?.[context.column] : undefined;
        return guard(format ? format(v) : JSON.stringify(v));
      },
    },
  });
  pipeline(Readable.from(rows), stringifier, () => undefined);
  return stringifier;
}

/** One JSON object per line, with the keys of `columns` in their order (the CSV's columns, values unflattened). */
export function toJsonl<T extends Record<string, unknown>>(rows: AsyncIterable<T>, columns?: readonly (keyof T & string)[]): Readable {
  return Readable.from(
    (async function* () {
      for await (const row of rows) yield JSON.stringify(columns ? Object.fromEntries(columns.map((c) => [c, row[c] ?? null])) : row) + '\n';
    })(),
  );
}

export function toFormat<T extends Record<string, unknown>>(
  format: ExportFormat,
  rows: AsyncIterable<T>,
  columns: readonly (keyof T & string)[],
  options: CsvOptions = {},
): Readable {
  return format === 'csv' ? toCsv(rows, columns, options) : toJsonl(rows, columns);
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

/** An export table in `format`; CSV with the table's own cell formats. */
export function writeTable<T extends Record<string, unknown>>(format: ExportFormat, table: ExportTable<T>, options: Omit<CsvOptions, 'cells'> = {}): Readable {
  return toFormat(format, table.rows, table.columns, { ...options, cells: table.cells });
}
