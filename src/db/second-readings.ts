import type { Db } from './database.ts';
import { AttemptResult } from './json-columns.ts';

/**
 * A second, independent reading of a document's required fields
 * (src/extraction/second-reading.ts): an attempt row like any paid call, whose
 * result is the reader's values. Null when the attempt did not end `ok`.
 */
export async function findSecondReading(db: Db, attemptId: string): Promise<{ model: string; result: AttemptResult } | null> {
  const row = await db
    .selectFrom('extraction_attempts')
    .select(['model', 'result'])
    .where('id', '=', attemptId)
    .where('outcome', '=', 'ok')
    .executeTakeFirst();
  const result = row ? AttemptResult.nullable().parse(row.result) : null;
  return row && result ? { model: row.model, result } : null;
}
