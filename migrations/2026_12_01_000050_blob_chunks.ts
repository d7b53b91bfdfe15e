import { sql, type Kysely } from 'kysely';

/**
 * Originals stored in 1 MiB chunks, streamed in and out: an upload or a worker
 * never needs a whole 50 MB file in one bytea value (which Postgres and pg
 * materialise at once, several times over). `blobs` keeps one row per content
 * (sha256, size); `content` is null for chunked blobs and stays filled for the
 * originals stored before this migration. Chunks are stored uncompressed
 * (PDFs are compressed already).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('blobs').alterColumn('content', (c) => c.dropNotNull()).execute();
  await db.schema
    .createTable('blob_chunks')
    .addColumn('sha256', 'text', (c) => c.notNull().references('blobs.sha256').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_chunks_pkey', ['sha256', 'seq'])
    .execute();
  await sql`alter table blob_chunks alter column data set storage external`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('blob_chunks').execute();
}
