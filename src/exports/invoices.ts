import { Decimal } from 'decimal.js';
import { INVOICE_SCALAR_FIELDS } from '../../schemas/index.ts';
import type { Db } from '../db/database.ts';
import { findInvoices, invoiceListItem, type InvoiceFilter, type InvoiceListItem, type InvoiceListRow, type InvoiceSort } from '../db/invoices.ts';
import type { CursorState } from '../db/keyset.ts';
import {
  candidateColumns,
  candidateList,
  candidateScalars,
  documentsInReview,
  reasonsCell,
  recordColumns,
  REVIEW_COLUMNS,
  type ExportOptions,
  type InReviewDocument,
  type ValuesFrom,
} from './in-review.ts';
import type { ExportTable } from './writers.ts';

/**
 * Invoice exports: the columns, and the whole matching set read in keyset batches.
 * GET /v1/invoices?format=csv|jsonl and `docroute export invoices` both write these,
 * so both give the same rows (the listing itself is src/db/invoices.ts).
 *
 * Only the latest version of each document's invoice record is exported; with
 * `includeReview`, the documents waiting in review follow, with their candidate's values.
 */

/** One exported invoice: a listing item (the API's InvoiceSummary), its source file, and where its values come from. */
export type InvoiceExportRow = Omit<InvoiceListItem, 'id' | 'version'> & {
  /** The record version's id; null for a document in review (no record yet). */
  id: string | null;
  version: number | null;
  /** The document's file name as received. */
  fileName: string;
  valuesFrom: ValuesFrom;
  /** Why the document is in review (empty otherwise). */
  reviewReasons: string[];
};

/** The columns of an invoice export, in order (InvoiceSummary's, with the file name after the document id). */
export const INVOICE_COLUMNS = [
  'id',
  'documentId',
  'fileName',
  'status',
  'version',
  'source',
  'confidence',
  'possibleDuplicateOf',
  // Every field of the registry, the exact-only ones (from e-invoices) included; then the VAT breakdown.
  ...INVOICE_SCALAR_FIELDS,
  'vatCategories',
  'vatRates',
  'vatTaxableAmounts',
  'vatAmounts',
  'createdAt',
] as const satisfies readonly (keyof InvoiceExportRow)[];

/**
 * Every matching invoice in `sort` order, read in keyset batches (no OFFSET, never
 * the whole set in memory); with `includeReview`, then every matching invoice in
 * review: what CSV and JSON Lines exports write.
 *
 * @example
 * const table = invoiceExport(db, { vendor: 'acme' }, '-issueDate', { includeReview: true });
 * await pipeline(toFormat('csv', table.rows, table.columns, { bom: true, cells: table.cells }), out);
 */
export function invoiceExport(db: Db, filters: InvoiceFilter, sort: InvoiceSort, options: ExportOptions = {}): ExportTable<InvoiceExportRow> {
  return {
    rows: (async function* () {
      yield* allInvoices(db, filters, sort);
      if (options.includeReview) yield* invoicesInReview(db, filters);
    })(),
    columns: options.includeReview ? [...INVOICE_COLUMNS, ...REVIEW_COLUMNS] : INVOICE_COLUMNS,
    cells: { reviewReasons: reasonsCell },
  };
}

/** Every matching invoice record (latest versions) in `sort` order, read in keyset batches. */
export async function* allInvoices(db: Db, filters: InvoiceFilter, sort: InvoiceSort, batchSize = 500): AsyncGenerator<InvoiceExportRow> {
  let after: CursorState | null = null;
  for (;;) {
    const rows = await findInvoices(db, filters, sort, batchSize, after);
    for (const row of rows) yield recordRow(row);
    const last = rows[rows.length - 1];
    if (rows.length < batchSize || !last) return;
    after = { scope: 'invoices', sort, value: last.sort_value, id: last.id };
  }
}

function recordRow(row: InvoiceListRow): InvoiceExportRow {
  return { ...invoiceListItem(row), ...recordColumns(row) };
}

/** The invoices in review whose candidate matches `filters`, oldest first. */
async function* invoicesInReview(db: Db, filters: InvoiceFilter): AsyncGenerator<InvoiceExportRow> {
  if (filters.status !== undefined && filters.status !== 'needs_review') return;
  for await (const doc of documentsInReview(db, 'invoice')) {
    const row = candidateRow(doc);
    if (matchesInvoiceFilter(row, filters)) yield row;
  }
}

/** A document in review as an export row: its candidate's values as the models (or the e-invoice reader) gave them. */
export function candidateRow(doc: InReviewDocument): InvoiceExportRow {
  const values = candidateScalars(doc, INVOICE_SCALAR_FIELDS) as Pick<InvoiceListItem, (typeof INVOICE_SCALAR_FIELDS)[number]>;
  const vat = candidateList(doc.candidate?.fields, 'vatBreakdown');
  const vatColumn = (key: string) => (vat.length ? vat.map((v) => (v[key] == null ? '' : String(v[key]))).join(';') : null);
  return {
    ...candidateColumns(doc),
    possibleDuplicateOf: doc.candidate?.possibleDuplicateOf ?? null,
    ...values,
    vatCategories: vatColumn('category'),
    vatRates: vatColumn('rate'),
    vatTaxableAmounts: vatColumn('taxableAmount'),
    vatAmounts: vatColumn('taxAmount'),
  };
}

/**
 * The listing's filters (src/db/invoices.ts applies them in SQL to record columns)
 * applied to a candidate's values, which are JSON in the candidates table: vendor
 * prefix case-insensitive, dates and currency exact text, totals as exact decimals,
 * and an absent value never matches a filter on it.
 */
export function matchesInvoiceFilter(row: Pick<InvoiceExportRow, 'vendorName' | 'invoiceNumber' | 'issueDate' | 'dueDate' | 'currency' | 'total' | 'status'>, f: InvoiceFilter): boolean {
  const within = (value: string | null, from?: string, to?: string) =>
    (from === undefined || (value !== null && value >= from)) && (to === undefined || (value !== null && value <= to));
  const total = row.total !== null && /^-?\d+(\.\d+)?$/.test(row.total) ? new Decimal(row.total) : null;
  return (
    (f.vendor === undefined || (row.vendorName ?? null)?.toLowerCase().startsWith(f.vendor.toLowerCase()) === true) &&
    (f.invoiceNumber === undefined || row.invoiceNumber === f.invoiceNumber) &&
    within(row.issueDate, f.issueDateFrom, f.issueDateTo) &&
    within(row.dueDate, f.dueDateFrom, f.dueDateTo) &&
    (f.currency === undefined || row.currency === f.currency) &&
    (f.totalMin === undefined || (total !== null && total.gte(f.totalMin))) &&
    (f.totalMax === undefined || (total !== null && total.lte(f.totalMax))) &&
    (f.status === undefined || row.status === f.status)
  );
}
