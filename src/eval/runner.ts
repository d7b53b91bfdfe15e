/**
 * Runs labelled documents through the extraction pipeline in process: the same
 * orchestration as the workflow (src/routing/pipeline.ts: the same decisions in
 * the same order), over ports that do what the workflow's activities do on the
 * file and the tiers directly (parsePdf, estimateTokens, the tier's countTokens,
 * classifyDocument and a scan's classification from page images, the tiers'
 * extract with the schema check, scoreReadings, escalationFields, costOf), minus
 * Temporal and Postgres: what it measures is what the pipeline extracts and how
 * it routes, not durability. Not simulated: the duplicate-invoice check (it
 * needs the records of earlier documents).
 */
import { readFile } from 'node:fs/promises';
import { Decimal } from 'decimal.js';
import type { Classification, EscalationPlan, ParsedSummary, TierInfo } from '../../activities/types.ts';
import { INVOICE_REQUIRED_FIELDS, type ExtractableKind, type RouteStep, type TierName } from '../../schemas/index.ts';
import { classifyDocument } from '../classify/classify.ts';
import type { Config } from '../config/config.ts';
import { costOf } from '../costs/prices.ts';
import { explainChecks, failedCheckCodes, scoreReadings, type Reading, type ScoredReadings } from '../extraction/candidate.ts';
import { callTier, invalidCodeOf } from '../extraction/call-tier.ts';
import { tiersValueFloor } from '../extraction/tiers.ts';
import { reportedValueConfidences } from '../extraction/confidence.ts';
import { escalationFields, expectedEscalationUsage, planEscalationPages, toRanges } from '../extraction/escalation.ts';
import type { ModelTier, PageImage, PageText, SecondReader } from '../extraction/model-tier.ts';
import type { SecondReading } from '../extraction/second-reading.ts';
import { estimateTokens } from '../extraction/rules/tokens.ts';
import { ocrScannedPages } from '../ocr/ocr-pages.ts';
import { parsePdf } from '../pdf/parse-pdf.ts';
import { renderPages } from '../pdf/render-pages.ts';
import { runPipeline, type ExactOutcome, type PipelinePorts, type PipelineResult } from '../routing/pipeline.ts';
import { EXACT_TIER, readExact, scoreExact } from '../einvoice/exact-tier.ts';
import type { CheckResult } from '../validation/checks.ts';
import { decideRoute, type RouteAction, type RoutingThresholds } from '../routing/policy.ts';
import type { LabelledDocument } from './loaders.ts';

/**
 * - `routed`: what production does (fast tier; escalation to the deep tier
 *   when the policy says so and one is configured).
 * - `fast`: the fast tier only, routed as a deployment without a deep tier
 *   (`wouldEscalate` still says what the policy would do with one).
 * - `both`: routed, plus every document read whole by the deep tier, for the
 *   routing frontier.
 */
export type EvalMode = 'routed' | 'fast' | 'both';

export interface TierCall {
  /** The tier: a model tier, or "xml" (the exact e-invoice tier: no model, cost 0, as its attempt row in the workflow). */
  tier: RouteStep;
  model: string;
  /** Which reading: a fast chunk, an escalation, a whole-document deep reading, a scan's classification, a second reading of the required fields, or an e-invoice's XML. */
  purpose: 'chunk' | 'escalation' | 'whole' | 'classification' | 'second-reading' | 'exact';
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
  stage: 'exact' | 'initial' | 'after-fast' | 'budget' | 'after-deep';
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
  route: RouteStep[];
  /** The routed result (what the candidate would be); null when nothing was extracted. */
  result: ScoredReadings | null;
  /** The fast tier's result (after-fast candidate), when it ran. */
  fast: ScoredReadings | null;
  /** The deep tier's whole-document result (mode `both`). */
  deepWhole: ScoredReadings | null;
  /** True when the policy would send the document to the deep tier after the fast one, were one available. */
  wouldEscalate: boolean;
  /**
   * When a second reading was compared (tiers.check): the fast tier's result
   * scored WITHOUT it, from the same readings, for the with/without comparison.
   */
  fastWithoutSecondReading: ScoredReadings | null;
  /** Chunks the fast tier could not extract (the after-fast decision's input), 0 when it did not run. */
  fastFailedChunks: number;
  /** The value floor routing applied (TierInfo.valueFloor); null: none. */
  valueFloor: number | null;
  calls: TierCall[];
}

