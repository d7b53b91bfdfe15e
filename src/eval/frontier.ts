/**
 * The routing frontier: with every document read by both tiers, what each
 * confidence threshold would give. A document whose fast-tier confidence is
 * below the threshold t uses the deep tier's result (and pays for both calls:
 * the fast tier ran first); the others keep the fast tier's. For each t: the
 * share sent to the deep tier, the resulting metric, and the cost per 1,000
 * documents; beside them "all fast" and "all deep".
 */
import { Decimal } from 'decimal.js';
import { addTally, emptyTally, headlineOf, type MetricName, type Tally } from './metrics.ts';

export interface TierOutcome {
  /** The document's overall tally under this tier's result. */
  tally: Tally;
  /** USD this tier's calls on the document cost (decimal string). */
  costUsd: string;
}

export interface FrontierDocument {
  /** Document confidence of the fast tier's result (0 when it produced none). */
  fastConfidence: number;
  fast: TierOutcome;
  deep: TierOutcome;
}

export interface FrontierRow {
  /** The threshold (null for the all-fast / all-deep rows). */
  threshold: number | null;
  label: string;
  /** Share of the documents that use the deep tier's result. */
  shareDeep: number;
  /** F1 or accuracy over the set. */
  metric: number;
  tally: Tally;
  /** Mean cost of a document times 1,000 (USD). */
  costPer1000Usd: number;
}

export interface Frontier {
  metric: MetricName;
  rows: FrontierRow[];
  allFast: FrontierRow;
  allDeep: FrontierRow;
}

/** 0, 0.05, …, 1 (rounded, so 0.15 is 0.15). */
export const DEFAULT_THRESHOLDS: readonly number[] = Array.from({ length: 21 }, (_, i) => Math.round(i * 5) / 100);

export function computeFrontier(
  metric: MetricName,
  documents: readonly FrontierDocument[],
  thresholds: readonly number[] = DEFAULT_THRESHOLDS,
): Frontier {
  const row = (threshold: number | null, label: string, useDeep: (d: FrontierDocument) => boolean, payFast: boolean): FrontierRow => {
    const tally = emptyTally();
    let cost = new Decimal(0);
    let deep = 0;
    for (const d of documents) {
      const toDeep = useDeep(d);
      if (toDeep) deep += 1;
      addTally(tally, toDeep ? d.deep.tally : d.fast.tally);
      if (payFast) cost = cost.plus(d.fast.costUsd);
      if (toDeep) cost = cost.plus(d.deep.costUsd);
    }
    const n = documents.length;
    return {
      threshold,
      label,
      shareDeep: n === 0 ? 0 : deep / n,
      metric: headlineOf(metric, tally),
      tally,
      costPer1000Usd: n === 0 ? 0 : cost.div(n).times(1000).toNumber(),
    };
  };
  return {
    metric,
    rows: thresholds.map((t) => row(t, `confidence < ${t.toFixed(2)} → deep`, (d) => d.fastConfidence < t, true)),
    allFast: row(null, 'all fast', () => false, true),
    allDeep: row(null, 'all deep', () => true, false),
  };
}
