/**
 * The extraction pipeline, written once: parse → (exact claim) → route → classify
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
  TierInfo,
} from '../../activities/types.ts';
import type { DocumentKind, ExtractableKind, TierName } from '../../schemas/common.ts';
import { chunkPages } from '../chunking/chunk-pages.ts';
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
  tier: TierName;
}

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
   * Optional: an exact reader (an embedded e-invoice, say) may claim the document
   * before classification; its candidate then skips the model tiers. Null: not claimed.
   */
  claimExact?(documentId: string): Promise<ExactClaim | null>;
  /** What kind of document this is (from the text; a scan may be shown to a tier as images). */
  classify(documentId: string, parsed: ParsedSummary, tiers: TierInfo): Promise<Classification>;
  /** One tier over one page range. Null: the call failed after its retries (a failed chunk). */
  extract(input: ExtractInput): Promise<ExtractOutcome | null>;
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
  /** Tiers used, in order. */
  route: TierName[];
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

  const parsed = await ports.parse(documentId);
  result.tokens = parsed.tokens;
  result.pageCount = parsed.pageCount;

  // Extension point: an exact reader claims the document before any model reads it.
  const claim = ports.claimExact ? await ports.claimExact(documentId) : null;
  if (claim) {
    result.kind = claim.kind;
    result.route.push(claim.tier);
    const exact = await decide(afterStage('after-deep', claim.candidate, 0));
    return exact.action === 'accept'
      ? verdict('extracted', { candidate: claim.candidate, reasons: exact.reasons })
      : verdict('needs_review', { candidate: claim.candidate, reasons: exact.reasons });
  }

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
    const outcomes = await Promise.all(
      ranges.map((range) =>
        ports.extract({ documentId, kind, tier, ...range, ...(focusFields?.length ? { focusFields } : {}) }),
      ),
    );
    const okIds = outcomes.filter((o): o is ExtractOutcome => o !== null && o.outcome === 'ok').map((o) => o.attemptId);
    const failedRanges = ranges.filter((_, i) => outcomes[i]?.outcome !== 'ok');
    return { okIds, failedRanges };
  };
  const candidateOf = (stage: 'fast' | 'deep', attemptIds: string[]) => ports.buildCandidate({ documentId, kind, stage, attemptIds });

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
    return { budget, deep: { candidate, failedChunks: deep.failedRanges.length } };
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
    candidate = await candidateOf('fast', fast.okIds);
    result.fastCandidate = candidate;
    next = await decide(afterStage('after-fast', candidate, fast.failedRanges.length));
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
  };
}
