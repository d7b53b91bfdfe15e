import { sql } from 'kysely';
import type { Db } from './database.ts';
import { afterCursor, orderModifier, parseSort, sortValueText, type CursorState, type SortColumn } from './keyset.ts';
import { escapeLike } from './like.ts';
import { invoiceRecordFields, type InvoiceRecordFields } from './records.ts';
import type { DocumentStatusColumn } from './schema.ts';
import { findRecordVersion, superseded } from './versions.ts';

/**
 * Invoice records: the listing (filters, sorts, keyset pages) that GET /v1/invoices
 * and `docroute export invoices` share, one version by id, and the duplicate
 * lookup of the extraction. Writing a version is records.ts (insertInvoiceVersion).
 */

/** What a listing may filter on; every filter given must hold (AND). Validated by the API's InvoiceFilters. */
export interface InvoiceFilter {
  /** Vendor name prefix, case-insensitive; % and _ are literal. */
  vendor?: string;
  invoiceNumber?: string;
  issueDateFrom?: string;
  issueDateTo?: string;
  dueDateFrom?: string;
  dueDateTo?: string;
  currency?: string;
  /** Exact decimals, compared as numeric. */
  totalMin?: string;
  totalMax?: string;
  status?: DocumentStatusColumn;
}

export const INVOICE_SORTS = [
  'issueDate',
  '-issueDate',
  'dueDate',
  '-dueDate',
  'total',
  '-total',
  'createdAt',
  '-createdAt',
  'vendor',
  '-vendor',
] as const;
export type InvoiceSort = (typeof INVOICE_SORTS)[number];
type InvoiceSortKey = 'issueDate' | 'dueDate' | 'total' | 'createdAt' | 'vendor';

const SORT_COLUMNS: Record<InvoiceSortKey, SortColumn> = {
  issueDate: { expr: sql.ref('i.issue_date'), type: 'date' },
  dueDate: { expr: sql.ref('i.due_date'), type: 'date' },
  total: { expr: sql.ref('i.total'), type: 'decimal' },
  createdAt: { expr: sql.ref('i.created_at'), type: 'timestamp' },
  // Case-insensitive, byte order: the same order wherever the database's collation differs.
  vendor: { expr: sql`lower(${sql.ref('i.vendor_name')}) collate "C"`, type: 'text' },
};

export function invoiceSortColumn(sort: InvoiceSort): SortColumn {
  return SORT_COLUMNS[parseSort<InvoiceSortKey>(sort).key];
}

/** One column of the VAT breakdown, ";"-joined in breakdown order (amounts with at least two decimals); null without a breakdown. */
function vatColumn(column: 'category' | 'rate' | 'taxable_amount' | 'tax_amount', alias: string) {
  const ref = sql.ref(`v.${column}`);
  const value =
    column === 'category'
      ? sql`coalesce(v.category, '')`
      : sql`coalesce(case when scale(trim_scale(${ref})) < 2 then round(${ref}, 2)::text else trim_scale(${ref})::text end, '')`;
  return sql<string | null>`(select string_agg(${value}, ';' order by v.position) from invoice_vat_breakdown v where v.invoice_id = i.id)`.as(alias);
}

function latestInvoices(db: Db, f: InvoiceFilter) {
  let q = db
    .selectFrom('invoices as i')
    .innerJoin('documents as d', 'd.id', 'i.document_id')
    .selectAll('i')
    .select(['d.status as document_status', 'd.file_name as document_file_name', 'd.review_reasons as document_review_reasons'])
    .select([
      vatColumn('category', 'vat_categories'),
      vatColumn('rate', 'vat_rates'),
      vatColumn('taxable_amount', 'vat_taxable_amounts'),
      vatColumn('tax_amount', 'vat_amounts'),
    ])
    .where(({ not }) => not(superseded('invoices', 'i')));
  if (f.vendor !== undefined) q = q.where(sql<boolean>`lower(${sql.ref('i.vendor_name')}) like lower(${escapeLike(f.vendor) + '%'})`);
  if (f.invoiceNumber !== undefined) q = q.where('i.invoice_number', '=', f.invoiceNumber);
  if (f.issueDateFrom !== undefined) q = q.where('i.issue_date', '>=', f.issueDateFrom);
  if (f.issueDateTo !== undefined) q = q.where('i.issue_date', '<=', f.issueDateTo);
  if (f.dueDateFrom !== undefined) q = q.where('i.due_date', '>=', f.dueDateFrom);
  if (f.dueDateTo !== undefined) q = q.where('i.due_date', '<=', f.dueDateTo);
  if (f.currency !== undefined) q = q.where('i.currency', '=', f.currency);
  if (f.totalMin !== undefined) q = q.where(sql<boolean>`${sql.ref('i.total')} >= cast(${f.totalMin} as numeric)`);
  if (f.totalMax !== undefined) q = q.where(sql<boolean>`${sql.ref('i.total')} <= cast(${f.totalMax} as numeric)`);
  if (f.status !== undefined) q = q.where('d.status', '=', f.status);
  return q;
}

