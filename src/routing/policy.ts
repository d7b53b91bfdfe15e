/**
 * The routing policy: which tier reads a document next, or whether it is done.
 * Pure and deterministic, so the workflow can call it directly and its decisions
 * are part of the workflow history (replayable). Every decision carries a reason
 * a person can read, and the inputs it was made from are recorded beside it.
 *
 * Stages:
 * - `initial`: after parsing. Long documents (> longDocTokens) go to the deep tier
 *   whole; scanned documents go to a tier that reads images; the rest to the fast tier.
 * - `after-fast`: confident, consistent and complete, and (when the tiers have a
 *   measured value floor) every reported value at or above it → accept; otherwise escalate
 *   to the deep tier, or to human review when there is no deep tier.
 * - `after-deep`: confident, consistent and complete → accept; otherwise review.
 * - `exact`: before parsing, an exact reader (an e-invoice's XML) may claim the
 *   document: every one of the standard's checks passes and nothing required is
 *   missing → accept; otherwise review (never a model's guess over the XML). Not
 *   claimed → `text`: the text/model path, with what was found as the reason.
 * - `budget`: before any deep-tier call, the document's spend so far plus the
 *   call's estimated cost must stay within the per-document budget; otherwise review.
 */

export type RouteAction = 'fast' | 'deep' | 'accept' | 'review' | 'reject' | 'text';

export interface RouteDecision {
  action: RouteAction;
  /** Human-readable reasons; the first is the headline. */
  reasons: string[];
}

export interface RoutingThresholds {
  longDocTokens: number;
  minConfidence: number;
}

export interface TierCapabilities {
  deepAvailable: boolean;
  fastReadsImages: boolean;
  deepReadsImages: boolean;
  /**
   * The lowest value confidence at which the tiers' values were measured ≥ 99%
   * right (TierInfo.valueFloor); null or absent: none measured, and documents are
   * accepted on their document confidence alone (runs started before it existed too).
   */
  valueFloor?: number | null;
}

export interface InitialRouteInput {
  stage: 'initial';
  tokens: number;
  pageCount: number;
  imageOnlyPages: number;
}

export interface ExtractionRouteInput {
  stage: 'after-fast' | 'after-deep';
  /** Document confidence in [0,1]. */
  confidence: number;
  /** Names and messages of the validation checks that failed. */
  failedChecks: string[];
  /** Chunks the tier could not extract (errors, invalid output). */
  failedChunks: number;
  /** Required fields with no value. */
  missingRequired: string[];
  /** Failed checks explained in words (code → reason without values); such a check is reported in its words. */
  explained?: Record<string, string>;
  /** The confidence of each reported value by path ("term", "parties[2]"); held against the tiers' value floor. */
  valueConfidences?: Record<string, number>;
}

export interface BudgetRouteInput {
  stage: 'budget';
  /** USD already spent on this document's model calls. */
  spentUsd: number;
  /** USD the planned deep-tier call is expected to cost. */
  estimatedUsd: number;
  budgetUsd: number;
}

export interface ExactRouteInput {
  stage: 'exact';
  /** Whether the exact reader read the document. */
  claimed: boolean;
  /** What it found (or why nothing): the syntax and profile read, or "the PDF embeds no files". */
  found: string;
  /** Codes of the failed checks (the standard's rule ids, the page-versus-XML cross-check). */
  failedChecks: string[];
  missingRequired: string[];
}

export type RouteInput = InitialRouteInput | ExtractionRouteInput | BudgetRouteInput | ExactRouteInput;

export function decideRoute(input: RouteInput, thresholds: RoutingThresholds, tiers: TierCapabilities): RouteDecision {
  switch (input.stage) {
    case 'initial':
      return decideInitial(input, thresholds, tiers);
    case 'budget':
      return decideBudget(input);
    case 'exact':
      return decideExact(input);
    default:
      return decideAfterExtraction(input, thresholds, tiers);
  }
}

