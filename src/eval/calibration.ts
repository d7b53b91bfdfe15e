/**
 * Calibration: does a reported confidence mean something? For each bucket of
 * confidence, the share of the values reported in it that were right. Only
 * values the pipeline reported count (a missing value has no confidence).
 */
import type { ItemOutcome } from './metrics.ts';

export interface CalibrationBucket {
  /** Inclusive lower bound. */
  from: number;
  /** Exclusive upper bound, except the top bucket, which includes 1. */
  to: number;
  right: number;
  total: number;
  /** right / total, or null for an empty bucket. */
  share: number | null;
}

export interface Calibration {
  /** Values reported with confidence ≥ threshold: how many, and how many right. */
  headline: { threshold: number; right: number; total: number; share: number | null };
  buckets: CalibrationBucket[];
}

/** Bucket edges, high to low: [0.9, 1], [0.8, 0.9), …, [0, 0.5). */
export const CALIBRATION_EDGES = [0.9, 0.8, 0.7, 0.6, 0.5, 0] as const;

export function calibrate(items: readonly ItemOutcome[], threshold = 0.9, edges: readonly number[] = CALIBRATION_EDGES): Calibration {
  const reported = items.filter((i): i is ItemOutcome & { confidence: number } => i.got !== null && i.confidence !== null);
  const buckets: CalibrationBucket[] = edges.map((from, i) => ({ from, to: i === 0 ? 1 : edges[i - 1]!, right: 0, total: 0, share: null }));
  for (const item of reported) {
    const bucket = buckets.find((b) => item.confidence >= b.from) ?? buckets.at(-1);
    if (!bucket) continue;
    bucket.total += 1;
    if (item.right) bucket.right += 1;
  }
  for (const b of buckets) b.share = b.total === 0 ? null : b.right / b.total;
  const high = reported.filter((i) => i.confidence >= threshold);
  const right = high.filter((i) => i.right).length;
  return { headline: { threshold, right, total: high.length, share: high.length === 0 ? null : right / high.length }, buckets };
}
