import { INVOICE_SCALAR_FIELDS } from '../../schemas/index.ts';
import type { Db } from '../db/database.ts';
import { findInvoices, invoiceListItem, type InvoiceFilter, type InvoiceListItem, type InvoiceSort } from '../db/invoices.ts';
import type { CursorState } from '../db/keyset.ts';

/**
 * Invoice exports: the columns, and the whole matching set read in keyset batches.
 * GET /v1/invoices?format=csv|jsonl and `docroute export invoices` both write these,
 * so both give the same rows (the listing itself is src/db/invoices.ts).
 *
 * Only the latest version of each document's invoice record is exported.
 */

/** The columns of an invoice export, in order (the keys of InvoiceListItem, the API's InvoiceSummary). */
export const INVOICE_COLUMNS = [
  'id',
  'documentId',
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
] as const satisfies readonly (keyof InvoiceListItem)[];

/**
 * Every matching invoice in `sort` order, read in keyset batches (no OFFSET, never
 * the whole set in memory): what CSV and JSONL exports write.
 */
export async function* allInvoices(db: Db, filters: InvoiceFilter, sort: InvoiceSort, batchSize = 500): AsyncGenerator<InvoiceListItem> {
  let after: CursorState | null = null;
  for (;;) {
    const rows = await findInvoices(db, filters, sort, batchSize, after);
    for (const row of rows) yield invoiceListItem(row);
    const last = rows[rows.length - 1];
    if (rows.length < batchSize || !last) return;
    after = { scope: 'invoices', sort, value: last.sort_value, id: last.id };
  }
}
