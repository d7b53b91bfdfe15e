import type { DocumentStatus } from '../../schemas/index.ts';
import type { DocumentRow } from '../db/schema.ts';
import type { Db } from '../db/database.ts';
import { documentCostUsd, listDocumentEngines } from '../db/attempts.ts';
import { findLatestCandidate } from '../db/candidates.ts';
import { getDocument } from '../db/documents.ts';
import { loadLatestRecord, type RecordView } from '../db/records.ts';
import { reviewReasonsInWords, type ReasonCheck, type ReviewReason } from '../review/reasons.ts';

/** One document as the CLI's `--json` and `show` report it. */
export interface DocumentView {
  documentId: string;
  sha256: string;
  file: string;
  kind: 'invoice' | 'contract' | 'other' | null;
  status: DocumentStatus;
  route: string[];
  /**
   * What really extracted it, in order: "rules" for the offline rules tier
   * (stored under the fast tier's name, "flash"), else the Gemini model names.
   * Empty before any extraction attempt.
   */
  ranOn: string[];
  tokens: number | null;
  /** What the document's model calls cost, summed (USD, exact decimal). */
  costUsd: string;
  confidence: number | null;
  record: RecordView | null;
  /** For a document in review: the candidate the models produced, not yet a record. */
  candidate: { stage: string; confidence: number; fields: unknown } | null;
  reviewReasons: string[];
  /** The same reasons in words (each with its code), from the checks of the candidate in review. */
  reviewReasonsInWords: ReviewReason[];
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
  let checks: ReasonCheck[] = [];
  if (doc.status === 'needs_review') {
    const row = await findLatestCandidate(db, doc.id);
    if (row) candidate = { stage: row.stage, confidence: Number(row.confidence), fields: row.fields };
    checks = row?.checks ?? [];
  }
  const costUsd = await documentCostUsd(db, doc.id);
  const engines = await listDocumentEngines(db, doc.id);
  return {
    documentId: doc.id,
    sha256: doc.sha256,
    file: file ?? doc.file_name,
    kind: doc.kind,
    status: doc.status,
    route: doc.route,
    ranOn: [...new Set(engines.map((e) => engineName(e.model)))],
    tokens: doc.token_count,
    costUsd,
    confidence: doc.confidence === null ? null : Number(doc.confidence),
    record,
    candidate,
    reviewReasons: doc.review_reasons,
    reviewReasonsInWords: reviewReasonsInWords(doc.review_reasons, checks),
    error: doc.error,
    workflowId: doc.workflow_id,
  };
}

/** The name a person should see for the model that ran: "rules" for the offline extractor (model "rules-…"), else the model. */
export function engineName(model: string): string {
  return model.startsWith('rules') ? 'rules' : model;
}
