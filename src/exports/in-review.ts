import { findLatestCandidates, type LatestCandidate } from '../db/candidates.ts';
import type { Db } from '../db/database.ts';
import type { CursorState } from '../db/keyset.ts';
import { findReviewPage } from '../db/review-queue.ts';

/**
 * Documents waiting in review, for the exports' `includeReview`: read as the
 * review queue reads them (findReviewPage and findLatestCandidates, what
 * GET /v1/review shows a reviewer), so an exported row holds exactly the
 * values a reviewer will see.
 */

/** Where a row's values come from: a record version, the candidate of a document in review, or nothing (in review before any extraction). */
export type ValuesFrom = 'record' | 'candidate' | 'none';

/** Added at the end of an export's columns with `includeReview`: where the values come from, and why the document is in review. */
export const REVIEW_COLUMNS = ['valuesFrom', 'reviewReasons'] as const;

/** Review reasons in one CSV cell. */
export const reasonsCell = (value: unknown): string => (Array.isArray(value) ? value.map(String).join('; ') : String(value));

export interface ExportOptions {
  /** Documents in review too, with their candidate's values (after the records, oldest first). */
  includeReview?: boolean;
}

export interface InReviewDocument {
  documentId: string;
  fileName: string;
  reasons: string[];
  createdAt: Date;
  /** The newest candidate, or null when none was produced (the document went to review before any extraction). */
  candidate: LatestCandidate | null;
}

/** Every document of `kind` in review with its newest candidate, oldest first, read in keyset batches. */
export async function* documentsInReview(db: Db, kind: 'invoice' | 'contract', batchSize = 200): AsyncGenerator<InReviewDocument> {
  let after: CursorState | null = null;
  for (;;) {
    const page = await findReviewPage(db, batchSize, after);
    const ofKind = page.filter((r) => r.kind === kind);
    const candidates = await findLatestCandidates(db, ofKind.map((r) => r.id));
    for (const r of ofKind) {
      yield { documentId: r.id, fileName: r.file_name, reasons: r.review_reasons, createdAt: r.created_at, candidate: candidates.get(r.id) ?? null };
    }
    const last = page[page.length - 1];
    if (page.length < batchSize || !last) return;
    after = { scope: 'review', sort: 'createdAt', value: last.sort_value, id: last.id };
  }
}

/** The export columns a record row adds to its listing item: its source file, and the document's review reasons when it is back in review. */
export function recordColumns(row: { document_file_name: string; document_status: string; document_review_reasons: string[] }) {
  return {
    fileName: row.document_file_name,
    valuesFrom: 'record' as ValuesFrom,
    reviewReasons: row.document_status === 'needs_review' ? row.document_review_reasons : [],
  };
}

/**
 * The columns every kind's row for a document in review has: no record version,
 * the candidate's provenance and confidence (none: in review before any
 * extraction), and why the document is in review.
 */
export function candidateColumns(doc: InReviewDocument) {
  const c = doc.candidate;
  return {
    id: null,
    documentId: doc.documentId,
    fileName: doc.fileName,
    status: 'needs_review' as const,
    version: null,
    source: c ? `candidate:${c.stage}` : 'none',
    confidence: c ? Number(c.confidence) : 0,
    createdAt: (c?.createdAt ?? doc.createdAt).toISOString(),
    valuesFrom: (c ? 'candidate' : 'none') as ValuesFrom,
    reviewReasons: doc.reasons,
  };
}

/** A candidate's values of the named scalar fields (null where absent), keyed as the listing keys them. */
export function candidateScalars<N extends string>(doc: InReviewDocument, names: readonly N[]): Record<N, unknown> {
  return Object.fromEntries(names.map((name) => [name, candidateValue(doc.candidate?.fields, name)])) as Record<N, unknown>;
}

/** A candidate field's value (`{ value, confidence, evidence }`), or null when the field is absent. */
function candidateValue(fields: Readonly<Record<string, unknown>> | undefined, name: string): unknown {
  const field = fields?.[name];
  if (field === null || typeof field !== 'object' || !('value' in field)) return null;
  return (field as { value: unknown }).value ?? null;
}

/** A candidate list field (line items, VAT breakdown, parties) as an array of objects; [] when absent. */
export function candidateList(fields: Readonly<Record<string, unknown>> | undefined, name: string): Record<string, unknown>[] {
  const list = fields?.[name];
  return Array.isArray(list) ? list.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object') : [];
}
