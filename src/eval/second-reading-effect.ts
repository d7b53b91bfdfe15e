/**
 * What the second, independent reading of the required fields
 * (src/extraction/second-reading.ts) does to routing, measured on the same
 * readings: each document's fast-tier result is scored with the comparison and
 * without it, and both are routed by the same policy (src/routing/policy.ts):
 * accepted after the fast tier, or sent to the deep tier (its whole-document
 * reading, as the frontier uses, in mode `both`; review when there is none),
 * then accepted or reviewed. For each variant: the metric, the review share,
 * the share sent to the deep tier, and the cost per document (without: the
 * second reading's calls are not paid). Documents the fast tier did not read
 * (long, scanned, e-invoices, failures) count the same in both. Pure.
 */
import { Decimal } from 'decimal.js';
import { failedCheckCodes, type ScoredReadings } from '../extraction/candidate.ts';
import { SECOND_READING_CHECK } from '../extraction/second-reading.ts';
import { decideRoute, type RoutingThresholds } from '../routing/policy.ts';
import { addTally, emptyTally, headlineOf, type MetricName, type Tally } from './metrics.ts';
import type { DocumentRun, EvalMode } from './runner.ts';

export interface VariantFigures {
  /** F1 or accuracy of the routed results. */
  metric: number;
  tally: Tally;
  /** Share of the documents that end in review. */
  reviewShare: number;
  /** Share sent to the deep tier after the fast one. */
  deepShare: number;
  costPerDocumentUsd: number;
}

export interface SecondReadingEffect {
  model: string | null;
  /** Documents whose fast result was compared with a second reading. */
  compared: number;
  /** Required fields agreed on / disagreed on, over those documents. */
  agreedFields: number;
  disagreedFields: number;
  with: VariantFigures;
  without: VariantFigures;
}

export function secondReadingEffect(
  runs: readonly DocumentRun[],
  options: {
    metric: MetricName;
    mode: EvalMode;
    thresholds: RoutingThresholds;
    /** The document's tally for a result (or none). */
    score: (run: DocumentRun, result: ScoredReadings | null) => Tally;
  },
): SecondReadingEffect | null {
  const compared = runs.filter((r) => r.fastWithoutSecondReading !== null);
  if (compared.length === 0) return null;
  const usd = (calls: DocumentRun['calls']) => calls.reduce((s, c) => s.plus(c.costUsd), new Decimal(0));
  const variant = (withSecond: boolean): VariantFigures => {
    const tally = emptyTally();
    let review = 0;
    let deep = 0;
    let cost = new Decimal(0);
    for (const r of runs) {
      const fast = withSecond ? r.fast : (r.fastWithoutSecondReading ?? r.fast);
      if (!fast) {
        // Not read by the fast tier: the same in both variants, as routed.
        addTally(tally, options.score(r, r.result));
        if (r.status === 'needs_review') review += 1;
        if (r.route.includes('pro')) deep += 1;
        cost = cost.plus(usd(options.mode === 'both' ? r.calls.filter((c) => r.route.includes(c.tier)) : r.calls));
        continue;
      }
      const fastCalls = r.calls.filter((c) => c.tier === 'flash' && (withSecond || c.purpose !== 'second-reading'));
      cost = cost.plus(usd(fastCalls));
      const capabilities = { deepAvailable: r.deepWhole !== null, fastReadsImages: true, deepReadsImages: true };
      const afterFast = decideRoute(
        { stage: 'after-fast', confidence: fast.confidence, failedChecks: failedCheckCodes(fast.checks), failedChunks: r.fastFailedChunks, missingRequired: fast.missingRequired },
        options.thresholds,
        capabilities,
      );
      if (afterFast.action === 'accept') {
        addTally(tally, options.score(r, fast));
        continue;
      }
      if (afterFast.action !== 'deep' || !r.deepWhole) {
        addTally(tally, options.score(r, fast));
        review += 1;
        continue;
      }
      deep += 1;
      cost = cost.plus(usd(r.calls.filter((c) => c.tier === 'pro')));
      const whole = r.deepWhole;
      addTally(tally, options.score(r, whole));
      const afterDeep = decideRoute(
        { stage: 'after-deep', confidence: whole.confidence, failedChecks: failedCheckCodes(whole.checks), failedChunks: 0, missingRequired: whole.missingRequired },
        options.thresholds,
        capabilities,
      );
      if (afterDeep.action !== 'accept') review += 1;
    }
    const n = runs.length;
    return {
      metric: headlineOf(options.metric, tally),
      tally,
      reviewShare: n === 0 ? 0 : review / n,
      deepShare: n === 0 ? 0 : deep / n,
      costPerDocumentUsd: n === 0 ? 0 : cost.div(n).toNumber(),
    };
  };
  const model = compared.flatMap((r) => r.calls.filter((c) => c.purpose === 'second-reading').map((c) => c.model))[0] ?? null;
  return {
    model,
    compared: compared.length,
    agreedFields: compared.reduce((n, r) => n + (r.fast?.agreed?.length ?? 0), 0),
    disagreedFields: compared.reduce((n, r) => n + (r.fast?.checks.filter((c) => c.name === SECOND_READING_CHECK && !c.passed).length ?? 0), 0),
    with: variant(true),
    without: variant(false),
  };
}
