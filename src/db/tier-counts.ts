import { sql } from 'kysely';
import type { RouteStep } from '../../schemas/common.ts';
import type { Db } from './database.ts';

/** A document's tier as the metrics count it: the route step whose reading is its record, or none yet. */
export type DocumentTier = RouteStep | 'none';

/**
 * Documents by the tier that read them last: the last step of their route
 * ("xml": the exact e-invoice tier, no model; "flash"; "pro"), or "none" for
 * documents no tier has read (not yet, or refused before one could). One
 * grouped scan of `documents`, as the other document gauges.
 *
 * @example
 * await countDocumentsByTier(db); // [{ tier: 'xml', documents: 12 }, { tier: 'flash', documents: 40 }, …]
 */
export async function countDocumentsByTier(db: Db): Promise<{ tier: DocumentTier; documents: number }[]> {
  const { rows } = await sql<{ tier: DocumentTier; documents: number }>`
    select coalesce(route[cardinality(route)], 'none') as tier, count(*)::int as documents
    from documents group by 1 order by 1`.execute(db);
  return rows;
}
