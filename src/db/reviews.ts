import { sql } from 'kysely';
import type { CheckResult } from '../validation/checks.ts';
import type { Db } from './database.ts';

type Executor = Pick<Db, 'selectFrom' | 'insertInto' | 'updateTable'>;

export interface NewSubmission {
  documentId: string;
  reviewer: string;
  reviewerKeyId: string | null;
  action: 'approve' | 'correct' | 'reject';
  corrections: Record<string, unknown> | null;
  note: string | null;
  confirmations: Record<string, string>;
}

/** Stores a reviewer's decision as submitted; the workflow is sent only its id. */
export async function createReviewSubmission(db: Executor, s: NewSubmission): Promise<string> {
  const row = await db
    .insertInto('review_submissions')
    .values({
      document_id: s.documentId,
      reviewer: s.reviewer,
      reviewer_key_id: s.reviewerKeyId,
      action: s.action,
      corrections: s.corrections === null ? null : JSON.stringify(s.corrections),
      note: s.note,
      confirmations: JSON.stringify(s.confirmations),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function getReviewSubmission(db: Executor, id: string) {
  return db.selectFrom('review_submissions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A submission the workflow (or its validator) refused, with the reason and any failing checks. */
export async function refuseReviewSubmission(
  db: Executor,
  id: string,
  refusal: string,
  failedChecks: readonly CheckResult[] | null = null,
): Promise<void> {
  await db
    .updateTable('review_submissions')
    .set({
      status: 'refused',
      refusal,
      failed_checks: failedChecks === null ? null : JSON.stringify(failedChecks.map(({ name, message, fields }) => ({ name, message, fields }))),
      decided_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}

export async function markReviewSubmissionApplied(db: Executor, id: string, recordId: string | null): Promise<void> {
  await db
    .updateTable('review_submissions')
    .set({ status: 'applied', record_id: recordId, decided_at: sql`now()` })
    .where('id', '=', id)
    .execute();
}

/** The decision applied in a workflow run, if any (one per run). */
export async function findRunReviewAction(db: Executor, run: { workflowId: string; runId: string }) {
  return db
    .selectFrom('review_actions')
    .select(['record_id', 'action', 'note', 'reviewer', 'confirmed_checks', 'submission_id'])
    .where('workflow_id', '=', run.workflowId)
    .where('run_id', '=', run.runId)
    .executeTakeFirst();
}

/** The version number of an invoice or contract record. */
export async function recordVersion(db: Executor, recordId: string): Promise<number | null> {
  const invoice = await db.selectFrom('invoices').select('version').where('id', '=', recordId).executeTakeFirst();
  if (invoice) return invoice.version;
  const contract = await db.selectFrom('contracts').select('version').where('id', '=', recordId).executeTakeFirst();
  return contract?.version ?? null;
}

/** The review trail's row for an applied decision: who, what changed, the record it made. */
export async function insertReviewAction(
  db: Executor,
  action: {
    documentId: string;
    run: { workflowId: string; runId: string };
    activityId: string;
    reviewer: string;
    action: 'approve' | 'correct' | 'reject';
    changes: readonly { field: string; before: unknown; after: unknown }[];
    note: string | null;
    recordId: string | null;
    submissionId?: string | null;
    confirmedChecks?: Record<string, string> | null;
  },
): Promise<void> {
  await db
    .insertInto('review_actions')
    .values({
      document_id: action.documentId,
      workflow_id: action.run.workflowId,
      run_id: action.run.runId,
      activity_id: action.activityId,
      reviewer: action.reviewer,
      action: action.action,
      changes: JSON.stringify(action.changes),
      note: action.note,
      record_id: action.recordId,
      submission_id: action.submissionId ?? null,
      confirmed_checks: action.confirmedChecks ? JSON.stringify(action.confirmedChecks) : null,
    })
    .execute();
}
