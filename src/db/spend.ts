import { sql } from 'kysely';
import type { Db } from './database.ts';

/**
 * What the model calls cost, grouped four ways for the cost report
 * (src/costs/report.ts does the money arithmetic): by tier and model, by UTC
 * day and tier, distinct documents (per tier, and in review), and Batch API calls.
 */
export async function readSpend(db: Db, window: { from?: Date | undefined; before?: Date | undefined }) {
  let attempts = db.selectFrom('extraction_attempts as a');
  if (window.from) attempts = attempts.where('a.created_at', '>=', window.from);
  if (window.before) attempts = attempts.where('a.created_at', '<', window.before);

  const day = sql<string>`to_char(${sql.ref('a.created_at')} at time zone 'UTC', 'YYYY-MM-DD')`;

  const [tierModelRows, dayRows, docRow, batchRow] = await Promise.all([
    attempts
      .select((eb) => [
        'a.tier',
        'a.model',
        eb.fn.countAll<string>().as('calls'),
        eb.fn.sum<string>('a.input_tokens').as('input_tokens'),
        eb.fn.sum<string>('a.output_tokens').as('output_tokens'),
        eb.fn.sum<string>('a.cached_tokens').as('cached_tokens'),
        eb.fn.sum<string>('a.cost_usd').as('cost_usd'),
        eb.fn.avg<string>('a.latency_ms').as('mean_latency_ms'),
        sql<number>`percentile_disc(0.95) within group (order by ${sql.ref('a.latency_ms')})`.as('p95_latency_ms'),
      ])
      .groupBy(['a.tier', 'a.model'])
      .orderBy('a.tier')
      .orderBy('a.model')
      .execute(),
    attempts
      .select((eb) => [day.as('day'), 'a.tier', eb.fn.countAll<string>().as('calls'), eb.fn.sum<string>('a.cost_usd').as('cost_usd')])
      .groupBy([day, 'a.tier'])
      .orderBy(day)
      .orderBy('a.tier')
      .execute(),
    attempts
      .innerJoin('documents as d', 'd.id', 'a.document_id')
      .select((eb) => [
        eb.fn.count<string>('a.document_id').distinct().as('documents'),
        eb.fn.count<string>('a.document_id').distinct().filterWhere('a.tier', '=', 'xml').as('xml_documents'),
        eb.fn.count<string>('a.document_id').distinct().filterWhere('a.tier', '=', 'flash').as('flash_documents'),
        eb.fn.count<string>('a.document_id').distinct().filterWhere('a.tier', '=', 'pro').as('pro_documents'),
        eb.fn.count<string>('a.document_id').distinct().filterWhere('d.status', '=', 'needs_review').as('needs_review_documents'),
      ])
      .executeTakeFirstOrThrow(),
    attempts
      .where('a.billing', '=', 'batch')
      .select((eb) => [
        eb.fn.countAll<string>().as('calls'),
        eb.fn.count<string>('a.batch_name').distinct().as('batches'),
        eb.fn.sum<string>('a.cost_usd').as('cost_usd'),
        eb.fn.sum<string>(eb.fn.coalesce('a.online_cost_usd', 'a.cost_usd')).as('online_cost_usd'),
        eb.fn.avg<string>('a.latency_ms').as('mean_latency_ms'),
      ])
      .executeTakeFirstOrThrow(),
  ]);
  return { tierModelRows, dayRows, docRow, batchRow };
}
