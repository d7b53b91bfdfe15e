import { ActivityFailure, ApplicationFailure, condition, log, proxyActivities, setHandler } from '@temporalio/workflow';
import { reviewSignal } from './signals.ts';
import type * as activities from '../activities/index.ts';
import type { CandidateSummary, EscalationPlan, ExtractOutcome, ReviewDecision, TierInfo } from '../activities/types.ts';
import type { DocumentKind, TierName } from '../schemas/common.ts';
import type { ExtractDocumentInput, ExtractDocumentResult } from './extract-document.ts';
import { chunkPages } from '../src/chunking/chunk-pages.ts';
import { decideRoute, type RouteDecision, type RouteInput, type RoutingThresholds } from '../src/routing/policy.ts';

type Acts = ReturnType<typeof activities.createActivities>;

// Database work: retried until the database is back (a crash or outage delays, never loses).
const store = proxyActivities<Acts>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: ['BadDocument'] },
});
// Parsing a hostile PDF could crash or hang a worker; a few attempts, then the document fails.
const parser = proxyActivities<Acts>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2s', maximumAttempts: 3, nonRetryableErrorTypes: ['BadDocument'] },
});
// Model calls: the tier clients do their own HTTP retries; Temporal adds few on top.
const models = proxyActivities<Acts>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: ['TierUnavailable', 'TierRefused', 'TierExhausted'] },
});

/**
 * Version 1 of the extraction workflow, kept verbatim for runs started before
 * the `pipeline-v2` patch (see workflows/patches.ts): they replay and finish
 * through this code. New runs take the v2 path in extract-document.ts. Remove
 * once no v1 run can be open (deprecatePatch first, see test/histories/README.md).
 */
