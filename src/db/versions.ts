import { sql, type RawBuilder, type Selectable, type Transaction } from 'kysely';
import type { Db } from './database.ts';
import type { Database, DocumentStatusColumn } from './schema.ts';

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

/**
 * One record version by id, with its document's status and whether a newer
 * version exists (the detail of GET /v1/invoices/:id and /v1/contracts/:id).
 */
export async function findRecordVersion<T extends VersionedTable>(
  db: Db,
  table: T,
  id: string,
): Promise<(Selectable<Database[T]> & { document_status: DocumentStatusColumn; superseded: boolean }) | undefined> {
  const { rows } = await sql<Selectable<Database[T]> & { document_status: DocumentStatusColumn; superseded: boolean }>`
    select r.*, d.status as document_status, ${superseded(table, 'r')} as superseded
    from ${sql.table(table)} as r join documents as d on d.id = r.document_id
    where r.id = ${id}`.execute(db);
  return rows[0];
}

/** The version a run already wrote from a candidate, if any (settling twice writes it once). */
export async function findVersionOfCandidate(db: Db | Transaction<Database>, table: VersionedTable, candidateId: string) {
  return db.selectFrom(table).select(['id', 'version']).where('candidate_id', '=', candidateId).executeTakeFirst();
}

/** Every version of a document's invoice or contract record, oldest first (the audit timeline's record steps). */
export async function listRecordVersions(db: Db, table: VersionedTable, documentId: string) {
  return db
    .selectFrom(table)
    .select(['id', 'version', 'source', 'confidence', 'workflow_id', 'run_id', 'activity_id', 'created_at'])
    .where('document_id', '=', documentId)
    .orderBy('version')
    .execute();
}

/**
 * The per-field evidence of every version of a document's records (the audit
 * timeline's record steps): one query for the document, keyed by record id,
 * fields in name order.
 */
export async function listVersionEvidence(db: Db, documentId: string) {
  const rows = await db
    .selectFrom('field_evidence')
    .select(['record_id', 'field', 'confidence', 'page', 'quote', 'path', 'tier'])
    .where('document_id', '=', documentId)
    .orderBy('record_id')
    .orderBy('field')
    .execute();
  const byRecord = new Map<string, typeof rows>();
  for (const row of rows) {
    const list = byRecord.get(row.record_id);
    if (list) list.push(row);
    else byRecord.set(row.record_id, [row]);
  }
  return byRecord;
}
