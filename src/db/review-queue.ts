import { readBlob } from './blobs.ts';
import { sql } from 'kysely';
import type { Db } from './database.ts';
import { findCandidateChecks } from './candidates.ts';
import { reviewReasonsInWords, type ReviewReason } from '../review/reasons.ts';
import { afterCursor, orderModifier, sortValueText, type CursorState, type SortColumn } from './keyset.ts';

/**
 * The review console's queue: documents waiting for a person, with what a
 * clerk sorts and filters by (vendor or parties, total, age, reasons), and who
 * is working on each (claims lapse after `claimMinutes` without activity).
 */

export interface QueueFilter {
  kind?: 'invoice' | 'contract' | 'other' | undefined;
  /** Part of a reason (its code or its words), any case. */
  reason?: string | undefined;
  /** Part of the vendor's (or a party's) name, any case. */
  vendor?: string | undefined;
  sort?: 'oldest' | 'amount' | undefined;
}

export interface QueueItem {
  documentId: string;
  kind: 'invoice' | 'contract' | 'other' | null;
  file: string;
  /** Vendor (invoice) or parties (contract), from the models' candidate. */
  counterparty: string | null;
  total: string | null;
  currency: string | null;
  createdAt: Date;
  /** Why it needs a look: each reason's code and its words (src/review/reasons.ts). */
  reasons: ReviewReason[];
  claimedBy: string | null;
  claimedAt: Date | null;
}

type CandidateFields = {
  vendorName?: { value: string | null };
  total?: { value: string | null };
  currency?: { value: string | null };
  parties?: { name: string }[];
};

/** Claims younger than this many minutes of inactivity hold. */
const liveClaim = (minutes: number) => sql<boolean>`review_claims.last_active_at > now() - make_interval(mins => ${minutes})`;

/** The whole queue (up to 1,000 documents), filtered and sorted. */
export async function listReviewQueue(db: Db, filter: QueueFilter, claimMinutes: number): Promise<QueueItem[]> {
  let query = db
    .selectFrom('documents')
    .leftJoin('review_claims', (join) => join.onRef('review_claims.document_id', '=', 'documents.id').on(liveClaim(claimMinutes)))
    .leftJoin('console_users', 'console_users.id', 'review_claims.user_id')
    // The latest candidate: its fields (vendor, total) and id (its checks word the reasons).
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('candidates')
          .select(['candidates.id', 'candidates.fields'])
          .whereRef('candidates.document_id', '=', 'documents.id')
          .orderBy('candidates.created_at', 'desc')
          .limit(1)
          .as('latest'),
      (join) => join.onTrue(),
    )
    .select([
      'documents.id',
      'documents.kind',
      'documents.file_name',
      'documents.created_at',
      'documents.review_reasons',
      'console_users.name as claimed_by',
      'review_claims.claimed_at',
      'latest.fields',
      'latest.id as candidate_id',
    ])
    .where('documents.status', '=', 'needs_review');
  if (filter.kind) query = query.where('documents.kind', '=', filter.kind);
  const rows = await query.orderBy('documents.created_at', 'asc').orderBy('documents.id', 'asc').limit(1000).execute();
  const checks = await findCandidateChecks(db, rows.flatMap((r) => (r.candidate_id ? [r.candidate_id] : [])));
  let items: QueueItem[] = rows.map((r) => {
    const f = (r.fields ?? {}) as CandidateFields;
    const parties = f.parties?.map((p) => p.name).filter(Boolean) ?? [];
    return {
      documentId: r.id,
      kind: r.kind,
      file: r.file_name,
      counterparty: f.vendorName?.value ?? (parties.length > 0 ? parties.join(' · ') : null),
      total: f.total?.value ?? null,
      currency: f.currency?.value ?? null,
      createdAt: r.created_at,
      reasons: reviewReasonsInWords(r.review_reasons, (r.candidate_id && checks.get(r.candidate_id)) || []),
      claimedBy: r.claimed_by ?? null,
      claimedAt: r.claimed_at ?? null,
    };
  });
  const has = (text: string | null, part: string) => (text ?? '').toLowerCase().includes(part.toLowerCase());
  if (filter.reason) items = items.filter((i) => i.reasons.some((r) => has(r.code, filter.reason!) || has(r.text, filter.reason!)));
  if (filter.vendor) items = items.filter((i) => has(i.counterparty, filter.vendor!));
  if (filter.sort === 'amount') items.sort((a, b) => Number(b.total ?? -Infinity) - Number(a.total ?? -Infinity));
  return items;
}

/**
 * Claims a document in review for a reviewer, or renews their claim. Returns
 * null when it is theirs now, or the name of the reviewer whose live claim holds.
 */
export async function claimDocument(db: Db, documentId: string, userId: string, claimMinutes: number): Promise<string | null> {
  const won = await db
    .insertInto('review_claims')
    .values({ document_id: documentId, user_id: userId })
    .onConflict((oc) =>
      oc.column('document_id').doUpdateSet({
        user_id: userId,
        claimed_at: sql`case when review_claims.user_id = ${userId}::uuid then review_claims.claimed_at else now() end`,
        last_active_at: sql`now()`,
      }).where((eb) =>
        eb.or([
          eb('review_claims.user_id', '=', userId),
          eb('review_claims.last_active_at', '<=', sql<Date>`now() - make_interval(mins => ${claimMinutes})`),
        ]),
      ),
    )
    .returning('document_id')
    .executeTakeFirst();
  if (won) return null;
  const holder = await db
    .selectFrom('review_claims')
    .innerJoin('console_users', 'console_users.id', 'review_claims.user_id')
    .select('console_users.name')
    .where('review_claims.document_id', '=', documentId)
    .executeTakeFirst();
  return holder?.name ?? null;
}

