import { Decimal } from 'decimal.js';
import type { TierColumn } from '../db/schema.ts';
import type { Db } from '../db/database.ts';
import { readSpend } from '../db/spend.ts';

/**
 * What the model calls cost, from `extraction_attempts` (one row per call,
 * failed and invalid calls included: they are billed too). The exact e-invoice
 * tier's readings are attempts too (tier "xml", model "en16931", cost 0): they
 * count as calls and their documents as documents processed, at no cost, and
 * `exactTier` says how many documents were read exactly.
 *
 * Money is an exact decimal string with 6 places (the precision of
 * `cost_usd`): sums are exact; the per-document figures are divisions, rounded
 * half-up to 6 places (the projection is computed from the total, not from the
 * rounded mean). Days are UTC calendar days.
 */
export interface CostReport {
  /** The window, as given (inclusive UTC days); null = unbounded. */
  since: string | null;
  until: string | null;
  totals: {
    calls: number;
    inputTokens: number;
    outputTokens: number;
    cachedTokens: number;
    costUsd: string;
  };
  /** Spend per tier and model, ordered by tier then model. */
  byTierModel: TierModelSpend[];
  /** Spend per UTC day and tier, ordered by day then tier; days without calls are absent. */
  byDay: DaySpend[];
  /** Distinct documents with at least one attempt in the window. */
  documents: number;
  /** Mean cost per document: totals.costUsd / documents ("0.000000" with no documents). */
  costPerDocumentUsd: string;
  /** totals.costUsd / documents × 1000. */
  per1000DocumentsUsd: string;
  /** Per tier, ordered xml, flash, pro; only tiers with calls. */
  byTier: TierSpend[];
  /** Documents with at least one attempt on the deep tier ('pro'), and their share of `documents`. */
  deepTier: Share;
  /** Documents read exactly from an e-invoice's XML (tier 'xml': no model, cost 0), and their share of `documents`. */
  exactTier: Share;
  /** Documents whose status is 'needs_review', and their share of `documents`. */
  needsReview: Share;
  /** Calls made through the Gemini Batch API: what they cost, what they would have cost online, the saving. */
  batch: BatchSpend;
}

export interface BatchSpend {
  calls: number;
  /** Distinct batches those calls came in. */
  batches: number;
  costUsd: string;
  onlineCostUsd: string;
  savingUsd: string;
  /** Mean time from submitting a batch to its answer, ms (0 with no batch calls). */
  meanLatencyMs: number;
}

export interface TierModelSpend {
  tier: TierColumn;
  model: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: string;
  /** Mean latency, ms, to 0.1 ms. */
  meanLatencyMs: number;
  /** 95th percentile latency, ms: nearest rank (an observed value: percentile_disc). */
  p95LatencyMs: number;
}

export interface DaySpend {
  /** YYYY-MM-DD (UTC). */
  day: string;
  tier: TierColumn;
  calls: number;
  costUsd: string;
}

export interface TierSpend {
  tier: TierColumn;
  calls: number;
  costUsd: string;
  /** Distinct documents with at least one call on this tier. */
  documents: number;
  /** This tier's cost spread over all documents: tier cost / documents (the tiers' figures add up to the overall one). */
  costPerDocumentUsd: string;
  /** Tier cost / documents × 1000: what this tier adds per 1,000 documents. */
  per1000DocumentsUsd: string;
  /** Tier cost / the documents that used this tier: what a document sent to this tier costs on it. */
  costPerTierDocumentUsd: string;
}

export interface Share {
  documents: number;
  /** documents / all documents, 0..1, rounded to 4 places (0 with no documents). */
  share: number;
}

export interface CostReportOptions {
  /** First UTC day included, YYYY-MM-DD. */
  since?: string;
  /** Last UTC day included, YYYY-MM-DD. */
  until?: string;
}

const TIER_ORDER: readonly TierColumn[] = ['xml', 'flash', 'pro'];
const MONEY_PLACES = 6;

const money = (value: Decimal.Value | null | undefined): string =>
  new Decimal(value ?? 0).toDecimalPlaces(MONEY_PLACES, Decimal.ROUND_HALF_UP).toFixed(MONEY_PLACES);
const divide = (amount: Decimal.Value, by: number, times = 1): string =>
  by === 0 ? money(0) : money(new Decimal(amount).times(times).div(by));
