import { sql, type Transaction } from 'kysely';
import { hasBlob, readBlob, storeBlob } from './blobs.ts';
import { afterCursor, orderModifier, sortValueText, type CursorState, type SortColumn } from './keyset.ts';
import type { Database, DocumentKindColumn, DocumentRow, DocumentStatusColumn } from './schema.ts';
import type { Db } from './database.ts';

export interface RegisteredDocument {
  document: DocumentRow;
  /** True when this content was already known: nothing new is created. */
  duplicate: boolean;
}

/**
 * Records that a file arrived. Content-addressed: the same bytes always map to the
 * same document, whatever the file name, so a second drop creates no second
 * document (only an upload row saying it came again). The original is kept
 * (streamed into chunks, see blobs.ts) unless it is over the size limit (the
 * document is still recorded, so it can end `failed` with that reason).
 */
export async function registerUpload(
  db: Db,
  upload: {
    sha256: string;
    fileName: string;
    /** The original's bytes, read as they are stored (a file stream); null when it is not kept (over the size limit). */
    content: (() => AsyncIterable<Uint8Array>) | null;
    sizeBytes: number;
    source: string;
    workflowId: string;
  },
): Promise<RegisteredDocument> {
  return db.transaction().execute(async (trx) => {
    // Known content is not read again.
    if (upload.content && !(await hasBlob(trx, upload.sha256))) await storeBlob(trx, upload.sha256, upload.sizeBytes, upload.content());
    const inserted = await trx
      .insertInto('documents')
      .values({
        sha256: upload.sha256,
        file_name: upload.fileName,
        size_bytes: upload.sizeBytes,
        workflow_id: upload.workflowId,
      })
      .onConflict((oc) => oc.column('sha256').doNothing())
      .returningAll()
      .executeTakeFirst();
    const document =
      inserted ?? (await trx.selectFrom('documents').selectAll().where('sha256', '=', upload.sha256).executeTakeFirstOrThrow());
    await trx
      .insertInto('document_uploads')
      .values({ document_id: document.id, file_name: upload.fileName, source: upload.source, duplicate: !inserted })
      .execute();
    return { document, duplicate: !inserted };
  });
}

export async function getDocument(db: Db, id: string): Promise<DocumentRow | undefined> {
  return db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Finds a document by its id, its content hash (or a unique prefix of it, ≥ 8 chars), or its workflow id. */
export async function findDocument(db: Db, ref: string): Promise<DocumentRow | undefined> {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref);
  if (uuid) return getDocument(db, ref);
  if (/^[0-9a-f]{8,64}$/i.test(ref)) {
    const rows = await db
      .selectFrom('documents')
      .selectAll()
      .where('sha256', 'like', `${ref.toLowerCase()}%`)
      .limit(2)
      .execute();
    if (rows.length === 1) return rows[0];
  }
  return db.selectFrom('documents').selectAll().where('workflow_id', '=', ref).executeTakeFirst();
}

/** The whole original (see readBlob in blobs.ts), or undefined when it was not stored. */
export async function getBlob(db: Db, sha256: string): Promise<Buffer | undefined> {
  return readBlob(db, sha256);
}

