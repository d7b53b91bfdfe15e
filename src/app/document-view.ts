import type { DocumentStatus } from '../../schemas/index.ts';
import type { DocumentRow } from '../db/schema.ts';
import type { Db } from '../db/database.ts';
import { getDocument } from '../db/documents.ts';
import { loadLatestRecord, type RecordView } from '../db/records.ts';

/** One document as the CLI's `--json` and `show` report it. */
export interface DocumentView {
  documentId: string;
  sha256: string;
  file: string;
  kind: 'invoice' | 'contract' | 'other' | null;
  status: DocumentStatus;
  route: string[];
  tokens: number | null;
  /** What the document's model calls cost, summed (USD, exact decimal). */
  costUsd: string;
  confidence: number | null;
  record: RecordView | null;
  /** For a document in review: the candidate the models produced, not yet a record. */
  candidate: { stage: string; confidence: number; fields: unknown } | null;
  reviewReasons: string[];
  error: string | null;
  workflowId: string;
}

export async function describeDocument(db: Db, documentId: string, file?: string): Promise<DocumentView> {
  const doc = await getDocument(db, documentId);
  if (!doc) throw new Error(`no document ${documentId}`);
  return describeDocumentRow(db, doc, file);
}

/** describeDocument for a document row already read (the API reads it first to answer 404). */
export async function describeDocumentRow(db: Db, doc: DocumentRow, file?: string): Promise<DocumentView> {
  const extractable = doc.kind === 'invoice' || doc.kind === 'contract' ? doc.kind : null;
  const record = extractable && doc.status === 'extracted' ? await loadLatestRecord(db, doc.id, extractable) : null;
  let candidate: DocumentView['candidate'] = null;
  if (doc.status === 'needs_review') {
    const row = await db
      .selectFrom('candidates')
      .select(['fields', 'confidence', 'stage'])
      .where('document_id', '=', doc.id)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (row) candidate = { stage: row.stage, confidence: Number(row.confidence), fields: row.fields };
  }
  const cost = await db
    .selectFrom('extraction_attempts')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('cost_usd'), eb.val('0')).as('total'))
    .where('document_id', '=', doc.id)
    .executeTakeFirst();
  return {
    documentId: doc.id,
    sha256: doc.sha256,
    file: file ?? doc.file_name,
    kind: doc.kind,
    status: doc.status,
    route: doc.route,
    tokens: doc.token_count,
    costUsd: String(cost?.total ?? '0'),
    confidence: doc.confidence === null ? null : Number(doc.confidence),
    record,
    candidate,
    reviewReasons: doc.review_reasons,
    error: doc.error,
    workflowId: doc.workflow_id,
  };
}
