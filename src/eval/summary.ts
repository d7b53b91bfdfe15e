/**
 * The evaluation's figures from the per-document runs: the metric overall and
 * per field, calibration, cost/tokens/latency per tier, routing shares, the
 * routing frontier (mode `both`), and the per-document errors. Pure.
 */
import { Decimal } from 'decimal.js';
import type { ContractExtraction, InvoiceExtraction, RouteStep } from '../../schemas/index.ts';
import type { ScoredReadings } from '../extraction/candidate.ts';
import { calibrate, type Calibration } from './calibration.ts';
import type { Split } from './splits.ts';
import { touchless, type TouchlessFigures } from './touchless.ts';
import { computeFrontier, type Frontier, type FrontierDocument } from './frontier.ts';
import { secondReadingEffect, type SecondReadingEffect } from './second-reading-effect.ts';
import type { EvalFormat, LabelledDocument } from './loaders.ts';
import {
  accuracyOf,
  aggregate,
  CONTRACT_FIELD_TYPES,
  emptyTally,
  f1Of,
  INVOICE_FIELD_TYPES,
  INVOICE2DATA_FIELDS,
  KLEISTER_KEYS,
  kleisterItemsOf,
  scoreFields,
  scoreKleister,
  type AccuracyFigures,
  type DocumentScore,
  type F1Figures,
  type ItemOutcome,
  type MetricName,
  type Tally,
} from './metrics.ts';
import type { DocumentRun, EvalMode, TierCall } from './runner.ts';

export interface TierCosts {
  model: string;
  calls: number;
  ok: number;
  invalid: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** True when some token figures are local estimates (the offline tier). */
  tokensEstimated: boolean;
  costUsd: string;
  latencyMs: { mean: number; p50: number; p95: number; max: number };
}

export interface DocumentSummary {
  file: string;
  kind: string;
  classifiedAs: string | null;
  status: DocumentRun['status'];
  route: RouteStep[];
  confidence: number | null;
  pages: number;
  tokens: number;
  costUsd: string;
  latencyMs: number;
  reasons: string[];
  score: Tally;
  /** Wrong or missing items: expected vs got, with the evidence of what was got. */
  errors: ItemOutcome[];
}

export interface EvalSummary {
  format: EvalFormat;
  dir: string;
  /** Which half of the set was run (src/eval/splits.ts). */
  split: Split;
  mode: EvalMode;
  tiers: { fast: string; deep: string | null };
  metric: MetricName;
  documents: number;
  overall: F1Figures | AccuracyFigures;
  fields: Record<string, F1Figures | AccuracyFigures>;
  /** Fields present in the gold data and how they map to ours (invoice2data). */
  fieldMap?: Record<string, string>;
  calibration: Calibration;
  /** Documents accepted without review and how right their values are; the best acceptance policy on this set. */
  touchless: TouchlessFigures;
  cost: {
    /** Per tier: "xml" is the exact e-invoice tier (no model, cost 0), then the model tiers. */
    byTier: Partial<Record<RouteStep, TierCosts>>;
    /** Every call the evaluation made (in mode `both`, both tiers on every document). */
    totalUsd: string;
    /** What the routed pipeline would have spent (mode `both`: the deep reading only where routed to it). */
    routedUsd: string;
    routedPer1000DocsUsd: number;
    parseMs: { mean: number; p95: number };
    documentMs: { mean: number; p95: number };
  };
  routing: {
    thresholds: { minConfidence: number; longDocTokens: number; chunkTokens: number; docBudgetUsd: number };
    deepAvailable: boolean;
    /** Share of documents each tier read (in the routed result); xml: read exactly from an e-invoice's XML. */
    share: { xml: number; flash: number; pro: number; review: number; failed: number; extracted: number };
    /** Share the policy sends to the deep tier after the fast one (were a deep tier available). */
    wouldEscalate: number;
    initial: Record<string, number>;
    afterFast: Record<string, number>;
    final: Record<string, number>;
    classification: { right: number; total: number };
  };
  frontier: Frontier | null;
  /**
   * The routing frontier with the fast tier's results scored without the
   * second reading (mode `both`, when one was compared): its effect on the frontier.
   */
  frontierWithoutSecondReading?: Frontier | null;
  /** With and without the second, independent reading (when one was compared). */
  secondReading?: SecondReadingEffect | null;
  perDocument: DocumentSummary[];
}


/** Scores a result (or no result) against a document's gold. A result of the wrong kind scores as nothing. */
export function scoreDocument(doc: LabelledDocument, result: ScoredReadings | null, kindOfResult: string | null): DocumentScore {
  const fields = result && kindOfResult === doc.kind ? result.fields : null;
  if (doc.gold.metric === 'f1') return scoreKleister(doc.gold.items, kleisterItemsOf(fields as ContractExtraction | null));
  const types = doc.kind === 'invoice' ? INVOICE_FIELD_TYPES : CONTRACT_FIELD_TYPES;
  return scoreFields(doc.gold.fields, fields as InvoiceExtraction | ContractExtraction | null, types);
}

