import { sql, type Kysely } from 'kysely';

/**
 * Review by Temporal Update, cancellation, reprocessing:
 * - documents may end `cancelled` (its workflow was cancelled) or `stalled`
 *   (infrastructure kept failing until the schedule ran out; retried by `docroute retry`);
 * - review_submissions: a reviewer's decision as submitted (who, corrections,
 *   confirmed checks), referenced by id from workflow history, with what came of it;
 * - review_actions.submission_id / confirmed_checks: the applied decision's link and
 *   the failing checks the reviewer confirmed, with their reasons;
 * - document_runs: every run of a document's workflow (ingest, reprocess, retry)
 *   and the run it follows, for the audit timeline.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table documents drop constraint if exists documents_status_check`.execute(db);
  await sql`alter table documents add constraint documents_status_check
    check (status in ('received', 'processing', 'extracted', 'needs_review', 'failed', 'cancelled', 'stalled'))`.execute(db);

  await db.schema
    .createTable('review_submissions')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('document_id', 'uuid', (c) => c.notNull().references('documents.id').onDelete('cascade'))
    .addColumn('reviewer', 'text', (c) => c.notNull())
    .addColumn('reviewer_key_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull().check(sql`action in ('approve', 'correct', 'reject')`))
    .addColumn('corrections', 'jsonb')
    .addColumn('note', 'text')
    .addColumn('confirmations', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending', 'applied', 'refused')`))
    .addColumn('refusal', 'text')
    .addColumn('failed_checks', 'jsonb')
    .addColumn('record_id', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('decided_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('review_submissions_document_idx').on('review_submissions').columns(['document_id', 'created_at']).execute();

  await db.schema
    .alterTable('review_actions')
    .addColumn('submission_id', 'uuid')
    .addColumn('confirmed_checks', 'jsonb')
    .execute();

  await db.schema
    .createTable('document_runs')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('document_id', 'uuid', (c) => c.notNull().references('documents.id').onDelete('cascade'))
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('run_number', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`reason in ('ingest', 'reprocess', 'retry')`))
    .addColumn('requested_by', 'text')
    .addColumn('previous_run_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('document_runs_run_uq', ['workflow_id', 'run_id'])
    .addUniqueConstraint('document_runs_number_uq', ['document_id', 'run_number'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('document_runs').ifExists().execute();
  await db.schema.alterTable('review_actions').dropColumn('confirmed_checks').dropColumn('submission_id').execute();
  await db.schema.dropTable('review_submissions').ifExists().execute();
  await sql`update documents set status = 'failed' where status in ('cancelled', 'stalled')`.execute(db);
  await sql`alter table documents drop constraint if exists documents_status_check`.execute(db);
  await sql`alter table documents add constraint documents_status_check
    check (status in ('received', 'processing', 'extracted', 'needs_review', 'failed'))`.execute(db);
}