const share = (part: number, whole: number): number => (whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000);
const int = (value: string | number | bigint | null | undefined): number => Number(value ?? 0);

/** Parses a YYYY-MM-DD UTC day; throws a RangeError naming `what` when it is not a real date. */
export function parseDay(value: string, what: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
  if (!date || date.toISOString().slice(0, 10) !== value) {
    throw new RangeError(`${what} must be a date as YYYY-MM-DD, not "${value}"`);
  }
  return date;
}

const DAY_MS = 86_400_000;

export async function costReport(db: Db, options: CostReportOptions): Promise<CostReport> {
  const since = options.since === undefined ? undefined : parseDay(options.since, '--since');
  const until = options.until === undefined ? undefined : parseDay(options.until, '--until');
  if (since && until && since > until) throw new RangeError(`--since (${options.since}) is after --until (${options.until})`);

  const { tierModelRows, dayRows, docRow, batchRow } = await readSpend(db, {
    from: since,
    before: until ? new Date(until.getTime() + DAY_MS) : undefined,
  });

  const byTierModel: TierModelSpend[] = tierModelRows.map((r) => ({
    tier: r.tier,
    model: r.model,
    calls: int(r.calls),
    inputTokens: int(r.input_tokens),
    outputTokens: int(r.output_tokens),
    cachedTokens: int(r.cached_tokens),
    costUsd: money(r.cost_usd),
    meanLatencyMs: Math.round(Number(r.mean_latency_ms ?? 0) * 10) / 10,
    p95LatencyMs: Number(r.p95_latency_ms ?? 0),
  }));
  const byDay: DaySpend[] = dayRows.map((r) => ({ day: r.day, tier: r.tier, calls: int(r.calls), costUsd: money(r.cost_usd) }));

  const documents = int(docRow.documents);
  const tierDocuments: Record<TierColumn, number> = {
    xml: int(docRow.xml_documents),
    flash: int(docRow.flash_documents),
    pro: int(docRow.pro_documents),
  };
  const totalCost = byTierModel.reduce((sum, r) => sum.plus(r.costUsd), new Decimal(0));

  const byTier: TierSpend[] = TIER_ORDER.flatMap((tier) => {
    const rows = byTierModel.filter((r) => r.tier === tier);
    if (rows.length === 0) return [];
    const cost = rows.reduce((sum, r) => sum.plus(r.costUsd), new Decimal(0));
    return [
      {
        tier,
        calls: rows.reduce((n, r) => n + r.calls, 0),
        costUsd: money(cost),
        documents: tierDocuments[tier],
        costPerDocumentUsd: divide(cost, documents),
        per1000DocumentsUsd: divide(cost, documents, 1000),
        costPerTierDocumentUsd: divide(cost, tierDocuments[tier]),
      },
    ];
  });

  return {
    since: options.since ?? null,
    until: options.until ?? null,
    totals: {
      calls: byTierModel.reduce((n, r) => n + r.calls, 0),
      inputTokens: byTierModel.reduce((n, r) => n + r.inputTokens, 0),
      outputTokens: byTierModel.reduce((n, r) => n + r.outputTokens, 0),
      cachedTokens: byTierModel.reduce((n, r) => n + r.cachedTokens, 0),
      costUsd: money(totalCost),
    },
    byTierModel,
    byDay,
    documents,
    costPerDocumentUsd: divide(totalCost, documents),
    per1000DocumentsUsd: divide(totalCost, documents, 1000),
    byTier,
    deepTier: { documents: tierDocuments.pro, share: share(tierDocuments.pro, documents) },
    exactTier: { documents: tierDocuments.xml, share: share(tierDocuments.xml, documents) },
    needsReview: { documents: int(docRow.needs_review_documents), share: share(int(docRow.needs_review_documents), documents) },
    batch: {
      calls: int(batchRow.calls),
      batches: int(batchRow.batches),
      costUsd: money(batchRow.cost_usd),
      onlineCostUsd: money(batchRow.online_cost_usd),
      savingUsd: money(new Decimal(batchRow.online_cost_usd ?? 0).minus(batchRow.cost_usd ?? 0)),
      meanLatencyMs: Math.round(Number(batchRow.mean_latency_ms ?? 0)),
    },
  };
}
