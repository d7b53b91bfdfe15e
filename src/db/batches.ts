import type { Insertable } from 'kysely';
import type { Db } from './database.ts';
import type { GeminiBatchesTable } from './schema.ts';

/**
 * Gemini Batch API jobs: one row per batch of a document's calls of one tier,
 * keyed by run and sequence so a retried submit finds the batch it made.
 */

/** The batch made for a key, if any (with its name once the Batch API answered). */
export async function findBatchByKey(db: Db, batchKey: string) {
  return db.selectFrom('gemini_batches').select(['id', 'batch_name']).where('batch_key', '=', batchKey).executeTakeFirst();
}

/** Records a batch before it is created at the Batch API; a second delivery gets the same row. */
export async function insertBatch(
  db: Db,
  batch: Omit<Insertable<GeminiBatchesTable>, 'ranges' | 'focus_fields'> & {
    ranges: readonly { pageFrom: number; pageTo: number; chunkIndex: number | null }[];
    focusFields: readonly string[];
  },
) {
  const { focusFields, ranges, ...row } = batch;
  return db
    .insertInto('gemini_batches')
    .values({ ...row, ranges: JSON.stringify(ranges), focus_fields: JSON.stringify(focusFields) })
    .onConflict((oc) => oc.column('batch_key').doUpdateSet({ batch_key: batch.batch_key }))
    .returning(['id', 'batch_name'])
    .executeTakeFirstOrThrow();
}

/** The Batch API's name for a batch, once it has accepted it. */
export async function setBatchName(db: Db, id: string, batchName: string): Promise<void> {
  await db.updateTable('gemini_batches').set({ batch_name: batchName }).where('id', '=', id).execute();
}

export async function getBatch(db: Db, id: string) {
  return db.selectFrom('gemini_batches').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/**
 * A batch ended: `succeeded`, a Batch API failure state, or `abandoned` (the
 * workflow stopped waiting). An abandoned batch is only one still waiting.
 */
export async function finishBatch(db: Db, id: string, state: string, error: string | null): Promise<void> {
  let query = db.updateTable('gemini_batches').set({ state, error, finished_at: new Date() }).where('id', '=', id);
  if (state === 'abandoned') query = query.where('state', '=', 'submitted');
  await query.execute();
}