export interface RunnerOptions {
  /** With `einvoice.enabled`, the exact e-invoice tier claims what it can first, as in the workflow; with `ocr: 'auto'`, scans are read offline. */
  config: Pick<Config, 'routing' | 'limits' | 'prices'> & Partial<Pick<Config, 'einvoice' | 'ocr'>>;
  /** `check`: the second, independent reader of required fields (as the workflow's secondReading activity), when configured. */
  tiers: { fast: ModelTier; deep: ModelTier | null; check?: SecondReader | null };
  mode: EvalMode;
  /** YYYY-MM-DD, for date plausibility checks. */
  today: string;
  concurrency?: number;
  onDocument?: (run: DocumentRun) => void;
}

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
    fastWithoutSecondReading: null,
    fastFailedChunks: 0,
    valueFloor: null,
    calls: [],
  };
  const done = (status: DocumentRun['status'], reasons: string[]) => {
    run.status = status;
    run.reasons = reasons;
    run.totalMs = Math.round(performance.now() - started);
    return run;
  };

  const ports = evaluationPorts(run, options);
  let result: PipelineResult;
  try {
    result = await runPipeline(ports, {
      documentId: doc.name,
      routing: { ...thresholds, chunkTokens: config.routing.chunkTokens, docBudgetUsd: config.routing.docBudgetUsd },
    });
  } catch (error) {
    return done('failed', [error instanceof Error ? error.message : String(error)]);
  }
  run.decisions = result.decisions.map(({ stage, action, reasons }) => ({ stage, action, reasons }));
  run.route = result.route;
  run.classifiedAs = result.kind;
  run.result = result.candidate ? ports.scored(result.candidate.candidateId) : null;
  run.fast = result.fastCandidate ? ports.scored(result.fastCandidate.candidateId) : null;
  run.fastWithoutSecondReading = result.fastCandidate ? ports.scoredWithoutSecondReading(result.fastCandidate.candidateId) : null;
  const afterFast = result.decisions.find((d) => d.stage === 'after-fast');
  if (afterFast) {
    if (afterFast.input.stage === 'after-fast') run.fastFailedChunks = afterFast.input.failedChunks;
    const capabilities = { deepAvailable: true, fastReadsImages: tiers.fast.readsImages, deepReadsImages: tiers.deep?.readsImages ?? false };
    run.wouldEscalate = decideRoute(afterFast.input, thresholds, capabilities).action === 'deep';
  }
  // The deep tier on the whole document, for the frontier (every document the models read, whatever the policy said).
  if (mode === 'both' && tiers.deep && (result.kind === 'invoice' || result.kind === 'contract')) {
    run.deepWhole = await ports.readWhole(result.kind);
  }
  return done(result.status, result.status === 'failed' ? [result.error ?? 'failed'] : result.reasons);
}

/**
 * The pipeline's ports, in process: what the workflow's activities do, on the
 * file and the tiers directly, minus Temporal and Postgres (no duplicate-invoice
 * check: it needs the records of earlier documents). Candidates are scored as
 * assembleCandidate scores them, including the 4-decimal confidence it stores.
 */
