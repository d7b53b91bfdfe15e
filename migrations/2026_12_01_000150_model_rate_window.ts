import { sql, type Kysely } from 'kysely';

/**
 * The model requests sent in the last rate window, per model, for every worker
 * of a deployment (they share this database): the Gemini quota is the
 * project's, not a process's, so the rate limiter counts here. Rows older than
 * the window are deleted as requests are admitted; the table stays small.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('model_rate_window')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`clock_timestamp()`))
    .addColumn('tokens', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('model_rate_window_model_sent_at').on('model_rate_window').columns(['model', 'sent_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('model_rate_window').execute();
}
