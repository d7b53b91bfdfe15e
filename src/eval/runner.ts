/**
 * Runs labelled documents through the extraction path, in process: the same
 * functions the workflow's activities call (parsePdf, estimateTokens, the
 * tier's countTokens, classifyDocument, decideRoute, chunkPages, the tiers'
 * extract with the schema check, scoreReadings, escalationFields, costOf), minus
 * Temporal and Postgres: what it measures is what the pipeline extracts and how
 * it routes, not durability. Not simulated: the duplicate-invoice check (it
 * needs the records of earlier documents) and the classification of scans from
 * page images.
 */
import { readFile } from 'node:fs/promises';
import { Decimal } from 'decimal.js';
import type { ExtractableKind, TierName } from '../../schemas/index.ts';
import { chunkPages } from '../chunking/chunk-pages.ts';
import { classifyDocument } from '../classify/classify.ts';
import type { Config } from '../config/config.ts';
import { costOf } from '../costs/prices.ts';
import { scoreReadings, type Reading, type ScoredReadings } from '../extraction/candidate.ts';
import { callTier } from '../extraction/call-tier.ts';
import { escalationFields, expectedEscalationUsage, planEscalationPages } from '../extraction/escalation.ts';
import type { ModelTier, PageImage, PageText } from '../extraction/model-tier.ts';
import { estimateTokens } from '../extraction/rules/tokens.ts';
import { ocrScannedPages } from '../ocr/ocr-pages.ts';
import { parsePdf } from '../pdf/parse-pdf.ts';
import { PdfRejectedError } from '../pdf/pdf-errors.ts';
import { renderPages } from '../pdf/render-pages.ts';
import { decideRoute, type RouteAction, type RoutingThresholds, type TierCapabilities } from '../routing/policy.ts';
import type { LabelledDocument } from './loaders.ts';

/**
 * - `routed`: what production does (fast tier; escalation to the deep tier
 *   when the policy says so and one is configured).
 * - `fast`: the fast tier only (the policy's after-fast decision is recorded, not acted on).
 * - `both`: every document read by the fast tier (chunk by chunk) and by the
 *   deep tier (whole), for the routing frontier; the routed result takes the
 *   deep tier's reading where the policy escalates.
 */
export type EvalMode = 'routed' | 'fast' | 'both';

export interface TierCall {
  tier: TierName;
  model: string;
  /** Which reading: a fast chunk, an escalation, or a whole-document deep reading. */
  purpose: 'chunk' | 'escalation' | 'whole';
  pageFrom: number;
  pageTo: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  tokensEstimated: boolean;
  costUsd: string;
  latencyMs: number;
  outcome: 'ok' | 'invalid' | 'failed';
  error: string | null;
}

export interface Decision {
  stage: 'initial' | 'after-fast' | 'budget' | 'after-deep';
  action: RouteAction;
  reasons: string[];
}

export interface DocumentRun {
  doc: LabelledDocument;
  status: 'extracted' | 'needs_review' | 'failed';
  /** Why it failed or went to review. */
  reasons: string[];
  classifiedAs: 'invoice' | 'contract' | 'other' | null;
  pageCount: number;
  tokens: number;
  parseMs: number;
  /** Wall time of the whole document (parse to last decision). */
  totalMs: number;
  decisions: Decision[];
  /** Tiers used, in order, as `route` reports them. */
  route: TierName[];
  /** The routed result (what the candidate would be); null when nothing was extracted. */
  result: ScoredReadings | null;
  /** The fast tier's result (after-fast candidate), when it ran. */
  fast: ScoredReadings | null;
  /** The deep tier's whole-document result (mode `both`). */
  deepWhole: ScoredReadings | null;
  /** True when the policy would send the document to the deep tier after the fast one, were one available. */
  wouldEscalate: boolean;
  calls: TierCall[];
}

export interface RunnerOptions {
  config: Pick<Config, 'routing' | 'limits' | 'prices'> & Partial<Pick<Config, 'ocr'>>;
  tiers: { fast: ModelTier; deep: ModelTier | null };
  mode: EvalMode;
  /** YYYY-MM-DD, for date plausibility checks. */
  today: string;
  concurrency?: number;
  onDocument?: (run: DocumentRun) => void;
}

/** Rough size of the instructions and schema of a deep-tier call, for the budget estimate (as in planEscalation). */

export async function runEvaluation(docs: readonly LabelledDocument[], options: RunnerOptions): Promise<DocumentRun[]> {
  const results: DocumentRun[] = new Array(docs.length);
  let next = 0;
  const worker = async () => {
    while (next < docs.length) {
      const i = next++;
      const run = await runDocument(docs[i]!, options);
      results[i] = run;
      options.onDocument?.(run);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, docs.length)) }, worker));
  return results;
}