export async function markDocument(
  db: Db,
  id: string,
  changes: {
    status?: DocumentRow['status'];
    error?: string | null;
    kind?: DocumentRow['kind'];
    pageCount?: number;
    imageOnlyPages?: number[];
    tokenCount?: number;
    tokenCountEstimated?: boolean;
    mediaType?: string;
  },
): Promise<void> {
  await db
    .updateTable('documents')
    .set({
      ...(changes.status !== undefined ? { status: changes.status } : {}),
      ...(changes.error !== undefined ? { error: changes.error } : {}),
      ...(changes.kind !== undefined ? { kind: changes.kind } : {}),
      ...(changes.pageCount !== undefined ? { page_count: changes.pageCount } : {}),
      ...(changes.imageOnlyPages !== undefined ? { image_only_pages: changes.imageOnlyPages } : {}),
      ...(changes.tokenCount !== undefined ? { token_count: changes.tokenCount } : {}),
      ...(changes.tokenCountEstimated !== undefined ? { token_count_estimated: changes.tokenCountEstimated } : {}),
      ...(changes.mediaType !== undefined ? { media_type: changes.mediaType } : {}),
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Who cancelled a document's run and why, once the run has recorded it
 * `cancelled` (the workflow only knows that it was cancelled). Returns whether
 * the document is cancelled (and so was updated).
 */
export async function recordCancellation(db: Db, id: string, by: string, reason: string | null): Promise<boolean> {
  const updated = await db
    .updateTable('documents')
    .set({ error: `cancelled by ${by}${reason ? `: ${reason}` : ''}`.slice(0, 2000), updated_at: sql`now()` })
    .where('id', '=', id)
    .where('status', '=', 'cancelled')
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** What the document listing may filter on (every filter given must hold). */
export interface DocumentFilter {
  status?: DocumentStatusColumn;
  kind?: DocumentKindColumn;
  /** Created at or after. */
  createdFrom?: Date;
  /** Created strictly before. */
  createdBefore?: Date;
  /** Created at or before. */
  createdUntil?: Date;
}

/** The document listing's order: newest first (then by id). */
export const DOCUMENT_ORDER: SortColumn = { expr: sql.ref('d.created_at'), type: 'timestamp' };

/** Up to `limit` documents matching `filter`, newest first, after `after` (a decoded cursor). */
export async function findDocuments(db: Db, filter: DocumentFilter, limit: number, after: CursorState | null) {
  let q = db.selectFrom('documents as d').selectAll('d').select(sortValueText(DOCUMENT_ORDER).as('sort_value'));
  if (filter.status !== undefined) q = q.where('d.status', '=', filter.status);
  if (filter.kind !== undefined) q = q.where('d.kind', '=', filter.kind);
  if (filter.createdFrom !== undefined) q = q.where('d.created_at', '>=', filter.createdFrom);
  if (filter.createdBefore !== undefined) q = q.where('d.created_at', '<', filter.createdBefore);
  if (filter.createdUntil !== undefined) q = q.where('d.created_at', '<=', filter.createdUntil);
  if (after) q = q.where(afterCursor(DOCUMENT_ORDER, sql.ref('d.id'), 'desc', after));
  return q.orderBy(DOCUMENT_ORDER.expr, orderModifier('desc')).orderBy('d.id', 'desc').limit(limit).execute();
}

/** The document a workflow run is about. */
export async function findDocumentByWorkflowId(db: Db, workflowId: string): Promise<DocumentRow | undefined> {
  return db.selectFrom('documents').selectAll().where('workflow_id', '=', workflowId).executeTakeFirst();
}

/**
 * A run's verdict on its document: status and what goes with it (reasons only
 * while in review; confidence, route and kind when given). In the caller's
 * transaction when it writes the record version too.
 */
export async function settleDocumentRow(
  db: Db | Transaction<Database>,
  id: string,
  verdict: {
    status: DocumentStatusColumn;
    error: string | null;
    reviewReasons: readonly string[];
    confidence: number | null;
    route?: readonly string[];
    kind?: DocumentKindColumn | null;
  },
): Promise<void> {
  await db
    .updateTable('documents')
    .set({
      status: verdict.status,
      error: verdict.error,
      review_reasons: [...verdict.reviewReasons],
      confidence: verdict.confidence === null ? null : verdict.confidence.toFixed(4),
      ...(verdict.route !== undefined ? { route: [...verdict.route] } : {}),
      ...(verdict.kind !== undefined ? { kind: verdict.kind } : {}),
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .execute();
}

/** The source of a document's first arrival (watch, cli, api …), or undefined. */
export async function firstUploadSource(db: Db, documentId: string): Promise<string | undefined> {
  const first = await db
    .selectFrom('document_uploads')
    .select('source')
    .where('document_id', '=', documentId)
    .orderBy('received_at')
    .limit(1)
    .executeTakeFirst();
  return first?.source;
}

/** Every arrival of a document's content (the first, and duplicates), oldest first. */
export async function listDocumentUploads(db: Db, documentId: string) {
  return db.selectFrom('document_uploads').selectAll().where('document_id', '=', documentId).orderBy('received_at').execute();
}
