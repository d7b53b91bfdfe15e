/**
 * Touchless rate: the share of documents accepted without review (status
 * `extracted`), and how right the values in them are. This is what a team
 * without a reviewer on every document gets: accepted values go straight into
 * the books, so their accuracy must be very high.
 *
 * Also the acceptance policy the data supports: the lowest document-confidence
 * threshold at which ≥ `target` of the values in accepted documents are right
 * (largest touchless share under that constraint), so the configured
 * DOCROUTE_MIN_CONFIDENCE can be checked against it. The value floor routing
 * applied holds here too: a document with a value under it is never a candidate.
 */
import type { ItemOutcome } from './metrics.ts';

export interface TouchlessDoc {
  status: 'extracted' | 'needs_review' | 'failed';
  /** The routed result's document confidence (null: nothing extracted). */
  confidence: number | null;
  /** Whether every plausibility/arithmetic check passed. */
  checksPassed: boolean;
  /** Whether every reported value reaches the value floor routing applied (true when none applied). */
  valuesAboveFloor: boolean;
  items: readonly ItemOutcome[];
}

export interface ValueTally {
  /** Values reported in accepted documents that match the gold. */
  right: number;
  /** Values reported in accepted documents. */
  reported: number;
  /** right / reported (null: none). */
  accuracy: number | null;
  /** Gold values the accepted documents lack (missed). */
  missed: number;
}

export interface TouchlessFigures {
  /** As the pipeline routed: documents accepted without review. */
  accepted: number;
  documents: number;
  share: number;
  values: ValueTally;
  /** Target share of right values among accepted ones. */
  target: number;
  /** The policy with the largest touchless share whose accepted values are ≥ target right; null when none accepts anything. */
  best: { minConfidence: number; accepted: number; share: number; values: ValueTally } | null;
}

function tally(docs: readonly TouchlessDoc[]): ValueTally {
  const items = docs.flatMap((d) => d.items);
  const reported = items.filter((i) => i.got !== null);
  const right = reported.filter((i) => i.right).length;
  return {
    right,
    reported: reported.length,
    accuracy: reported.length === 0 ? null : right / reported.length,
    missed: items.filter((i) => i.got === null && i.expected !== null).length,
  };
}

export function touchless(docs: readonly TouchlessDoc[], target = 0.99): TouchlessFigures {
  const n = docs.length;
  const accepted = docs.filter((d) => d.status === 'extracted');
  // Candidate policies: accept a document with passing checks and every value at the floor when its confidence ≥ t, for every t seen.
  const eligible = docs.filter((d) => d.confidence !== null && d.checksPassed && d.valuesAboveFloor && d.status !== 'failed');
  const thresholds = [...new Set(eligible.map((d) => d.confidence!))].sort((a, b) => a - b);
  let best: TouchlessFigures['best'] = null;
  for (const t of thresholds) {
    const take = eligible.filter((d) => d.confidence! >= t);
    const values = tally(take);
    if (values.accuracy === null || values.accuracy < target) continue;
    best = { minConfidence: Number(t.toFixed(4)), accepted: take.length, share: n === 0 ? 0 : take.length / n, values };
    break; // the lowest qualifying threshold accepts the most documents
  }
  return { accepted: accepted.length, documents: n, share: n === 0 ? 0 : accepted.length / n, values: tally(accepted), target, best };
}