export async function runDocument(doc: LabelledDocument, options: RunnerOptions): Promise<DocumentRun> {
  const started = performance.now();
  const { config, tiers, mode, today } = options;
  const thresholds: RoutingThresholds = { longDocTokens: config.routing.longDocTokens, minConfidence: config.routing.minConfidence };
  const caps: TierCapabilities = {
    deepAvailable: tiers.deep !== null,
    fastReadsImages: tiers.fast.readsImages,
    deepReadsImages: tiers.deep?.readsImages ?? false,
  };
  const run: DocumentRun = {
    doc,
    status: 'failed',
    reasons: [],
    classifiedAs: null,
    pageCount: 0,
    tokens: 0,
    parseMs: 0,
    totalMs: 0,
    decisions: [],
    route: [],
    result: null,
    fast: null,
    deepWhole: null,
    wouldEscalate: false,
    calls: [],
  };
  const done = (status: DocumentRun['status'], reasons: string[]) => {
    run.status = status;
    run.reasons = reasons;
    run.totalMs = Math.round(performance.now() - started);
    return run;
  };
  const decide = (input: Parameters<typeof decideRoute>[0], capabilities = caps) => {
    const d = decideRoute(input, thresholds, capabilities);
    run.decisions.push({ stage: input.stage, action: d.action, reasons: d.reasons });
    return d;
  };

  try {
    const bytes = new Uint8Array(await readFile(doc.file));
    if (bytes.length > config.limits.maxFileBytes) {
      return done('failed', [`file too large: ${(bytes.length / 1048576).toFixed(1)} MiB (DOCROUTE_MAX_FILE_MB)`]);
    }
    let parsed;
    const parseStart = performance.now();
    try {
      parsed = await parsePdf(bytes, { maxPages: config.limits.maxPages });
    } catch (error) {
      if (error instanceof PdfRejectedError) return done('failed', [error.message]);
      throw error;
    }
    if (parsed.imageOnlyPages.length > 0 && !tiers.fast.readsImages && config.ocr === 'auto') parsed = (await ocrScannedPages(bytes, parsed)).parsed;
    run.parseMs = Math.round(performance.now() - parseStart);
    const pages = parsed.pages;
    run.pageCount = parsed.pageCount;
    const pageTokens = pages.map((p) => estimateTokens(p.text));
    const count = await tiers.fast.countTokens(pages);
    run.tokens = count.tokens;

    const first = decide({ stage: 'initial', tokens: count.tokens, pageCount: parsed.pageCount, imageOnlyPages: parsed.imageOnlyPages.length });
    if (first.action === 'reject') return done('failed', first.reasons);
    const classification = classifyDocument(pages);
    run.classifiedAs = classification.kind;
    if (classification.kind === 'other') {
      return done('needs_review', [`not recognised as an invoice or a contract (classifier confidence ${classification.confidence.toFixed(2)})`]);
    }
    const kind: ExtractableKind = classification.kind;
    const extract = (tier: ModelTier, purpose: TierCall['purpose'], from: number, to: number, focusFields?: string[]) =>
      extractRange(run, bytes, tier, kind, pages, parsed.pageCount, purpose, from, to, focusFields);
    const failedChecks = (s: ScoredReadings) => s.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.message}`);
    /** The after-deep routing input for a deep result (none: the deep reading failed). */
    const afterDeep = (scored: ScoredReadings | null | undefined, failedChunks: number) => ({
      stage: 'after-deep' as const,
      confidence: scored?.confidence ?? 0,
      failedChecks: scored ? failedChecks(scored) : [],
      failedChunks,
      missingRequired: scored?.missingRequired ?? [],
    });

    // The deep tier on the whole document, for the frontier (every document, whatever the policy says).
    if (mode === 'both' && tiers.deep) {
      const deep = await extract(tiers.deep, 'whole', 1, parsed.pageCount);
      run.deepWhole = scoreReadings(kind, deep ? [deep] : [], pages, today);
    }

    if (first.action === 'review') return done('needs_review', first.reasons);

    const runDeepOn = async (ranges: { pageFrom: number; pageTo: number }[], focus: string[], fastReadings: Reading[]) => {
      const spent = run.calls.reduce((sum, c) => sum.plus(c.costUsd), new Decimal(0)).toNumber();
      const usage = expectedEscalationUsage(
        ranges,
        pages.map((p) => ({ pageNumber: p.pageNumber, tokens: pageTokens[p.pageNumber - 1] ?? 0, imageOnly: p.imageOnly })),
      );
      const estimated = Number(costOf(config.prices, tiers.deep!.model, usage));
      const budget = decide({ stage: 'budget', spentUsd: spent, estimatedUsd: estimated, budgetUsd: config.routing.docBudgetUsd });
      if (budget.action !== 'deep') return { budget, scored: null, failedChunks: 0 };
      run.route.push('pro');
      const outcomes = await Promise.all(ranges.map((r) => extract(tiers.deep!, 'escalation', r.pageFrom, r.pageTo, focus)));
      const deepReadings = outcomes.filter((o): o is Reading => o !== null);
      return {
        budget,
        scored: scoreReadings(kind, [...fastReadings, ...deepReadings], pages, today),
        failedChunks: outcomes.length - deepReadings.length,
      };
    };

    let candidate: ScoredReadings | null = null;
    let next: ReturnType<typeof decide>;
    if (first.action === 'fast') {
      const chunks = chunkPages(pageTokens.map((t, i) => ({ pageNumber: i + 1, tokens: t })), config.routing.chunkTokens);
      run.route.push('flash');
      const outcomes = await Promise.all(chunks.map((c) => extract(tiers.fast, 'chunk', c.pageFrom, c.pageTo)));
      const fastReadings = outcomes.filter((o): o is Reading => o !== null);
      const failedRanges = chunks.filter((_, i) => outcomes[i] === null);
      candidate = scoreReadings(kind, fastReadings, pages, today);
      run.fast = candidate;
      const afterFast = {
        stage: 'after-fast' as const,
        confidence: candidate.confidence,
        failedChecks: failedChecks(candidate),
        failedChunks: failedRanges.length,
        missingRequired: candidate.missingRequired,
      };
      next = decide(afterFast);
      run.wouldEscalate = decideRoute(afterFast, thresholds, { ...caps, deepAvailable: true }).action === 'deep';
      if (next.action === 'deep') {
        if (mode === 'both') {
          // Approximation: the escalation's result is the deep tier's whole-document reading.
          run.route.push('pro');
          candidate = run.deepWhole;
          next = decide(afterDeep(candidate, candidate ? 0 : 1));
        } else if (mode === 'routed') {
          const plan = escalationPlan(kind, candidate, failedRanges, pages, config.routing.minConfidence);
          const deep = await runDeepOn(plan.ranges, plan.focusFields, fastReadings);
          if (!deep.scored) {
            run.result = candidate;
            return done('needs_review', [...next.reasons, ...deep.budget.reasons]);
          }
          candidate = deep.scored;
          next = decide(afterDeep(candidate, deep.failedChunks));
        } else {
          run.result = candidate;
          return done('needs_review', [...next.reasons, 'the deep tier was not run (--tiers flash)']);
        }
      }
    } else {
      // Long or scanned: the deep tier reads the whole document.
      if (mode === 'both') {
        run.route.push('pro');
        candidate = run.deepWhole;
      } else {
        const deep = await runDeepOn([{ pageFrom: 1, pageTo: parsed.pageCount }], [], []);
        if (!deep.scored) return done('needs_review', [...first.reasons, ...deep.budget.reasons]);
        candidate = deep.scored;
      }
      next = decide(afterDeep(candidate, candidate ? 0 : 1));
    }
    run.result = candidate;
    return next.action === 'accept' ? done('extracted', next.reasons) : done('needs_review', next.reasons);
  } catch (error) {
    return done('failed', [error instanceof Error ? error.message : String(error)]);
  }
}

/**
 * What an escalation sends, as planEscalation decides it: the fast tier's failed
 * chunks, and the pages cited by each field worth a deep look (the first and
 * last pages for a field with no evidence); the whole document when that is nothing.
 */
export function escalationPlan(
  kind: ExtractableKind,
  candidate: ScoredReadings,
  failedRanges: readonly { pageFrom: number; pageTo: number }[],
  pages: readonly PageText[],
  minConfidence: number,
): { ranges: { pageFrom: number; pageTo: number }[]; focusFields: string[] } {
  const problems = escalationFields(
    kind,
    candidate.fields,
    { checks: candidate.checks, ungrounded: candidate.ungrounded, missingRequired: candidate.missingRequired },
    minConfidence,
  );
  return planEscalationPages(
    problems,
    failedRanges,
    pages.map((p) => p.pageNumber),
  );
}

/**
 * One tier call over a page range, as extractWithTier makes it: scanned pages
 * rendered for a tier that reads images, the output validated with the kind's
 * schema (invalid → no reading), usage, cost and latency recorded.
 */
async function extractRange(
  run: DocumentRun,
  bytes: Uint8Array,
  tier: ModelTier,
  kind: ExtractableKind,
  allPages: readonly PageText[],
  pageCount: number,
  purpose: TierCall['purpose'],
  pageFrom: number,
  pageTo: number,
  focusFields?: string[],
): Promise<Reading | null> {
  const pages = allPages.filter((p) => p.pageNumber >= pageFrom && p.pageNumber <= pageTo);
  const scanned = pages.filter((p) => p.imageOnly).map((p) => p.pageNumber);
  let images: PageImage[] = [];
  if (tier.readsImages && scanned.length > 0) images = await renderPages(bytes, scanned, { maxSide: 1024 });
  const result = await callTier(tier, { kind, pages, pageCount, images, ...(focusFields?.length ? { focusFields } : {}) });
  run.calls.push({
    tier: tier.tier,
    model: tier.model,
    purpose,
    pageFrom,
    pageTo,
    inputTokens: result.usage?.inputTokens ?? 0,
    outputTokens: result.usage?.outputTokens ?? 0,
    cachedTokens: result.usage?.cachedTokens ?? 0,
    tokensEstimated: result.usage?.estimated ?? true,
    costUsd: result.costUsd,
    latencyMs: result.latencyMs,
    outcome: result.outcome,
    error: result.error,
  });
  return result.fields === null ? null : { tier: tier.tier, pages: { from: pageFrom, to: pageTo }, fields: result.fields };
}
