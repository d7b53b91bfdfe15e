import type { Db } from './database.ts';
import { AttemptResult } from './json-columns.ts';

/**
 * Extraction attempts: one row per model call (tier, pages, tokens, cost, outcome,
 * and the validated result). The result jsonb is parsed here, where it enters the app.
 */

/** The successful attempts among `ids`, in page order, with their results. */
export async function findOkAttempts(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('extraction_attempts')
    .select(['result', 'tier', 'page_from', 'page_to'])
    .where('id', 'in', ids)
    .where('outcome', '=', 'ok')
    .orderBy('page_from')
    .execute();
  return rows.map((r) => ({ ...r, result: AttemptResult.nullable().parse(r.result) }));
}

/** The tiers and models that ran on a document, in the order they first ran. */
export async function listDocumentEngines(db: Db, documentId: string): Promise<{ tier: string; model: string }[]> {
  return db
    .selectFrom('extraction_attempts')
    .select(['tier', 'model'])
    .select((eb) => eb.fn.min('created_at').as('first'))
    .where('document_id', '=', documentId)
    .groupBy(['tier', 'model'])
    .orderBy('first')
    .execute();
}

/** What the model calls for a document cost, in USD (exact decimal text; "0" when none). */
export async function documentCostUsd(db: Db, documentId: string): Promise<string> {
  const cost = await db
    .selectFrom('extraction_attempts')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>('cost_usd'), eb.val('0')).as('total'))
    .where('document_id', '=', documentId)
    .executeTakeFirst();
  return String(cost?.total ?? '0');
}

/** One attempt's stored result (parsed where it enters the app), or undefined when there is no such attempt. */
export async function findAttemptResult(db: Db, id: string): Promise<AttemptResult | null | undefined> {
  const row = await db.selectFrom('extraction_attempts').select('result').where('id', '=', id).executeTakeFirst();
  return row ? AttemptResult.nullable().parse(row.result) : undefined;
}
