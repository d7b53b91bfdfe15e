/**
 * The extraction pipeline, written once: (exact claim) → parse → route → classify
 * → chunk → extract per chunk in parallel → candidate → route → maybe escalate
 * → route. Pure orchestration over ports: the workflow passes its proxied
 * activities (each under the retry and timeout its work needs), the evaluation
 * passes in-process functions. So what `docroute eval` measures is what the
 * workflow does: the same decisions, in the same order, from the same inputs.
 *
 * Deterministic and free of I/O (it runs inside the workflow sandbox): only ids,
 * counts, codes and short reasons pass through it; document text, field values
 * and check messages stay behind the ports (in Postgres for the workflow).
 *
 * It stops at a verdict (extracted, needs_review, failed) and does not settle
 * the document: the caller does that in one place (the workflow's `settle`).
 */
import type {
  CandidateInput,
  CandidateSummary,
  Classification,
  EscalationInput,
  EscalationPlan,
  ExtractInput,
  ExtractOutcome,
  ParsedSummary,
  RoutingRecord,
  SecondReadingInput,
  SecondReadingOutcome,
  TierInfo,
} from '../../activities/types.ts';
import type { DocumentKind, ExtractableKind, RouteStep, TierName } from '../../schemas/common.ts';
import { chunkPages } from '../chunking/chunk-pages.ts';
import { halveRange } from '../chunking/halves.ts';
import { decideRoute, type RouteDecision, type RouteInput, type RoutingThresholds } from './policy.ts';

export interface PipelineThresholds extends RoutingThresholds {
  chunkTokens: number;
  docBudgetUsd: number;
}

/** What a claim by an exact tier (e.g. a structured e-invoice) hands over: a scored candidate. */
export interface ExactClaim {
  kind: ExtractableKind;
  candidate: CandidateSummary;
  /** Route entry for the record's provenance. */
  tier: RouteStep;
  /** What was read (syntax, profile, where it was found), for the routing decision. */
  found: string;
  /** Tokens of the parsed page text (a hybrid PDF), or null. */
  tokens: number | null;
}

/** An exact tier's answer: its claim, or (null) why it does not claim the document. */
export type ExactOutcome = { claim: ExactClaim; note?: undefined } | { claim: null; note: string };

/**
 * What the pipeline needs from the outside world. Every port takes and returns
 * ids, counts and codes only.
 */
export interface PipelinePorts {
  /** What the configured tiers can do. */
  describeTiers(): Promise<TierInfo>;
  /** Reads the original and its text; throws for a document that cannot be read (a verdict). */
  parse(documentId: string): Promise<ParsedSummary>;
  /**
   * Optional: an exact reader (an e-invoice's XML, or the XML a PDF embeds) may
   * claim the document before it is parsed and classified; its candidate then
   * skips the text rules and model tiers. Throws for a document that is refused
   * (unsafe or foreign XML: a verdict).
   */
  claimExact?(documentId: string): Promise<ExactOutcome>;
  /** What kind of document this is (from the text; a scan may be shown to a tier as images). */
  classify(documentId: string, parsed: ParsedSummary, tiers: TierInfo): Promise<Classification>;
  /** One tier over one page range. Null: the call failed after its retries (a failed chunk). */
  extract(input: ExtractInput): Promise<ExtractOutcome | null>;
  /**
   * Optional (batch mode): the fast tier over all its ranges through a batch API.
   * One outcome per range (null: ask that range online), or null when the whole
   * batch was given up (every range goes online). Absent: every call is online.
   */
  extractBatch?(input: { kind: ExtractableKind; tier: TierName; ranges: { pageFrom: number; pageTo: number; chunkIndex: number | null }[] }): Promise<(ExtractOutcome | null)[] | null>;
  /**
   * Optional: a second, independent reading of the required fields by a cheap
   * model (TierInfo.checkModel), after the fast tier; its agreement with the
   * first reading moves the earned confidence (src/extraction/second-reading.ts).
   * Null: it failed after its retries (the run goes on without it).
   */
  secondReading?(input: SecondReadingInput): Promise<SecondReadingOutcome | null>;
  /** Merges, grounds, validates and scores the stage's attempts. */
  buildCandidate(input: CandidateInput): Promise<CandidateSummary>;
  /** What the deep tier should read, and what that costs against what was spent. */
  planEscalation(input: EscalationInput): Promise<EscalationPlan>;
  /** Records a routing decision with its inputs (audit). */
  recordRouting(record: RoutingRecord): Promise<void>;
}

export interface PipelineInput {
  documentId: string;
  routing: PipelineThresholds;
}

export interface PipelineDecision {
  stage: RouteInput['stage'];
  action: RouteDecision['action'];
  reasons: string[];
  input: RouteInput;
}