export type InvoiceListRow = Awaited<ReturnType<typeof findInvoices>>[number];

/**
 * Up to `limit` of the latest invoice versions matching `filter`, after `after`
 * (a decoded cursor), in `sort` order; each row carries its `sort_value` for the next cursor.
 *
 * @example
 * const rows = await findInvoices(db, { vendor: 'acme', status: 'extracted' }, '-issueDate', 51, null);
 */
export async function findInvoices(db: Db, filter: InvoiceFilter, sort: InvoiceSort, limit: number, after: CursorState | null) {
  const { direction } = parseSort<InvoiceSortKey>(sort);
  const column = invoiceSortColumn(sort);
  let q = latestInvoices(db, filter).select(sortValueText(column).as('sort_value'));
  if (after) q = q.where(afterCursor(column, sql.ref('i.id'), direction, after));
  return q.orderBy(column.expr, orderModifier(direction)).orderBy('i.id', direction).limit(limit).execute();
}

/** One invoice in a listing or export: the record's fields, its document and status. */
export type InvoiceListItem = Omit<InvoiceRecordFields, 'kind'> & {
  documentId: string;
  status: DocumentStatusColumn;
  /** The VAT breakdown as parallel ";"-separated columns (category, rate, taxable amount, VAT), null without one. */
  vatCategories: string | null;
  vatRates: string | null;
  vatTaxableAmounts: string | null;
  vatAmounts: string | null;
  createdAt: string;
};

/** A listing row in the shape the API's InvoiceSummary and the exports show (key order = export columns). */
export function invoiceListItem(row: InvoiceListRow): InvoiceListItem {
  const { kind: _kind, id, version, source, confidence, possibleDuplicateOf, ...fields } = invoiceRecordFields(row);
  return {
    id,
    documentId: row.document_id,
    status: row.document_status,
    version,
    source,
    confidence,
    possibleDuplicateOf,
    ...fields,
    vatCategories: row.vat_categories ?? null,
    vatRates: row.vat_rates ?? null,
    vatTaxableAmounts: row.vat_taxable_amounts ?? null,
    vatAmounts: row.vat_amounts ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

/** One invoice version by id, with its document's status and whether a newer version exists. */
export async function findInvoice(db: Db, id: string) {
  return findRecordVersion(db, 'invoices', id);
}

/**
 * An invoice of another document whose vendor and invoice number match (compared
 * case-, space- and punctuation-insensitively): paying both would pay twice.
 */
export async function findDuplicateInvoice(db: Db, documentId: string, vendor: string, invoiceNumber: string) {
  const normalise = (s: string) => s.toLowerCase().replace(/[\s.,-]+/g, '');
  return db
    .selectFrom('invoices')
    .innerJoin('documents', 'documents.id', 'invoices.document_id')
    .select(['invoices.document_id', 'invoices.vendor_name', 'invoices.invoice_number', 'documents.file_name'])
    .where('invoices.document_id', '!=', documentId)
    .where(sql<string>`regexp_replace(lower(invoices.invoice_number), '[\\s.,-]+', '', 'g')`, '=', normalise(invoiceNumber))
    .where(sql<string>`regexp_replace(lower(invoices.vendor_name), '[\\s.,-]+', '', 'g')`, '=', normalise(vendor))
    .limit(1)
    .executeTakeFirst();
}
