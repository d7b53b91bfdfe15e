import { describe, expect, it } from 'vitest';
import { decideRoute, type TierCapabilities } from '../../src/routing/policy.ts';

const thresholds = { longDocTokens: 20000, minConfidence: 0.8 };
const offline: TierCapabilities = { deepAvailable: false, fastReadsImages: false, deepReadsImages: false };
const gemini: TierCapabilities = { deepAvailable: true, fastReadsImages: true, deepReadsImages: true };
const good = { confidence: 0.92, failedChecks: [], failedChunks: 0, missingRequired: [] };

describe('initial routing', () => {
  it('sends a short text document to the fast tier', () => {
    const d = decideRoute({ stage: 'initial', tokens: 1200, pageCount: 2, imageOnlyPages: 0 }, thresholds, gemini);
    expect(d.action).toBe('fast');
  });

  it('sends a document exactly at the threshold to the fast tier, one token over to the deep tier', () => {
    expect(decideRoute({ stage: 'initial', tokens: 20000, pageCount: 9, imageOnlyPages: 0 }, thresholds, gemini).action).toBe('fast');
    const over = decideRoute({ stage: 'initial', tokens: 20001, pageCount: 9, imageOnlyPages: 0 }, thresholds, gemini);
    expect(over.action).toBe('deep');
    expect(over.reasons[0]).toContain('20001 tokens > 20000');
  });

  it('sends a long document to review when there is no deep tier', () => {
    const d = decideRoute({ stage: 'initial', tokens: 50000, pageCount: 30, imageOnlyPages: 0 }, thresholds, offline);
    expect(d.action).toBe('review');
    expect(d.reasons[0]).toMatch(/deep tier is unavailable/);
  });

  it('rejects a scan when no tier reads images, and routes it when one does', () => {
    const scan = { stage: 'initial' as const, tokens: 0, pageCount: 3, imageOnlyPages: 3 };
    const rejected = decideRoute(scan, thresholds, offline);
    expect(rejected.action).toBe('reject');
    expect(rejected.reasons[0]).toMatch(/no text layer/);
    expect(decideRoute(scan, thresholds, gemini).action).toBe('fast');
    expect(decideRoute(scan, thresholds, { ...gemini, fastReadsImages: false }).action).toBe('deep');
  });

  it('does not treat a partly scanned document as a scan', () => {
    expect(decideRoute({ stage: 'initial', tokens: 900, pageCount: 3, imageOnlyPages: 1 }, thresholds, offline).action).toBe('fast');
  });
});

describe('after extraction', () => {
  it('accepts a confident, consistent, complete extraction', () => {
    expect(decideRoute({ stage: 'after-fast', ...good }, thresholds, gemini).action).toBe('accept');
    expect(decideRoute({ stage: 'after-deep', ...good }, thresholds, gemini).action).toBe('accept');
  });

  it('accepts at exactly the threshold and escalates just below it', () => {
    expect(decideRoute({ stage: 'after-fast', ...good, confidence: 0.8 }, thresholds, gemini).action).toBe('accept');
    const below = decideRoute({ stage: 'after-fast', ...good, confidence: 0.7999 }, thresholds, gemini);
    expect(below.action).toBe('deep');
    expect(below.reasons).toContain('confidence 0.800 < 0.8');
  });

  it('escalates on a failed check, a failed chunk or a missing required field even when confident', () => {
    for (const problem of [{ failedChecks: ['totals: 10 + 2 ≠ 13'] }, { failedChunks: 1 }, { missingRequired: ['total'] }]) {
      expect(decideRoute({ stage: 'after-fast', ...good, ...problem }, thresholds, gemini).action).toBe('deep');
    }
  });

  it('sends fast-tier problems to review when there is no deep tier, saying why', () => {
    const d = decideRoute({ stage: 'after-fast', ...good, confidence: 0.4 }, thresholds, offline);
    expect(d.action).toBe('review');
    expect(d.reasons).toEqual(['confidence 0.400 < 0.8', 'the deep tier is unavailable']);
  });

  it('sends deep-tier problems to review', () => {
    const d = decideRoute({ stage: 'after-deep', ...good, failedChunks: 1 }, thresholds, gemini);
    expect(d.action).toBe('review');
    expect(d.reasons.at(-1)).toBe('the deep tier could not resolve it');
  });
});

describe('budget', () => {
  it('allows a deep call that fits the budget, to the cent, and stops one that does not', () => {
    const within = decideRoute({ stage: 'budget', spentUsd: 0.1, estimatedUsd: 0.15, budgetUsd: 0.25 }, thresholds, gemini);
    expect(within.action).toBe('deep');
    const over = decideRoute({ stage: 'budget', spentUsd: 0.1, estimatedUsd: 0.1501, budgetUsd: 0.25 }, thresholds, gemini);
    expect(over).toEqual({
      action: 'review',
      reasons: ['cost budget reached: spent $0.1000 + estimated $0.1501 = $0.2501 > $0.2500 (DOCROUTE_DOC_BUDGET_USD)'],
    });
  });
});

describe('the value floor (accepted values must each be trustworthy)', () => {
  const floored: TierCapabilities = { ...offline, valueFloor: 0.85 };
  const after = (valueConfidences: Record<string, number>) => ({ stage: 'after-fast' as const, ...good, valueConfidences });

  it('accepts when every reported value reaches the floor, and says so', () => {
    const d = decideRoute(after({ effectiveDate: 0.88, governingLaw: 0.9, 'parties[0]': 0.85, 'parties[1]': 0.9 }), thresholds, floored);
    expect(d.action).toBe('accept');
    expect(d.reasons[0]).toContain('every value ≥ 0.85');
  });

  it('sends a confident document to review when one value, even an optional one, is below the floor; names it without its value', () => {
    const d = decideRoute(after({ effectiveDate: 0.9, governingLaw: 0.9, term: 0.5, 'parties[2]': 0.6 }), thresholds, floored);
    expect(d.action).toBe('review');
    expect(d.reasons[0]).toBe('values below the value floor 0.85: term (0.50), parties[2] (0.60)');
  });

  it('escalates instead when a deep tier exists', () => {
    expect(decideRoute(after({ term: 0.5 }), thresholds, { ...gemini, valueFloor: 0.85 }).action).toBe('deep');
  });

  it('applies no floor when the tiers measured none, or the run predates it (replays decide as they did)', () => {
    expect(decideRoute(after({ term: 0.5 }), thresholds, offline).action).toBe('accept');
    expect(decideRoute(after({ term: 0.5 }), thresholds, { ...offline, valueFloor: null }).action).toBe('accept');
    expect(decideRoute({ stage: 'after-fast', ...good }, thresholds, floored).action).toBe('accept');
  });
});
