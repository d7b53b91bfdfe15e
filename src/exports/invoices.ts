import { sql } from 'kysely';
import { z } from 'zod';
import { DocumentStatus, INVOICE_SCALAR_FIELDS } from '../../schemas/index.ts';
import { afterCursor, orderModifier, parseSort, sortValueText, type CursorState, type SortColumn } from '../api/pagination.ts';
import { CurrencyParam, DateParam, DecimalParam, SearchParam, type InvoiceSummary } from '../api/schemas.ts';
import type { Db } from '../db/database.ts';
import { invoiceRecordFields } from '../db/records.ts';

/**
 * The invoice listing: filters, sorts, keyset pages, and the whole matching set
 * for exports. Used by GET /v1/invoices (JSON pages, CSV, JSONL) and by
 * `docroute export invoices`, so both give the same rows.
 *
 * Only the latest version of each document's invoice record is listed.
 */

export const InvoiceFilters = z.object({
  vendor: SearchParam.optional().describe('Vendor name prefix, case-insensitive (% and _ are literal)'),
  invoiceNumber: z.string().min(1).max(200).optional().describe('Exact invoice number'),
  issueDateFrom: DateParam.optional().describe('Issue date on or after (YYYY-MM-DD)'),
  issueDateTo: DateParam.optional().describe('Issue date on or before (YYYY-MM-DD)'),
  dueDateFrom: DateParam.optional().describe('Due date on or after (YYYY-MM-DD)'),
  dueDateTo: DateParam.optional().describe('Due date on or before (YYYY-MM-DD)'),
  currency: CurrencyParam.optional(),
  totalMin: DecimalParam.optional().describe('Total at least (exact decimal)'),
  totalMax: DecimalParam.optional().describe('Total at most (exact decimal)'),
  status: DocumentStatus.optional().describe("The document's status"),
});
export type InvoiceFilters = z.infer<typeof InvoiceFilters>;

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
export const InvoiceSort = z.enum(INVOICE_SORTS).default('-createdAt').describe('Sort key; "-" for descending. NULLs come last either way.');
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

/** The columns of an invoice export, in order (the keys of InvoiceSummary). */
export const INVOICE_COLUMNS = [
  'id',
  'documentId',
  'status',
  'version',
  'source',
  'confidence',
  'possibleDuplicateOf',
  ...INVOICE_SCALAR_FIELDS,
  'documentType',
  'customerAddress',
  'customerTaxId',
  'buyerReference',
  'vatCategories',
  'vatRates',
  'vatTaxableAmounts',
  'vatAmounts',
  'createdAt',
] as const satisfies readonly (keyof InvoiceSummary)[];

/** `%`, `_` and `\` match themselves in a LIKE pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** One column of the VAT breakdown, ";"-joined in breakdown order (amounts to at least two decimals); null without a breakdown. */
function vatColumn(column: 'category' | 'rate' | 'taxable_amount' | 'tax_amount', alias: string) {
  const value =
    column === 'category'
      ? sql`coalesce(v.category, '')`
      : sql`coalesce(case when scale(trim_scale(${sql.ref(`v.${column}`)})) < 2 then round(${sql.ref(`v.${column}`)}, 2)::text else trim_scale(${sql.ref(`v.${column}`)})::text end, '')`;
  return sql<string | null>`(select string_agg(${value}, ';' order by v.position) from invoice_vat_breakdown v where v.invoice_id = i.id)`.as(alias);
}

function baseQuery(db: Db, f: InvoiceFilters) {
  let q = db
    .selectFrom('invoices as i')
    .innerJoin('documents as d', 'd.id', 'i.document_id')
    .selectAll('i')
    .select('d.status as document_status')
    .select([
      vatColumn('category', 'vat_categories'),
      vatColumn('rate', 'vat_rates'),
      vatColumn('taxable_amount', 'vat_taxable_amounts'),
      vatColumn('tax_amount', 'vat_amounts'),
    ])
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('invoices as newer')
            .select('newer.id')
            .whereRef('newer.document_id', '=', 'i.document_id')
            .whereRef('newer.version', '>', 'i.version'),
        ),
      ),
    );
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

export type InvoiceListRow = Awaited<ReturnType<typeof fetchInvoiceRows>>[number];

/** Up to `limit` matching rows after `after` (a decoded cursor), in `sort` order. */
export async function fetchInvoiceRows(db: Db, filters: InvoiceFilters, sort: InvoiceSort, limit: number, after: CursorState | null) {
  const { direction } = parseSort<InvoiceSortKey>(sort);
  const column = invoiceSortColumn(sort);
  let q = baseQuery(db, filters).select(sortValueText(column).as('sort_value'));
  if (after) q = q.where(afterCursor(column, sql.ref('i.id'), direction, after));
  return q.orderBy(column.expr, orderModifier(direction)).orderBy('i.id', direction).limit(limit).execute();
}

export function invoiceSummary(row: InvoiceListRow): InvoiceSummary {
  const { kind: _kind, ...fields } = invoiceRecordFields(row);
  return {
    id: fields.id,
    documentId: row.document_id,
    status: row.document_status,
    version: fields.version,
    source: fields.source,
    confidence: fields.confidence,
    possibleDuplicateOf: fields.possibleDuplicateOf,
    vendorName: fields.vendorName,
    vendorAddress: fields.vendorAddress,
    vendorTaxId: fields.vendorTaxId,
    customerName: fields.customerName,
    invoiceNumber: fields.invoiceNumber,
    issueDate: fields.issueDate,
    dueDate: fields.dueDate,
    currency: fields.currency,
    subtotal: fields.subtotal,
    taxTotal: fields.taxTotal,
    total: fields.total,
    purchaseOrder: fields.purchaseOrder,
    paymentTerms: fields.paymentTerms,
    iban: fields.iban,
    bic: fields.bic,
    documentType: fields.documentType,
    customerAddress: fields.customerAddress,
    customerTaxId: fields.customerTaxId,
    buyerReference: fields.buyerReference,
    vatCategories: row.vat_categories ?? null,
    vatRates: row.vat_rates ?? null,
    vatTaxableAmounts: row.vat_taxable_amounts ?? null,
    vatAmounts: row.vat_amounts ?? null,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * Every matching invoice in `sort` order, read in keyset batches (no OFFSET, never
 * the whole set in memory): what CSV and JSONL exports write.
 */
export async function* allInvoices(db: Db, filters: InvoiceFilters, sort: InvoiceSort, batchSize = 500): AsyncGenerator<InvoiceSummary> {
  let after: CursorState | null = null;
  for (;;) {
    const rows = await fetchInvoiceRows(db, filters, sort, batchSize, after);
    for (const row of rows) yield invoiceSummary(row);
    const last = rows[rows.length - 1];
    if (rows.length < batchSize || !last) return;
    after = { scope: 'invoices', sort, value: last.sort_value, id: last.id };
  }
}