function decideExact(input: ExactRouteInput): RouteDecision {
  if (!input.claimed) return { action: 'text', reasons: [input.found] };
  const problems = [
    ...input.missingRequired.map((f) => `required field missing from the XML: ${f}`),
    ...input.failedChecks.map((c) => `check failed: ${c}`),
  ];
  return problems.length === 0
    ? { action: 'accept', reasons: [`read exactly from ${input.found}; every check passed`] }
    : { action: 'review', reasons: problems };
}

function decideBudget(input: BudgetRouteInput): RouteDecision {
  const usd = (n: number) => `$${n.toFixed(4)}`;
  const projected = input.spentUsd + input.estimatedUsd;
  const sum = `spent ${usd(input.spentUsd)} + estimated ${usd(input.estimatedUsd)} = ${usd(projected)}`;
  return projected <= input.budgetUsd
    ? { action: 'deep', reasons: [`within the document budget: ${sum} ≤ ${usd(input.budgetUsd)}`] }
    : { action: 'review', reasons: [`cost budget reached: ${sum} > ${usd(input.budgetUsd)} (DOCROUTE_DOC_BUDGET_USD)`] };
}

function decideInitial(input: InitialRouteInput, thresholds: RoutingThresholds, tiers: TierCapabilities): RouteDecision {
  const scanned = input.pageCount > 0 && input.imageOnlyPages === input.pageCount;
  if (scanned && !tiers.fastReadsImages && !(tiers.deepAvailable && tiers.deepReadsImages)) {
    return {
      action: 'reject',
      reasons: [
        `no text layer on any of its ${input.pageCount} page(s) (a scan), and no configured model tier reads page images; set GEMINI_API_KEY to enable one`,
      ],
    };
  }
  if (input.tokens > thresholds.longDocTokens) {
    const headline = `long document: ${input.tokens} tokens > ${thresholds.longDocTokens}`;
    return tiers.deepAvailable
      ? { action: 'deep', reasons: [`${headline}; the deep tier reads it whole`] }
      : { action: 'review', reasons: [`${headline}, and the deep tier is unavailable`] };
  }
  if (scanned && !tiers.fastReadsImages) {
    return { action: 'deep', reasons: ['scanned document; the fast tier does not read page images'] };
  }
  return {
    action: 'fast',
    reasons: [`${input.tokens} tokens ≤ ${thresholds.longDocTokens}; the fast tier extracts it chunk by chunk`],
  };
}

function decideAfterExtraction(
  input: ExtractionRouteInput,
  thresholds: RoutingThresholds,
  tiers: TierCapabilities,
): RouteDecision {
  const problems: string[] = [];
  if (input.failedChunks > 0) problems.push(`${input.failedChunks} chunk(s) could not be extracted`);
  if (input.missingRequired.length > 0) problems.push(`required fields missing: ${input.missingRequired.join(', ')}`);
  if (input.confidence < thresholds.minConfidence) {
    problems.push(`confidence ${input.confidence.toFixed(3)} < ${thresholds.minConfidence}`);
  }
  for (const check of input.failedChecks) problems.push(input.explained?.[check] ?? `check failed: ${check}`);
  // Accepted values go into the books unseen: each must be at a confidence whose values were measured ≥ 99% right.
  const floor = tiers.valueFloor ?? null;
  const weak = floor === null ? [] : Object.entries(input.valueConfidences ?? {}).filter(([, c]) => c < floor);
  if (weak.length > 0) {
    problems.push(`values below the value floor ${floor}: ${weak.map(([path, c]) => `${path} (${c.toFixed(2)})`).join(', ')}`);
  }

  if (problems.length === 0) {
    const values = floor === null ? '' : `, every value ≥ ${floor}`;
    return {
      action: 'accept',
      reasons: [`confidence ${input.confidence.toFixed(3)} ≥ ${thresholds.minConfidence}${values} and every check passed`],
    };
  }
  if (input.stage === 'after-fast' && tiers.deepAvailable) return { action: 'deep', reasons: problems };
  const why = input.stage === 'after-fast' ? 'the deep tier is unavailable' : 'the deep tier could not resolve it';
  return { action: 'review', reasons: [...problems, why] };
}
