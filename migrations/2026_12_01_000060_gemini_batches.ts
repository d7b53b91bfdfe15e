import { sql, type Kysely } from 'kysely';

/**
 * Batch mode (Gemini Batch API, half price): one row per batch a workflow
 * submitted, and per extraction attempt how it was billed, the batch it came
 * from, and what it would have cost online (the saving `docroute costs` shows).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('gemini_batches')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('document_id', 'uuid', (c) => c.notNull().references('documents.id').onDelete('cascade'))
    // workflow id, run id and a per-run sequence: the batch's idempotency key (also its display name).
    .addColumn('batch_key', 'text', (c) => c.notNull().unique())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('tier', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    // [{pageFrom, pageTo, chunkIndex}] in request order.
    .addColumn('ranges', 'jsonb', (c) => c.notNull())
    .addColumn('focus_fields', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    // The Batch API's name ("batches/…"); null until the create call answered.
    .addColumn('batch_name', 'text')
    // submitted | succeeded | failed | expired | cancelled | abandoned (deadline passed: fell back online)
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('submitted'))
    .addColumn('error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('gemini_batches_document').on('gemini_batches').column('document_id').execute();
  await db.schema
    .alterTable('extraction_attempts')
    .addColumn('billing', 'text', (c) => c.notNull().defaultTo('online'))
    .addColumn('batch_name', 'text')
    .addColumn('online_cost_usd', sql`numeric(14,6)`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('extraction_attempts').dropColumn('billing').dropColumn('batch_name').dropColumn('online_cost_usd').execute();
  await db.schema.dropTable('gemini_batches').execute();
}