function evaluationPorts(run: DocumentRun, options: RunnerOptions) {
  const { config, tiers, mode, today } = options;
  // `fast`: the fast tier only, as a deployment without a deep tier would route.
  const deep = mode === 'fast' ? null : tiers.deep;
  run.valueFloor = config.routing.valueFloor ? tiersValueFloor({ fast: tiers.fast, deep }) : null;
  let bytes: Uint8Array = new Uint8Array(0);
  let pages: PageText[] = [];
  let pageTokens: number[] = [];
  const readings = new Map<string, Reading>();
  const secondReadings = new Map<string, { fields: SecondReading; model: string }>();
  const candidates = new Map<string, ScoredReadings>();
  /** Candidates that were compared with a second reading, scored without it. */
  const withoutSecond = new Map<string, ScoredReadings>();
  const spent = () => run.calls.reduce((sum, c) => sum.plus(c.costUsd), new Decimal(0)).toNumber();
  const tierOf = (name: TierName) => (name === 'flash' ? tiers.fast : deep);

  let whole: Promise<{ attemptId: string | null; reading: Reading | null }> | null = null;
  /** One whole-document reading by the deep tier per document, made on first use. */
  const readWhole = (kind: ExtractableKind) => {
    whole ??= (async () => {
      const { reading, attemptId } = await extractRange(run, bytes, tiers.deep!, kind, pages, pages.length, 'whole', 1, pages.length);
      if (reading) readings.set(attemptId, reading);
      return { attemptId: reading ? attemptId : null, reading };
    })();
    return whole;
  };

  const ports: PipelinePorts = {
    async describeTiers(): Promise<TierInfo> {
      return {
        fastModel: tiers.fast.model,
        deepModel: deep?.model ?? null,
        deepAvailable: deep !== null,
        fastReadsImages: tiers.fast.readsImages,
        deepReadsImages: deep?.readsImages ?? false,
        checkModel: tiers.check?.model ?? null,
        valueFloor: run.valueFloor,
      };
    },
    async parse(): Promise<ParsedSummary> {
      const file = new Uint8Array(await readFile(run.doc.file));
      if (file.length > config.limits.maxFileBytes) {
        throw new Error(`file too large: ${(file.length / 1048576).toFixed(1)} MiB (DOCROUTE_MAX_FILE_MB)`);
      }
      const parseStart = performance.now();
      let parsed = await parsePdf(file, { maxPages: config.limits.maxPages });
      // Scans without a tier that reads images: offline OCR becomes their text layer (as in parseDocument).
      if (parsed.imageOnlyPages.length > 0 && !tiers.fast.readsImages && config.ocr === 'auto') parsed = (await ocrScannedPages(file, parsed)).parsed;
      run.parseMs = Math.round(performance.now() - parseStart);
      bytes = file;
      pages = parsed.pages;
      pageTokens = pages.map((p) => estimateTokens(p.text));
      const count = await tiers.fast.countTokens(pages);
      run.pageCount = parsed.pageCount;
      run.tokens = count.tokens;
      return { pageCount: parsed.pageCount, imageOnlyPages: parsed.imageOnlyPages, pageTokens, tokens: count.tokens, tokensEstimated: count.estimated };
    },
    async classify(): Promise<Classification> {
      const text = classifyDocument(pages);
      const scanned = pages.filter((p) => p.imageOnly).map((p) => p.pageNumber).slice(0, 2);
      const classify = tiers.fast.classify?.bind(tiers.fast);
      if (text.kind !== 'other' || scanned.length === 0 || !classify) return text;
      try {
        const images = await renderPages(bytes, scanned, { maxSide: 1024 });
        const answer = await classify({ images });
        run.calls.push({
          tier: tiers.fast.tier,
          model: answer.model,
          purpose: 'classification',
          pageFrom: scanned[0]!,
          pageTo: scanned[scanned.length - 1]!,
          inputTokens: answer.usage.inputTokens,
          outputTokens: answer.usage.outputTokens,
          cachedTokens: answer.usage.cachedTokens,
          tokensEstimated: answer.usage.estimated,
          costUsd: answer.costUsd,
          latencyMs: 0,
          outcome: 'ok',
          error: null,
        });
        return { kind: answer.kind, confidence: answer.kind === 'other' ? 0.5 : 0.7 };
      } catch {
        return text;
      }
    },
    async extract(input) {
      const tier = tierOf(input.tier);
      if (!tier) return null;
      if (mode === 'both' && input.tier === 'pro') {
        // Mode `both` reads every document whole with the deep tier anyway: an escalation takes that reading.
        const whole = await readWhole(input.kind);
        return whole.attemptId === null ? null : { attemptId: whole.attemptId, outcome: 'ok' as const, errorCode: null };
      }
      const purpose: TierCall['purpose'] = input.tier === 'flash' ? 'chunk' : 'escalation';
      // As the workflow's runs ask it: a cut-off range comes back (cut_off) and the pipeline asks for its halves.
      const { reading, attemptId, call } = await extractRange(run, bytes, tier, input.kind, pages, pages.length, purpose, input.pageFrom, input.pageTo, input.focusFields, 'return');
      if (call.outcome === 'failed') return null;
      if (reading) readings.set(attemptId, reading);
      const errorCode = call.outcome === 'ok' ? null : invalidCodeOf(call.error);
      return { attemptId, outcome: errorCode === 'cut_off' ? 'cut_off' : call.outcome, errorCode };
    },
    async buildCandidate(input) {
      const stageReadings = [...new Set(input.attemptIds)].map((id) => readings.get(id)).filter((r): r is Reading => r !== undefined);
      const second = input.secondReadingId ? (secondReadings.get(input.secondReadingId) ?? null) : null;
      const scored = scoreReadings(input.kind, stageReadings, pages, today, second);
      const candidateId = `${input.stage}-${candidates.size + 1}`;
      candidates.set(candidateId, scored);
      if (second) withoutSecond.set(candidateId, scoreReadings(input.kind, stageReadings, pages, today));
      return {
        candidateId,
        confidence: Number(scored.confidence.toFixed(4)),
        failedChecks: failedCheckCodes(scored.checks),
        missingRequired: scored.missingRequired,
        ungrounded: scored.ungrounded,
        possibleDuplicateOf: null,
        valueConfidences: scored.valueConfidences,
        explained: explainChecks(scored.checks),
      };
    },
    async planEscalation(input): Promise<EscalationPlan> {
      const pageNumbers = pages.map((p) => p.pageNumber);
      const candidate = input.candidateId === null ? null : candidates.get(input.candidateId);
      const plan = candidate
        ? planEscalationPages(
            escalationFields(
              run.classifiedAs === 'contract' ? 'contract' : 'invoice',
              candidate.fields,
              { checks: candidate.checks, ungrounded: candidate.ungrounded, missingRequired: candidate.missingRequired },
              input.minConfidence,
            ),
            input.failedRanges,
            pageNumbers,
          )
        : { ranges: toRanges(pageNumbers), focusFields: [] };
      const estimated = deep
        ? Number(
            costOf(
              config.prices,
              deep.model,
              expectedEscalationUsage(
                plan.ranges,
                pages.map((p) => ({ pageNumber: p.pageNumber, tokens: pageTokens[p.pageNumber - 1] ?? 0, imageOnly: p.imageOnly })),
                deep,
                'pro',
              ),
            ),
          )
        : 0;
      return { ranges: plan.ranges, focusFields: plan.focusFields, estimatedCostUsd: estimated, spentUsd: spent() };
    },
    async recordRouting() {
      // The pipeline's result carries its decisions.
    },
  };
  const reader = tiers.check;
  if (reader) {
    /** The second, independent reading, as the workflow's secondReading activity makes it (a paid call of its own). */
    ports.secondReading = async (input) => {
      const range = pages.filter((p) => p.pageNumber >= input.pageFrom && p.pageNumber <= input.pageTo);
      if (range.every((p) => p.text.trim() === '')) return { attemptId: null, outcome: 'skipped' };
      const started = performance.now();
      let outcome: TierCall['outcome'] = 'ok';
      let error: string | null = null;
      let usage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0, estimated: true };
      let costUsd = '0';
      let fields: SecondReading | null = null;
      try {
        const answer = await reader.read({ kind: input.kind, pages: range, pageCount: pages.length });
        ({ usage, costUsd } = answer);
        fields = answer.fields;
      } catch (thrown) {
        const spent = thrown as { usage?: typeof usage; costUsd?: string };
        usage = spent.usage ?? usage;
        costUsd = spent.costUsd ?? '0';
        outcome = spent.usage ? 'invalid' : 'failed';
        error = thrown instanceof Error ? thrown.message : String(thrown);
      }
      run.calls.push({
        tier: 'flash',
        model: reader.model,
        purpose: 'second-reading',
        pageFrom: input.pageFrom,
        pageTo: input.pageTo,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cachedTokens: usage.cachedTokens,
        tokensEstimated: usage.estimated,
        costUsd,
        latencyMs: Math.round(performance.now() - started),
        outcome,
        error,
      });
      if (outcome === 'failed') return null;
      const attemptId = `attempt-${run.calls.length}`;
      if (fields) secondReadings.set(attemptId, { fields, model: reader.model });
      return { attemptId, outcome: outcome === 'ok' ? 'ok' : 'invalid' };
    };
  }
  if (config.einvoice?.enabled) {
    /** The exact e-invoice tier, as the workflow's readEInvoice + scoreEInvoice (no duplicate check: no records here). */
    ports.claimExact = async (): Promise<ExactOutcome> => {
      const file = new Uint8Array(await readFile(run.doc.file));
      if (file.length > config.limits.maxFileBytes) return { claim: null, note: 'file too large to read' };
      const started = performance.now();
      const read = await readExact(file);
      if (read.outcome === 'refused') throw new Error(read.note);
      if (read.outcome !== 'read') return { claim: null, note: read.note };
      // The exact tier's reading, priced as its attempt row is in the workflow (readEInvoice): no tokens, cost 0.
      run.calls.push({
        tier: EXACT_TIER.route,
        model: EXACT_TIER.model,
        purpose: 'exact',
        pageFrom: 1,
        pageTo: 1,
        inputTokens: 0,
        outputTokens: 0,
        cachedTokens: 0,
        tokensEstimated: false,
        costUsd: EXACT_TIER.costUsd,
        latencyMs: Math.round(performance.now() - started),
        outcome: 'ok',
        error: null,
      });
      const problems: CheckResult[] = [];
      let exactPages: PageText[] | null = null;
      if (read.container === 'pdf') {
        try {
          await ports.parse(run.doc.name);
          exactPages = pages;
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          problems.push({ name: 'page_matches_xml', passed: false, message: `the PDF's page could not be read to compare it with its XML: ${message}`, fields: [] });
        }
      }
      const score = scoreExact(read, exactPages, problems);
      const missingRequired = INVOICE_REQUIRED_FIELDS.filter((name) => score.fields[name].value === null);
      const candidateId = `exact-${candidates.size + 1}`;
      candidates.set(candidateId, { fields: score.fields, checks: score.checks, ungrounded: [], missingRequired, confidence: score.confidence, valueConfidences: reportedValueConfidences('invoice', score.fields), conflicts: [] });
      return {
        claim: {
          kind: 'invoice',
          tier: 'xml',
          found: read.note,
          tokens: exactPages ? run.tokens : null,
          candidate: {
            candidateId,
            confidence: Number(score.confidence.toFixed(4)),
            failedChecks: failedCheckCodes(score.checks),
            missingRequired,
            ungrounded: [],
            possibleDuplicateOf: null,
          },
        },
      };
    };
  }
  return {
    ...ports,
    scored: (candidateId: string) => candidates.get(candidateId) ?? null,
    /** A candidate compared with a second reading, scored without it (null: it was not compared). */
    scoredWithoutSecondReading: (candidateId: string) => withoutSecond.get(candidateId) ?? null,
    /** The deep tier's reading of the whole document, scored alone (mode `both`, for the frontier). */
    async readWhole(kind: ExtractableKind): Promise<ScoredReadings | null> {
      if (!tiers.deep) return null;
      const whole = await readWhole(kind);
      return scoreReadings(kind, whole.reading ? [whole.reading] : [], pages, today);
    },
  };
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
  splitCutOff: 'in-call' | 'return' = 'in-call',
): Promise<{ reading: Reading | null; attemptId: string; call: TierCall }> {
  const pages = allPages.filter((p) => p.pageNumber >= pageFrom && p.pageNumber <= pageTo);
  const scanned = pages.filter((p) => p.imageOnly).map((p) => p.pageNumber);
  let images: PageImage[] = [];
  if (tier.readsImages && scanned.length > 0) images = await renderPages(bytes, scanned, { maxSide: 1024 });
  const result = await callTier(tier, { kind, pages, pageCount, images, ...(focusFields?.length ? { focusFields } : {}), splitCutOff });
  const call: TierCall = {
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
  };
  // The attempt's id is its call's place in the run, taken when the call is recorded: chunks
  // are read in parallel, so reading `run.calls.length` after the await gave two chunks the
  // same id and the later reading replaced the earlier one.
  const attemptId = `attempt-${run.calls.push(call)}`;
  const reading = result.fields === null ? null : { tier: tier.tier, pages: { from: pageFrom, to: pageTo }, fields: result.fields };
  return { reading, attemptId, call };
}