export interface PipelineResult {
  status: 'extracted' | 'needs_review' | 'failed';
  kind: DocumentKind | null;
  /** Tiers used, in order ("xml": the exact e-invoice tier). */
  route: RouteStep[];
  /** The candidate the verdict is about (null: nothing was extracted). */
  candidate: CandidateSummary | null;
  /** The fast tier's candidate, when the fast tier ran (the evaluation scores it). */
  fastCandidate: CandidateSummary | null;
  /** Why it went to review or failed, or why it was accepted. */
  reasons: string[];
  error: string | null;
  tokens: number | null;
  pageCount: number | null;
  decisions: PipelineDecision[];
}

/** Routing reasons name checks by code and field, never by value: they pass through workflow history. */
export function routeFailedChecks(candidate: CandidateSummary): string[] {
  return candidate.failedChecks;
}

export async function runPipeline(ports: PipelinePorts, input: PipelineInput): Promise<PipelineResult> {
  const { documentId, routing } = input;
  const result: PipelineResult = {
    status: 'failed',
    kind: null,
    route: [],
    candidate: null,
    fastCandidate: null,
    reasons: [],
    error: null,
    tokens: null,
    pageCount: null,
    decisions: [],
  };
  const verdict = (
    status: PipelineResult['status'],
    details: { candidate?: CandidateSummary | null; reasons?: string[]; error?: string | null },
  ): PipelineResult => {
    result.status = status;
    result.candidate = details.candidate ?? result.candidate;
    result.reasons = details.reasons ?? [];
    result.error = details.error ?? null;
    return result;
  };

  const tiers = await ports.describeTiers();
  const decide = async (routeInput: RouteInput): Promise<RouteDecision> => {
    const decision = decideRoute(routeInput, routing, tiers);
    result.decisions.push({ stage: routeInput.stage, action: decision.action, reasons: decision.reasons, input: routeInput });
    await ports.recordRouting({
      documentId,
      sequence: result.decisions.length,
      stage: routeInput.stage,
      action: decision.action,
      reasons: decision.reasons,
      inputs: { ...routeInput, thresholds: routing, tiers },
    });
    return decision;
  };

  // An exact reader (an e-invoice's XML) claims the document before any text rule or model reads it.
  if (ports.claimExact) {
    const exact = await ports.claimExact(documentId);
    const claim = exact.claim;
    if (claim) {
      result.kind = claim.kind;
      result.route.push(claim.tier);
      result.tokens = claim.tokens;
      const decision = await decide({
        stage: 'exact',
        claimed: true,
        found: claim.found,
        failedChecks: routeFailedChecks(claim.candidate),
        missingRequired: claim.candidate.missingRequired,
      });
      return decision.action === 'accept'
        ? verdict('extracted', { candidate: claim.candidate, reasons: decision.reasons })
        : verdict('needs_review', { candidate: claim.candidate, reasons: decision.reasons });
    }
    await decide({ stage: 'exact', claimed: false, found: exact.note, failedChecks: [], missingRequired: [] });
  }

  const parsed = await ports.parse(documentId);
  result.tokens = parsed.tokens;
  result.pageCount = parsed.pageCount;

  // Route before classifying: a scan no tier can read has no text to classify.
  const first = await decide({
    stage: 'initial',
    tokens: parsed.tokens,
    pageCount: parsed.pageCount,
    imageOnlyPages: parsed.imageOnlyPages.length,
  });
  if (first.action === 'reject') return verdict('failed', { error: first.reasons.join('; ') });
  const classification = await ports.classify(documentId, parsed, tiers);
  result.kind = classification.kind;
  if (classification.kind === 'other') {
    return verdict('needs_review', {
      reasons: [`not recognised as an invoice or a contract (classifier confidence ${classification.confidence.toFixed(2)})`],
    });
  }
  const kind: ExtractableKind = classification.kind;
  if (first.action === 'review') return verdict('needs_review', { reasons: first.reasons });

  type Range = { pageFrom: number; pageTo: number; chunkIndex: number | null };
  /** One place where a tier is called: over page ranges, in parallel; a range that fails counts as a failed chunk. */
  const runTier = async (tier: TierName, ranges: Range[], focusFields?: string[]) => {
    result.route.push(tier);
    // Batch mode (fast tier): what the batch answered is kept; the rest is asked online.
    const batched = tier === 'flash' && !focusFields?.length && ports.extractBatch ? await ports.extractBatch({ kind, tier, ranges }) : null;
    /**
     * One range: its ok attempts and the parts that failed. A range whose answer
     * was cut off (outcome cut_off) is asked again in halves, each a call of its
     * own (recursively; src/chunking/halves.ts); a single page is never cut_off
     * (the tier rejects it: not accepted as complete).
     */
    const readRange = async (range: Range, answered?: ExtractOutcome | null): Promise<{ okIds: string[]; failed: Range[] }> => {
      const outcome = answered ?? (await ports.extract({ documentId, kind, tier, ...range, ...(focusFields?.length ? { focusFields } : {}) }));
      if (outcome?.outcome === 'ok') return { okIds: [outcome.attemptId], failed: [] };
      const split = outcome?.outcome === 'cut_off' ? halveRange(range) : null;
      if (!split) return { okIds: [], failed: [range] };
      const parts = await Promise.all(split.map((half) => readRange(half)));
      return { okIds: parts.flatMap((p) => p.okIds), failed: parts.flatMap((p) => p.failed) };
    };
    const read = await Promise.all(ranges.map((range, i) => readRange(range, batched?.[i] ?? null)));
    const okIds = read.flatMap((r) => r.okIds);
    const failedRanges = read.flatMap((r) => r.failed);
    // A chunk counts once however many of its parts failed.
    const failedChunks = read.filter((r) => r.failed.length > 0).length;
    return { okIds, failedRanges, failedChunks };
  };
  /** The second reading's attempt, when one was made and answered (compared with both stages' candidates). */
  let secondReadingId: string | null = null;
  const candidateOf = (stage: 'fast' | 'deep', attemptIds: string[]) =>
    ports.buildCandidate({ documentId, kind, stage, attemptIds, ...(secondReadingId ? { secondReadingId } : {}) });

  /** The deep tier on what the plan says, if the document's budget allows it; null when it does not. */
  const runDeep = async (plan: EscalationPlan, fastIds: string[]) => {
    const budget = await decide({
      stage: 'budget',
      spentUsd: plan.spentUsd,
      estimatedUsd: plan.estimatedCostUsd,
      budgetUsd: routing.docBudgetUsd,
    });
    if (budget.action !== 'deep') return { budget, deep: null };
    const deep = await runTier(
      'pro',
      plan.ranges.map((r) => ({ ...r, chunkIndex: null })),
      plan.focusFields,
    );
    const candidate = await candidateOf('deep', [...fastIds, ...deep.okIds]);
    return { budget, deep: { candidate, failedChunks: deep.failedChunks } };
  };

  let candidate: CandidateSummary;
  let next: RouteDecision;
  if (first.action === 'fast') {
    const chunks = chunkPages(
      parsed.pageTokens.map((t, i) => ({ pageNumber: i + 1, tokens: t })),
      routing.chunkTokens,
    );
    const fast = await runTier(
      'flash',
      chunks.map((c) => ({ pageFrom: c.pageFrom, pageTo: c.pageTo, chunkIndex: c.index })),
    );
    // The cheap second reading of the required fields, over the document the fast tier read.
    if (ports.secondReading && tiers.checkModel && fast.okIds.length > 0) {
      const second = await ports.secondReading({ documentId, kind, pageFrom: 1, pageTo: parsed.pageCount });
      if (second?.outcome === 'ok' && second.attemptId) secondReadingId = second.attemptId;
    }
    candidate = await candidateOf('fast', fast.okIds);
    result.fastCandidate = candidate;
    next = await decide(afterStage('after-fast', candidate, fast.failedChunks));
    if (next.action === 'deep') {
      const plan = await ports.planEscalation({
        documentId,
        candidateId: candidate.candidateId,
        failedRanges: fast.failedRanges.map(({ pageFrom, pageTo }) => ({ pageFrom, pageTo })),
        minConfidence: routing.minConfidence,
      });
      const escalated = await runDeep(plan, fast.okIds);
      if (!escalated.deep) return verdict('needs_review', { candidate, reasons: [...next.reasons, ...escalated.budget.reasons] });
      candidate = escalated.deep.candidate;
      next = await decide(afterStage('after-deep', candidate, escalated.deep.failedChunks));
    }
  } else {
    // Long or scanned: the deep tier reads the whole document.
    const plan = await ports.planEscalation({ documentId, candidateId: null, failedRanges: [], minConfidence: routing.minConfidence });
    const escalated = await runDeep(plan, []);
    if (!escalated.deep) return verdict('needs_review', { reasons: [...first.reasons, ...escalated.budget.reasons] });
    candidate = escalated.deep.candidate;
    next = await decide(afterStage('after-deep', candidate, escalated.deep.failedChunks));
  }
  return next.action === 'accept'
    ? verdict('extracted', { candidate, reasons: next.reasons })
    : verdict('needs_review', { candidate, reasons: next.reasons });
}

function afterStage(stage: 'after-fast' | 'after-deep', candidate: CandidateSummary, failedChunks: number): RouteInput {
  return {
    stage,
    confidence: candidate.confidence,
    failedChecks: routeFailedChecks(candidate),
    failedChunks,
    missingRequired: candidate.missingRequired,
    ...(candidate.explained && Object.keys(candidate.explained).length > 0 ? { explained: candidate.explained } : {}),
    ...(candidate.valueConfidences ? { valueConfidences: candidate.valueConfidences } : {}),
  };
}