export async function extractDocumentV1(input: ExtractDocumentInput): Promise<ExtractDocumentResult> {
  const { documentId } = input;
  const route: TierName[] = [];
  let kind: DocumentKind | null = null;
  let tokens: number | null = null;
  let sequence = 0;
  let review: ReviewDecision | undefined;
  setHandler(reviewSignal, (decision) => {
    // The first decision wins; later ones (a double click) are ignored.
    review ??= decision;
  });

  const finish = async (
    status: 'extracted' | 'needs_review' | 'failed',
    details: { candidate?: CandidateSummary | null; reasons?: string[]; error?: string | null },
  ): Promise<ExtractDocumentResult> => {
    const reasons = details.reasons ?? [];
    const error = details.error ?? null;
    await store.finishDocument({
      documentId,
      status,
      kind,
      candidateId: details.candidate?.candidateId ?? null,
      route,
      reasons,
      error,
    });
    if (status !== 'needs_review') {
      return { documentId, status, kind, route, confidence: details.candidate?.confidence ?? null, tokens, reasons, error };
    }
    // In review: wait (durably, for days if need be) for a person's decision.
    await condition(() => review !== undefined);
    const decision = review as ReviewDecision;
    log.info('review decision', { documentId, reviewer: decision.reviewer, action: decision.action });
    const outcome = await store.applyReview({
      documentId,
      kind,
      candidateId: details.candidate?.candidateId ?? null,
      decision,
    });
    return {
      documentId,
      status: outcome.status,
      kind,
      route,
      confidence: outcome.confidence,
      tokens,
      reasons,
      error: outcome.error,
    };
  };

  const decide = async (routeInput: RouteInput, tiers: TierInfo): Promise<RouteDecision> => {
    const decision = decideRoute(routeInput, input.routing, tiers);
    sequence += 1;
    log.info('routing decision', { documentId, stage: routeInput.stage, action: decision.action, reasons: decision.reasons });
    await store.recordRouting({
      documentId,
      sequence,
      stage: routeInput.stage,
      action: decision.action,
      reasons: decision.reasons,
      inputs: { ...routeInput, thresholds: input.routing, tiers },
    });
    return decision;
  };

  try {
    const tiers = await store.describeTiers();
    const parsed = await parser.parseDocument(documentId);
    tokens = parsed.tokens;
    // Route before classifying: a scan no tier can read has no text to classify.
    const first = await decide(
      { stage: 'initial', tokens: parsed.tokens, pageCount: parsed.pageCount, imageOnlyPages: parsed.imageOnlyPages.length },
      tiers,
    );
    if (first.action === 'reject') return await finish('failed', { error: first.reasons.join('; ') });
    const classification = await store.classifyDocument(documentId);
    kind = classification.kind;
    if (kind === 'other') {
      return await finish('needs_review', {
        reasons: [`not recognised as an invoice or a contract (classifier confidence ${classification.confidence.toFixed(2)})`],
      });
    }
    const extractable = kind;
    if (first.action === 'review') return await finish('needs_review', { reasons: first.reasons });

    type Range = { pageFrom: number; pageTo: number; chunkIndex: number | null };
    /** Runs a tier over page ranges in parallel; a range that fails (after retries) counts as a failed chunk. */
    const runTier = async (tier: TierName, ranges: Range[], focusFields?: string[]) => {
      route.push(tier);
      const outcomes = await Promise.all(
        ranges.map(async (range): Promise<ExtractOutcome | null> => {
          try {
            return await models.extractWithTier({
              documentId,
              kind: extractable,
              tier,
              ...range,
              ...(focusFields?.length ? { focusFields } : {}),
            });
          } catch (err) {
            if (err instanceof ActivityFailure) return null; // recorded by the activity
            throw err;
          }
        }),
      );
      const okIds = outcomes.filter((o): o is ExtractOutcome => o !== null && o.outcome === 'ok').map((o) => o.attemptId);
      const failedRanges = ranges.filter((_, i) => outcomes[i]?.outcome !== 'ok');
      return { okIds, failedRanges };
    };
    const candidateOf = (stage: 'fast' | 'deep', attemptIds: string[]) =>
      store.buildCandidate({ documentId, kind: extractable, stage, attemptIds });

    /**
     * The deep tier, on what the plan says (only what failed, or the whole
     * document), if the document's budget allows it. Null when the budget does not.
     */
    const runDeep = async (plan: EscalationPlan, fastIds: string[]) => {
      const budget = await decide(
        { stage: 'budget', spentUsd: plan.spentUsd, estimatedUsd: plan.estimatedCostUsd, budgetUsd: input.routing.docBudgetUsd },
        tiers,
      );
      if (budget.action !== 'deep') return { budget, result: null };
      const deep = await runTier(
        'pro',
        plan.ranges.map((r) => ({ ...r, chunkIndex: null })),
        plan.focusFields,
      );
      const candidate = await candidateOf('deep', [...fastIds, ...deep.okIds]);
      return { budget, result: { candidate, failedChunks: deep.failedRanges.length } };
    };
    const afterDeep = (candidate: CandidateSummary, failedChunks: number) =>
      decide(
        {
          stage: 'after-deep',
          confidence: candidate.confidence,
          failedChecks: candidate.failedChecks,
          failedChunks,
          missingRequired: candidate.missingRequired,
        },
        tiers,
      );

    let candidate: CandidateSummary;
    let next: RouteDecision;
    if (first.action === 'fast') {
      const chunks = chunkPages(
        parsed.pageTokens.map((t, i) => ({ pageNumber: i + 1, tokens: t })),
        input.routing.chunkTokens,
      );
      const fast = await runTier(
        'flash',
        chunks.map((c) => ({ pageFrom: c.pageFrom, pageTo: c.pageTo, chunkIndex: c.index })),
      );
      candidate = await candidateOf('fast', fast.okIds);
      next = await decide(
        {
          stage: 'after-fast',
          confidence: candidate.confidence,
          failedChecks: candidate.failedChecks,
          failedChunks: fast.failedRanges.length,
          missingRequired: candidate.missingRequired,
        },
        tiers,
      );
      if (next.action === 'deep') {
        const plan = await store.planEscalation({
          documentId,
          candidateId: candidate.candidateId,
          failedRanges: fast.failedRanges.map(({ pageFrom, pageTo }) => ({ pageFrom, pageTo })),
          minConfidence: input.routing.minConfidence,
        });
        const deep = await runDeep(plan, fast.okIds);
        if (!deep.result) return await finish('needs_review', { candidate, reasons: [...next.reasons, ...deep.budget.reasons] });
        candidate = deep.result.candidate;
        next = await afterDeep(candidate, deep.result.failedChunks);
      }
    } else {
      const plan = await store.planEscalation({ documentId, candidateId: null, failedRanges: [], minConfidence: input.routing.minConfidence });
      const deep = await runDeep(plan, []);
      if (!deep.result) return await finish('needs_review', { reasons: [...first.reasons, ...deep.budget.reasons] });
      candidate = deep.result.candidate;
      next = await afterDeep(candidate, deep.result.failedChunks);
    }
    if (next.action === 'accept') return await finish('extracted', { candidate, reasons: next.reasons });
    return await finish('needs_review', { candidate, reasons: next.reasons });
  } catch (err) {
    const reason = failureReason(err);
    log.warn('document failed', { documentId, reason });
    return await finish('failed', { error: reason });
  }
}

/** The most specific message in a chain of Temporal failures. */
function failureReason(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure && current.message) message = current.message;
    current = (current as { cause?: unknown }).cause;
  }
  return message;
}