export async function releaseClaim(db: Db, documentId: string, userId: string): Promise<void> {
  await db.deleteFrom('review_claims').where('document_id', '=', documentId).where('user_id', '=', userId).execute();
}

/** The oldest document in review that nobody else holds (the reviewer's own claim counts as free). */
export async function nextUnclaimed(db: Db, userId: string, claimMinutes: number, after?: string): Promise<string | null> {
  let query = db
    .selectFrom('documents')
    .leftJoin('review_claims', (join) => join.onRef('review_claims.document_id', '=', 'documents.id').on(liveClaim(claimMinutes)))
    .select('documents.id')
    .where('documents.status', '=', 'needs_review')
    .where((eb) => eb.or([eb('review_claims.user_id', 'is', null), eb('review_claims.user_id', '=', userId)]));
  if (after) query = query.where('documents.id', '!=', after);
  const row = await query.orderBy('documents.created_at', 'asc').orderBy('documents.id', 'asc').limit(1).executeTakeFirst();
  return row?.id ?? null;
}

export interface ReviewerDay {
  doneToday: number;
  recent: { documentId: string; file: string; action: string; at: Date; recordId: string | null }[];
}

/** A reviewer's decisions today (server's day, UTC) and their last ten. */
export async function reviewerDay(db: Db, reviewer: string): Promise<ReviewerDay> {
  const count = await db
    .selectFrom('review_actions')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('reviewer', '=', reviewer)
    .where('created_at', '>=', sql<Date>`date_trunc('day', now() at time zone 'utc') at time zone 'utc'`)
    .executeTakeFirstOrThrow();
  const recent = await db
    .selectFrom('review_actions')
    .innerJoin('documents', 'documents.id', 'review_actions.document_id')
    .select(['review_actions.document_id', 'documents.file_name', 'review_actions.action', 'review_actions.created_at', 'review_actions.record_id'])
    .where('review_actions.reviewer', '=', reviewer)
    .orderBy('review_actions.created_at', 'desc')
    .limit(10)
    .execute();
  return {
    doneToday: Number(count.n),
    recent: recent.map((r) => ({ documentId: r.document_id, file: r.file_name, action: r.action, at: r.created_at, recordId: r.record_id })),
  };
}

/** The review decision recorded for a document after `since`, if any (the console waits for it). */
export async function findReviewAction(db: Db, documentId: string, since: Date) {
  return db
    .selectFrom('review_actions')
    .leftJoin('invoices', 'invoices.id', 'review_actions.record_id')
    .leftJoin('contracts', 'contracts.id', 'review_actions.record_id')
    .select(['review_actions.action', 'review_actions.record_id', 'review_actions.changes', 'review_actions.reviewer', 'invoices.version as invoice_version', 'contracts.version as contract_version'])
    .where('review_actions.document_id', '=', documentId)
    .where('review_actions.created_at', '>=', since)
    .orderBy('review_actions.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** A document in review as the console opens it: the document, its latest candidate and that candidate's checks. */
export async function loadReviewDocument(db: Db, documentId: string) {
  const doc = await db
    .selectFrom('documents')
    .select(['id', 'file_name', 'kind', 'status', 'review_reasons', 'page_count', 'created_at', 'sha256', 'workflow_id', 'media_type'])
    .where('id', '=', documentId)
    .executeTakeFirst();
  if (!doc) return null;
  const candidate = await db
    .selectFrom('candidates')
    .select(['id', 'kind', 'fields', 'confidence', 'stage'])
    .where('document_id', '=', documentId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  const checks = candidate
    ? await db
        .selectFrom('validation_results')
        .select(['check_name', 'passed', 'message', 'fields'])
        .where('candidate_id', '=', candidate.id)
        .orderBy('created_at')
        .execute()
    : [];
  return { doc, candidate: candidate ?? null, checks };
}

/** A document's stored bytes (the console renders its pages). */
export async function loadDocumentBytes(db: Db, documentId: string): Promise<Buffer | null> {
  const document = await db.selectFrom('documents').select('sha256').where('id', '=', documentId).executeTakeFirst();
  if (!document) return null;
  // Originals are stored in chunks (blobs.ts); readBlob also reads the older whole-blob rows.
  return (await readBlob(db, document.sha256)) ?? null;
}

/** The API's review queue order: oldest first (then by id). */
export const REVIEW_QUEUE_ORDER: SortColumn = { expr: sql.ref('documents.created_at'), type: 'timestamp' };

/**
 * One page of documents waiting for review (GET /v1/review), oldest first,
 * after `after` (a decoded cursor); up to `limit` rows, each with its `sort_value`.
 */
export async function findReviewPage(db: Db, limit: number, after: CursorState | null) {
  let query = db
    .selectFrom('documents')
    .select(['documents.id', 'file_name', 'kind', 'review_reasons', 'confidence', 'route', 'created_at', sortValueText(REVIEW_QUEUE_ORDER).as('sort_value')])
    .where('status', '=', 'needs_review');
  if (after) query = query.where(afterCursor(REVIEW_QUEUE_ORDER, sql.ref('documents.id'), 'asc', after));
  return query.orderBy(REVIEW_QUEUE_ORDER.expr, orderModifier('asc')).orderBy('documents.id', 'asc').limit(limit).execute();
}
