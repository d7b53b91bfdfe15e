import type { Insertable } from 'kysely';
import type { ExtractionAttemptsTable } from './schema.ts';
import type { Db } from './database.ts';

/** The Temporal activity attempt a paid call belongs to (one row per attempt). */
export interface AttemptKey {
  workflow_id: string;
  run_id: string;
  activity_id: string;
}

/** Message of a row whose call never reported back (the worker died, or the attempt timed out). */
export const INTERRUPTED_CALL = 'interrupted: the call was made but no answer was recorded (worker lost or attempt timed out); its cost is the estimate';

/**
 * An earlier attempt of the same activity that finished (ok or invalid): its
 * result stands, the call is not paid for again.
 */
export async function findFinishedAttempt(db: Db, key: AttemptKey) {
  return db
    .selectFrom('extraction_attempts')
    .select(['id', 'outcome', 'error', 'result'])
    .where('workflow_id', '=', key.workflow_id)
    .where('run_id', '=', key.run_id)
    .where('activity_id', '=', key.activity_id)
    .where('outcome', 'in', ['ok', 'invalid'])
    .executeTakeFirst();
}

/**
 * Writes the attempt's row BEFORE the paid call, as `failed` with the expected
 * cost: a call whose worker dies or whose attempt times out is still on the
 * books (budgets sum cost_usd). Null: this very attempt is already recorded
 * (a concurrent delivery).
 */
export async function beginPaidCall(
  db: Db,
  row: Omit<Insertable<ExtractionAttemptsTable>, 'outcome' | 'error' | 'result'>,
): Promise<string | null> {
  const inserted = await db
    .insertInto('extraction_attempts')
    .values({ ...row, outcome: 'failed', error: INTERRUPTED_CALL, result: null })
    .onConflict((oc) => oc.columns(['workflow_id', 'run_id', 'activity_id', 'activity_attempt']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted?.id ?? null;
}

/** The call's real figures and outcome, over the row beginPaidCall wrote. */
export async function completePaidCall(
  db: Db,
  id: string,
  values: Pick<
    Insertable<ExtractionAttemptsTable>,
    | 'model'
    | 'prompt_version'
    | 'prompt_hash'
    | 'input_tokens'
    | 'output_tokens'
    | 'cached_tokens'
    | 'tokens_estimated'
    | 'cost_usd'
    | 'latency_ms'
    | 'outcome'
    | 'error'
    | 'result'
  >,
): Promise<void> {
  await db.updateTable('extraction_attempts').set(values).where('id', '=', id).execute();
}

/**
 * A call whose figures are known when it is recorded (the exact tier's free
 * reading, a batch's answers, the v1 scan classification): written once per
 * activity attempt. Null: that attempt is already recorded (a concurrent delivery).
 */
export async function insertFinishedAttempt(db: Db, row: Insertable<ExtractionAttemptsTable>): Promise<string | null> {
  const inserted = await db
    .insertInto('extraction_attempts')
    .values(row)
    .onConflict((oc) => oc.columns(['workflow_id', 'run_id', 'activity_id', 'activity_attempt']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted?.id ?? null;
}

/** Any recorded attempt of an activity (whatever its outcome): a batch range is recorded once, from the batch's answer. */
export async function findActivityAttempt(db: Db, key: AttemptKey) {
  return db
    .selectFrom('extraction_attempts')
    .select(['id', 'outcome', 'error'])
    .where('workflow_id', '=', key.workflow_id)
    .where('run_id', '=', key.run_id)
    .where('activity_id', '=', key.activity_id)
    .executeTakeFirst();
}
