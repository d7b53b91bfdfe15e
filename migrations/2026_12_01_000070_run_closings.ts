import { sql, type Kysely } from 'kysely';

/**
 * document_runs.closed_*: how a run ended when no workflow code ran to record it
 * (terminated, or timed out, in Temporal), with the reason and identity Temporal
 * recorded and when. Written by the run reconciler (src/ingest/reconcile.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('document_runs')
    .addColumn('closed_as', 'text', (c) => c.check(sql`closed_as in ('terminated', 'timed_out')`))
    .addColumn('closed_reason', 'text')
    .addColumn('closed_by', 'text')
    .addColumn('closed_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('document_runs').dropColumn('closed_at').dropColumn('closed_by').dropColumn('closed_reason').dropColumn('closed_as').execute();
}
