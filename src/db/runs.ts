import { sql } from 'kysely';
import type { DocumentStatusColumn, RunClosedAs } from './schema.ts';
import type { Db } from './database.ts';

/**
 * Records a run of a document's workflow (ingest, reprocess, retry) after the
 * one before it, for the audit timeline. Idempotent per run.
 */
export async function recordDocumentRun(
  db: Db,
  run: { documentId: string; workflowId: string; runId: string; reason: 'ingest' | 'reprocess' | 'retry'; requestedBy: string | null },
): Promise<{ runNumber: number; previousRunId: string | null }> {
  return db.transaction().execute(async (trx) => {
    // One writer per document at a time (a reprocess and a re-ingest racing).
    await sql`select pg_advisory_xact_lock(hashtext(${run.documentId}))`.execute(trx);
    const existing = await trx
      .selectFrom('document_runs')
      .select(['run_number', 'previous_run_id'])
      .where('workflow_id', '=', run.workflowId)
      .where('run_id', '=', run.runId)
      .executeTakeFirst();
    if (existing) return { runNumber: existing.run_number, previousRunId: existing.previous_run_id };
    const last = await trx
      .selectFrom('document_runs')
      .select(['run_number', 'run_id'])
      .where('document_id', '=', run.documentId)
      .orderBy('run_number', 'desc')
      .limit(1)
      .executeTakeFirst();
    const runNumber = (last?.run_number ?? 0) + 1;
    const previousRunId = last?.run_id ?? null;
    await trx
      .insertInto('document_runs')
      .values({
        document_id: run.documentId,
        workflow_id: run.workflowId,
        run_id: run.runId,
        run_number: runNumber,
        reason: run.reason,
        requested_by: run.requestedBy,
        previous_run_id: previousRunId,
      })
      .execute();
    return { runNumber, previousRunId };
  });
}

export async function listDocumentRuns(db: Db, documentId: string) {
  return db.selectFrom('document_runs').selectAll().where('document_id', '=', documentId).orderBy('run_number').execute();
}

/**
 * A new run started: the document is received again, its last verdict cleared
 * (the records stay, versioned); only if it still shows the previous run's
 * state `from` (the new run may already have written its own).
 */
export async function resetDocumentForRun(db: Db, documentId: string, from: DocumentStatusColumn): Promise<void> {
  await db
    .updateTable('documents')
    .set({ status: 'received', error: null, review_reasons: [], updated_at: sql`now()` })
    .where('id', '=', documentId)
    .where('status', '=', from)
    .execute();
}

/** A run that ended with no workflow code running (terminated, timed out), as Temporal recorded it. */
export interface ClosedRun {
  workflowId: string;
  runId: string;
  closedAs: RunClosedAs;
  /** The reason given (terminate's `reason`), when there was one. */
  reason: string | null;
  /** Who closed it (terminate's caller identity), when Temporal recorded it. */
  identity: string | null;
  closedAt: Date;
}

/** What recording a closed run did: `cancelled` the document settled; `noted` only the run (its document had moved on); `unknown` no such document. */
export type ClosedRunOutcome = 'cancelled' | 'noted' | 'unknown';

/** The words a document cancelled this way carries in `error`. */
export function closedRunError(run: Pick<ClosedRun, 'closedAs' | 'reason' | 'identity'>): string {
  const what = run.closedAs === 'terminated' ? 'terminated: its workflow was terminated' : 'timed_out: its workflow timed out';
  return `cancelled: ${what}${run.identity ? ` by ${run.identity}` : ''}${run.reason ? ` (reason: ${run.reason})` : ''}`;
}

/**
 * Records a run that ended outside workflow code. The run's row in
 * document_runs notes how, why and by whom (idempotent); the document becomes
 * `cancelled` with those words only when it still shows a state this run left
 * unfinished (received, processing, needs_review) and no later run of it
 * exists. Under the document's lock, so a new run being recorded at the same
 * moment (reprocess, retry) is ordered with it.
 */
export async function recordClosedRun(db: Db, run: ClosedRun): Promise<ClosedRunOutcome> {
  return db.transaction().execute(async (trx) => {
    const doc = await trx.selectFrom('documents').select(['id', 'status']).where('workflow_id', '=', run.workflowId).executeTakeFirst();
    if (!doc) return 'unknown';
    await sql`select pg_advisory_xact_lock(hashtext(${doc.id}))`.execute(trx);
    await trx
      .updateTable('document_runs')
      .set({ closed_as: run.closedAs, closed_reason: run.reason, closed_by: run.identity, closed_at: run.closedAt })
      .where('workflow_id', '=', run.workflowId)
      .where('run_id', '=', run.runId)
      .where('closed_as', 'is', null)
      .execute();
    const latest = await trx
      .selectFrom('document_runs')
      .select('run_id')
      .where('document_id', '=', doc.id)
      .orderBy('run_number', 'desc')
      .limit(1)
      .executeTakeFirst();
    // A document whose runs were never recorded has one run: this one.
    if (latest && latest.run_id !== run.runId) return 'noted';
    const settled = await trx
      .updateTable('documents')
      .set({ status: 'cancelled', error: closedRunError(run), review_reasons: [], updated_at: sql`now()` })
      .where('id', '=', doc.id)
      .where('status', 'in', UNFINISHED_STATUSES)
      .executeTakeFirst();
    return settled.numUpdatedRows > 0n ? 'cancelled' : 'noted';
  });
}

/** The states a run leaves while it works; any other is a verdict the run wrote. */
export const UNFINISHED_STATUSES = ['received', 'processing', 'needs_review'] as const satisfies readonly DocumentStatusColumn[];
