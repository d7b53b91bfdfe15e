import { ActivityFailure, ApplicationFailure, log, proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities/index.ts';
import type { CandidateSummary, ExtractOutcome, TierInfo } from '../activities/types.ts';
import type { DocumentKind, TierName } from '../schemas/common.ts';
import { chunkPages } from '../src/chunking/chunk-pages.ts';
import { decideRoute, type RouteDecision, type RouteInput, type RoutingThresholds } from '../src/routing/policy.ts';

export interface ExtractDocumentInput {
  documentId: string;
  /** Thresholds as configured when the document arrived; kept in the history for replay and audit. */
  routing: RoutingThresholds & { chunkTokens: number };
}

export interface ExtractDocumentResult {
  documentId: string;
  status: 'extracted' | 'needs_review' | 'failed';
  kind: DocumentKind | null;
  route: TierName[];
  confidence: number | null;
  tokens: number | null;
  reasons: string[];
  error: string | null;
}

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
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumAttempts: 3, nonRetryableErrorTypes: ['TierUnavailable'] },
});

/**
 * One document, from its original to a validated record (or the review queue, or
 * a recorded failure): parse → classify → chunk → extract per chunk in parallel →
 * merge and validate → route → persist. Orchestration only: every read and
 * write happens in activities, and only ids and counts pass through here.
 */
export async function extractDocument(input: ExtractDocumentInput): Promise<ExtractDocumentResult> {
  const { documentId } = input;
  const route: TierName[] = [];
  let kind: DocumentKind | null = null;
  let tokens: number | null = null;
  let sequence = 0;

  const finish = async (
    status: ExtractDocumentResult['status'],
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
    return { documentId, status, kind, route, confidence: details.candidate?.confidence ?? null, tokens, reasons, error };
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

    const runTier = async (tier: TierName, ranges: { pageFrom: number; pageTo: number; chunkIndex: number | null }[]) => {
      route.push(tier);
      const outcomes = await Promise.all(
        ranges.map(async (range): Promise<ExtractOutcome | null> => {
          try {
            return await models.extractWithTier({ documentId, kind: extractable, tier, ...range });
          } catch (err) {
            if (err instanceof ActivityFailure) return null; // recorded by the activity; counts as a failed chunk
            throw err;
          }
        }),
      );
      const ok = outcomes.filter((o): o is ExtractOutcome => o !== null && o.outcome === 'ok');
      const candidate = await store.buildCandidate({
        documentId,
        kind: extractable,
        stage: tier === 'flash' ? 'fast' : 'deep',
        attemptIds: ok.map((o) => o.attemptId),
      });
      return { candidate, failedChunks: outcomes.length - ok.length };
    };

    const wholeDocument = [{ pageFrom: 1, pageTo: parsed.pageCount, chunkIndex: null }];
    let candidate: CandidateSummary;
    let stage: 'after-fast' | 'after-deep';
    let failedChunks: number;
    if (first.action === 'fast') {
      const chunks = chunkPages(
        parsed.pageTokens.map((t, i) => ({ pageNumber: i + 1, tokens: t })),
        input.routing.chunkTokens,
      );
      ({ candidate, failedChunks } = await runTier(
        'flash',
        chunks.map((c) => ({ pageFrom: c.pageFrom, pageTo: c.pageTo, chunkIndex: c.index })),
      ));
      stage = 'after-fast';
    } else {
      ({ candidate, failedChunks } = await runTier('pro', wholeDocument));
      stage = 'after-deep';
    }

    let next = await decide(
      {
        stage,
        confidence: candidate.confidence,
        failedChecks: candidate.failedChecks,
        failedChunks,
        missingRequired: candidate.missingRequired,
      },
      tiers,
    );
    if (next.action === 'deep') {
      ({ candidate, failedChunks } = await runTier('pro', wholeDocument));
      next = await decide(
        {
          stage: 'after-deep',
          confidence: candidate.confidence,
          failedChecks: candidate.failedChecks,
          failedChunks,
          missingRequired: candidate.missingRequired,
        },
        tiers,
      );
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
