import { sql } from 'kysely';
import type { Db } from './database.ts';
import { countDocumentsByTier, type DocumentTier } from './tier-counts.ts';

/**
 * The whole-system figures the API's /metrics exposes (docroute_*), read in
 * one set of grouped queries: documents by status and kind, attempts, latency
 * buckets, routing decisions, the review queue and tokens.
 */

/** What one scrape reads from the database. */
export interface MetricsSnapshot {
  documents: { status: string; kind: string; n: number }[];
  attempts: { tier: string; outcome: string; n: number; cost: number }[];
  latency: { tier: string; count: number; sumMs: number; buckets: number[] }[];
  decisions: { stage: string; action: string; n: number }[];
  review: { depth: number; oldestSeconds: number | null };
  tokens: { tier: string; model: string; input: number; output: number; cached: number }[];
  /** Documents by the tier that read them last (src/db/tier-counts.ts). */
  byTier: { tier: DocumentTier; documents: number }[];
}

export async function readMetricsSnapshot(db: Db, latencyBucketsSeconds: readonly number[]): Promise<MetricsSnapshot> {
  const bucketColumns = sql.join(
    latencyBucketsSeconds.map((b, i) => sql`count(*) filter (where latency_ms <= ${Math.round(b * 1000)})::int as ${sql.ref(`b${i}`)}`),
  );
  const [documents, attempts, latency, decisions, review, tokens, byTier] = await Promise.all([
    sql<{ status: string; kind: string; n: number }>`
      select status, coalesce(kind, 'unknown') as kind, count(*)::int as n from documents group by 1, 2`.execute(db),
    sql<{ tier: string; outcome: string; n: number; cost: string }>`
      select tier, outcome, count(*)::int as n, coalesce(sum(cost_usd), 0)::text as cost
      from extraction_attempts group by 1, 2`.execute(db),
    sql<Record<string, number> & { tier: string; count: number; sum_ms: string }>`
      select tier, count(*)::int as count, coalesce(sum(latency_ms), 0)::text as sum_ms, ${bucketColumns}
      from extraction_attempts group by 1`.execute(db),
    sql<{ stage: string; action: string; n: number }>`
      select stage, action, count(*)::int as n from routing_decisions group by 1, 2`.execute(db),
    sql<{ depth: number; oldest: number | null }>`
      select count(*)::int as depth, extract(epoch from now() - min(updated_at))::float8 as oldest
      from documents where status = 'needs_review'`.execute(db),
    sql<{ tier: string; model: string; input: string; output: string; cached: string }>`
      select tier, model, coalesce(sum(input_tokens), 0)::text as input, coalesce(sum(output_tokens), 0)::text as output,
             coalesce(sum(cached_tokens), 0)::text as cached
      from extraction_attempts group by 1, 2`.execute(db),
    countDocumentsByTier(db),
  ]);
  return {
    documents: documents.rows,
    attempts: attempts.rows.map((r) => ({ tier: r.tier, outcome: r.outcome, n: r.n, cost: Number(r.cost) })),
    latency: latency.rows.map((r) => ({
      tier: r.tier,
      count: r.count,
      sumMs: Number(r.sum_ms),
      buckets: latencyBucketsSeconds.map((_, i) => Number(r[`b${i}`])),
    })),
    decisions: decisions.rows,
    review: { depth: review.rows[0]?.depth ?? 0, oldestSeconds: review.rows[0]?.oldest ?? null },
    tokens: tokens.rows.map((r) => ({ tier: r.tier, model: r.model, input: Number(r.input), output: Number(r.output), cached: Number(r.cached) })),
    byTier,
  };
}

