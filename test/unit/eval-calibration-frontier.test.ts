import { describe, expect, it } from 'vitest';
import { calibrate } from '../../src/eval/calibration.ts';
import { computeFrontier, DEFAULT_THRESHOLDS, type FrontierDocument } from '../../src/eval/frontier.ts';
import type { ItemOutcome } from '../../src/eval/metrics.ts';

const item = (confidence: number | null, right: boolean, got: string | null = 'x'): ItemOutcome => ({
  field: 'f',
  expected: 'x',
  got,
  right,
  confidence,
  evidence: null,
});

describe('calibration', () => {
  it('buckets reported values by confidence and gives the share right, with the ≥ 0.9 headline', () => {
    const c = calibrate([
      item(1, true),
      item(0.9, true),
      item(0.95, false),
      item(0.89, true),
      item(0.8, false),
      item(0.55, true),
      item(0.1, false),
      item(null, false, null), // not extracted: no confidence, not counted
    ]);
    expect(c.headline).toEqual({ threshold: 0.9, right: 2, total: 3, share: 2 / 3 });
    const byFrom = Object.fromEntries(c.buckets.map((b) => [b.from, [b.right, b.total]]));
    expect(byFrom).toEqual({ 0.9: [2, 3], 0.8: [1, 2], 0.7: [0, 0], 0.6: [0, 0], 0.5: [1, 1], 0: [0, 1] });
    expect(c.buckets.find((b) => b.from === 0.7)?.share).toBeNull();
    expect(c.buckets[0]).toMatchObject({ from: 0.9, to: 1 });
  });

  it('with nothing reported at ≥ 0.9 the headline share is null, not NaN', () => {
    expect(calibrate([item(0.5, true)]).headline).toEqual({ threshold: 0.9, right: 0, total: 0, share: null });
  });
});

describe('routing frontier', () => {
  // Three documents, accuracy metric. Flash: conf 0.95 right 2/2 ($0.001); conf 0.6 right 1/2 ($0.001); conf 0.3 right 0/2 ($0.002).
  // Pro: right 2/2 ($0.01), 2/2 ($0.01), 1/2 ($0.02).
  const docs: FrontierDocument[] = [
    { fastConfidence: 0.95, fast: { tally: { tp: 2, predicted: 2, expected: 2 }, costUsd: '0.001' }, deep: { tally: { tp: 2, predicted: 2, expected: 2 }, costUsd: '0.01' } },
    { fastConfidence: 0.6, fast: { tally: { tp: 1, predicted: 2, expected: 2 }, costUsd: '0.001' }, deep: { tally: { tp: 2, predicted: 2, expected: 2 }, costUsd: '0.01' } },
    { fastConfidence: 0.3, fast: { tally: { tp: 0, predicted: 1, expected: 2 }, costUsd: '0.002' }, deep: { tally: { tp: 1, predicted: 2, expected: 2 }, costUsd: '0.02' } },
  ];
  const f = computeFrontier('accuracy', docs);
  const at = (t: number) => f.rows.find((r) => r.threshold === t)!;

  it('thresholds run from 0 to 1 in steps of 0.05', () => {
    expect(DEFAULT_THRESHOLDS).toHaveLength(21);
    expect(DEFAULT_THRESHOLDS[3]).toBe(0.15);
    expect(f.rows.map((r) => r.threshold)).toEqual(DEFAULT_THRESHOLDS);
  });

  it('threshold 0 is all fast; a document goes to the deep tier when its fast confidence is below the threshold', () => {
    expect(at(0)).toMatchObject({ shareDeep: 0, tally: { tp: 3, expected: 6 } });
    expect(at(0).metric).toBeCloseTo(0.5, 10);
    expect(at(0).costPer1000Usd).toBeCloseTo(((0.001 + 0.001 + 0.002) / 3) * 1000, 10);
    // 0.3 is not below 0.3; it is below 0.35.
    expect(at(0.3).shareDeep).toBe(0);
    expect(at(0.35).shareDeep).toBeCloseTo(1 / 3, 10);
    expect(at(0.35).metric).toBeCloseTo(4 / 6, 10);
    // Sent to deep: pays both tiers.
    expect(at(0.35).costPer1000Usd).toBeCloseTo(((0.001 + 0.001 + 0.002 + 0.02) / 3) * 1000, 10);
    expect(at(0.65)).toMatchObject({ tally: { tp: 5, expected: 6 } });
    expect(at(1).shareDeep).toBe(1);
    expect(at(1).costPer1000Usd).toBeCloseTo(((0.004 + 0.04) / 3) * 1000, 10);
  });

  it('all fast and all deep rows: the deep row pays only the deep tier', () => {
    expect(f.allFast).toMatchObject({ shareDeep: 0, label: 'all fast' });
    expect(f.allFast.metric).toBeCloseTo(0.5, 10);
    expect(f.allDeep).toMatchObject({ shareDeep: 1, tally: { tp: 5, expected: 6 } });
    expect(f.allDeep.costPer1000Usd).toBeCloseTo((0.04 / 3) * 1000, 10);
  });

  it('with the F1 metric the rows carry F1 of the summed counts', () => {
    const g = computeFrontier('f1', docs, [0, 1]);
    // all fast: tp 3, predicted 5, expected 6 → P 0.6, R 0.5
    expect(g.rows[0]!.metric).toBeCloseTo((2 * 0.6 * 0.5) / 1.1, 10);
    expect(computeFrontier('f1', [], [0.5]).rows[0]).toMatchObject({ shareDeep: 0, metric: 0, costPer1000Usd: 0 });
  });
});