function total(scores: readonly DocumentScore[]): Tally {
  return aggregate(scores).overall;
}

/** Fields in a stable order: Kleister keys, then invoice2data's nine, then our schemas' order, then the rest. */
const FIELD_ORDER: readonly string[] = [
  ...KLEISTER_KEYS,
  ...Object.values(INVOICE2DATA_FIELDS),
  ...Object.keys(INVOICE_FIELD_TYPES),
  'parties',
  ...Object.keys(CONTRACT_FIELD_TYPES),
];
function orderFields(names: readonly string[]): string[] {
  const rank = (n: string) => {
    const i = FIELD_ORDER.indexOf(n);
    return i < 0 ? FIELD_ORDER.length : i;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}
const sumUsd = (calls: readonly TierCall[]) => calls.reduce((s, c) => s.plus(c.costUsd), new Decimal(0));
const round = (x: number, places = 4) => Number(x.toFixed(places));

function count<T extends string>(values: readonly T[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export function summarise(
  runs: readonly DocumentRun[],
  context: {
    format: EvalFormat;
    dir: string;
    split?: Split;
    mode: EvalMode;
    tiers: { fast: string; deep: string | null };
    routing: EvalSummary['routing']['thresholds'];
  },
): EvalSummary {
  const metric: MetricName = runs[0]?.doc.gold.metric ?? (context.format === 'kleister' ? 'f1' : 'accuracy');
  const figures = (t: Tally) => (metric === 'f1' ? f1Of(t) : accuracyOf(t));
  const scores = runs.map((r) => scoreDocument(r.doc, r.result, r.classifiedAs));
  const { overall, fields } = aggregate(scores);
  const routedCalls = (r: DocumentRun) => r.calls.filter((c) => context.mode !== 'both' || r.route.includes(c.tier));

  const byTier: Partial<Record<RouteStep, TierCosts>> = {};
  const allCalls = runs.flatMap((r) => r.calls);
  for (const tier of ['xml', 'flash', 'pro'] as const) {
    const calls = allCalls.filter((c) => c.tier === tier);
    if (calls.length === 0) continue;
    const latencies = calls.map((c) => c.latencyMs);
    byTier[tier] = {
      model: calls[0]!.model,
      calls: calls.length,
      ok: calls.filter((c) => c.outcome === 'ok').length,
      invalid: calls.filter((c) => c.outcome === 'invalid').length,
      failed: calls.filter((c) => c.outcome === 'failed').length,
      inputTokens: calls.reduce((s, c) => s + c.inputTokens, 0),
      outputTokens: calls.reduce((s, c) => s + c.outputTokens, 0),
      cachedTokens: calls.reduce((s, c) => s + c.cachedTokens, 0),
      tokensEstimated: calls.some((c) => c.tokensEstimated),
      costUsd: sumUsd(calls).toFixed(6),
      latencyMs: { mean: round(mean(latencies), 1), p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: Math.max(...latencies) },
    };
  }
  const routedUsd = runs.reduce((s, r) => s.plus(sumUsd(routedCalls(r))), new Decimal(0));
  const n = runs.length;
  const share = (k: number) => (n === 0 ? 0 : round(k / n));

  let frontier: Frontier | null = null;
  if (context.mode === 'both') {
    const docs: FrontierDocument[] = runs.map((r) => ({
      fastConfidence: r.fast?.confidence ?? 0,
      fast: {
        tally: total([scoreDocument(r.doc, r.fast, r.classifiedAs)]),
        costUsd: sumUsd(r.calls.filter((c) => c.tier === 'flash')).toFixed(6),
      },
      deep: {
        tally: total([scoreDocument(r.doc, r.deepWhole, r.classifiedAs)]),
        costUsd: sumUsd(r.calls.filter((c) => c.tier === 'pro')).toFixed(6),
      },
    }));
    frontier = computeFrontier(metric, docs);
  }
  const secondReading = secondReadingEffect(runs, {
    metric,
    mode: context.mode,
    thresholds: { minConfidence: context.routing.minConfidence, longDocTokens: context.routing.longDocTokens },
    score: (r, result) => total([scoreDocument(r.doc, result, r.classifiedAs)]),
  });
  let frontierWithoutSecondReading: Frontier | null = null;
  if (context.mode === 'both' && secondReading) {
    frontierWithoutSecondReading = computeFrontier(
      metric,
      runs.map((r) => {
        const fast = r.fastWithoutSecondReading ?? r.fast;
        return {
          fastConfidence: fast?.confidence ?? 0,
          fast: {
            tally: total([scoreDocument(r.doc, fast, r.classifiedAs)]),
            costUsd: sumUsd(r.calls.filter((c) => c.tier === 'flash' && c.purpose !== 'second-reading')).toFixed(6),
          },
          deep: {
            tally: total([scoreDocument(r.doc, r.deepWhole, r.classifiedAs)]),
            costUsd: sumUsd(r.calls.filter((c) => c.tier === 'pro')).toFixed(6),
          },
        };
      }),
    );
  }

  const perDocument: DocumentSummary[] = runs.map((r, i) => ({
    file: r.doc.name,
    kind: r.doc.kind,
    classifiedAs: r.classifiedAs,
    status: r.status,
    route: r.route,
    confidence: r.result ? round(r.result.confidence) : null,
    pages: r.pageCount,
    tokens: r.tokens,
    costUsd: sumUsd(routedCalls(r)).toFixed(6),
    latencyMs: r.totalMs,
    reasons: r.reasons,
    score: Object.values(scores[i]!.fields).reduce((a, t) => ({ tp: a.tp + t.tp, predicted: a.predicted + t.predicted, expected: a.expected + t.expected }), emptyTally()),
    errors: scores[i]!.items.filter((item) => !item.right),
  }));

  const summary: EvalSummary = {
    format: context.format,
    dir: context.dir,
    split: context.split ?? 'all',
    mode: context.mode,
    tiers: context.tiers,
    metric,
    documents: n,
    overall: figures(overall),
    fields: Object.fromEntries(orderFields(Object.keys(fields)).map((k) => [k, figures(fields[k]!)])),
    calibration: calibrate(scores.flatMap((s) => s.items)),
    touchless: touchless(
      runs.map((r, i) => ({
        status: r.status,
        confidence: r.result?.confidence ?? null,
        checksPassed: !!r.result && r.result.checks.every((c) => c.passed) && r.result.missingRequired.length === 0,
        valuesAboveFloor: r.valueFloor === null || Object.values(r.result?.valueConfidences ?? {}).every((c) => c >= r.valueFloor!),
        items: scores[i]!.items,
      })),
    ),
    cost: {
      byTier,
      totalUsd: sumUsd(allCalls).toFixed(6),
      routedUsd: routedUsd.toFixed(6),
      routedPer1000DocsUsd: n === 0 ? 0 : routedUsd.div(n).times(1000).toDecimalPlaces(4).toNumber(),
      parseMs: { mean: round(mean(runs.map((r) => r.parseMs)), 1), p95: percentile(runs.map((r) => r.parseMs), 95) },
      documentMs: { mean: round(mean(runs.map((r) => r.totalMs)), 1), p95: percentile(runs.map((r) => r.totalMs), 95) },
    },
    routing: {
      thresholds: context.routing,
      deepAvailable: context.tiers.deep !== null,
      share: {
        xml: share(runs.filter((r) => r.route.includes('xml')).length),
        flash: share(runs.filter((r) => r.route.includes('flash')).length),
        pro: share(runs.filter((r) => r.route.includes('pro')).length),
        review: share(runs.filter((r) => r.status === 'needs_review').length),
        failed: share(runs.filter((r) => r.status === 'failed').length),
        extracted: share(runs.filter((r) => r.status === 'extracted').length),
      },
      wouldEscalate: share(runs.filter((r) => r.wouldEscalate).length),
      initial: count(runs.flatMap((r) => r.decisions.filter((d) => d.stage === 'initial').map((d) => d.action))),
      afterFast: count(runs.flatMap((r) => r.decisions.filter((d) => d.stage === 'after-fast').map((d) => d.action))),
      final: count(runs.map((r) => r.status)),
      classification: { right: runs.filter((r) => r.classifiedAs === r.doc.kind).length, total: n },
    },
    frontier,
    ...(secondReading ? { secondReading, frontierWithoutSecondReading } : {}),
    perDocument,
  };
  if (context.format === 'invoice2data') summary.fieldMap = { ...INVOICE2DATA_FIELDS };
  return summary;
}

/**
 * The documents "with errors", one definition for the command's summary and the report:
 * a gold value wrong or missing, or not extracted (in review or failed: nothing accepted
 * from it, even where the candidate's values were right).
 */
export function documentsWithErrors(s: Pick<EvalSummary, 'perDocument'>): EvalSummary['perDocument'] {
  return s.perDocument.filter((d) => d.errors.length > 0 || d.status !== 'extracted');
}

/** How many documents with errors, and of them how many have a wrong or missing value. */
export function errorCounts(s: Pick<EvalSummary, 'perDocument' | 'documents'>): { withErrors: number; wrongValues: number; notExtracted: number; documents: number } {
  const docs = documentsWithErrors(s);
  return {
    withErrors: docs.length,
    wrongValues: docs.filter((d) => d.errors.length > 0).length,
    notExtracted: docs.filter((d) => d.status !== 'extracted').length,
    documents: s.documents,
  };
}
