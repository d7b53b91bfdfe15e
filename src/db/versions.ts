import { sql, type RawBuilder } from 'kysely';

/**
 * The latest-version rule, written once. Records are immutable: every extraction
 * or correction writes a new version of a document's invoice or contract, and a
 * version is the latest when no version of the same document's record is newer.
 */
export type VersionedTable = 'invoices' | 'contracts';

/**
 * True when a newer version of the same document's record exists: `alias` is the
 * outer query's name for `table`. Listings keep `not(superseded(...))`; a detail
 * selects it to say whether the version shown is the latest.
 *
 * @example
 * db.selectFrom('invoices as i').selectAll('i').where(({ not }) => not(superseded('invoices', 'i')))
 */
export function superseded(table: VersionedTable, alias: string): RawBuilder<boolean> {
  return sql<boolean>`exists (select 1 from ${sql.table(table)} as newer where newer.document_id = ${sql.ref(`${alias}.document_id`)} and newer.version > ${sql.ref(`${alias}.version`)})`;
}
