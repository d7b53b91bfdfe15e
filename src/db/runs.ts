import { sql } from 'kysely';
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

/** Before a new run: the document is received again, its last verdict cleared (the records stay, versioned). */
export async function resetDocumentForRun(db: Db, documentId: string): Promise<void> {
  await db
    .updateTable('documents')
    .set({ status: 'received', error: null, review_reasons: [], updated_at: sql`now()` })
    .where('id', '=', documentId)
    .execute();
}
