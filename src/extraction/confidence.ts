/**
 * Earned confidence.
 *
 * A model's own confidence is a starting point; it is then lowered by evidence:
 *   - grounding (grounding.ts): a value not found on the page it cites gets
 *     min(c × 0.3, 0.3);
 *   - merging (merge.ts): a value the chunks disagree on gets c × 0.8;
 *   - checks (here): every field named by a FAILED check gets c × CHECK_FAILURE_FACTOR (0.5),
 *     once per failed check (two failed checks on a field: × 0.25).
 *
 * Document confidence, from the kind's required fields only
 * (invoice: vendorName, invoiceNumber, issueDate, currency, total;
 *  contract: parties, effectiveDate, governingLaw):
 *
 *     c_f = confidence of field f, or 0 when its value is missing
 *     c_parties = mean of the two most confident parties (0 with fewer than 2)
 *     documentConfidence = 0.5 · mean(c_f) + 0.5 · min(c_f)      (rounded to 4 decimals)
 *
 * The min term makes one weak required field pull the whole document down:
 * four fields at 0.9 and one at 0.2 give 0.5·0.76 + 0.5·0.2 = 0.48, where the
 * plain mean would say 0.76. A missing required field caps the document at
 * 0.5 · mean ≤ 0.4 (invoice) / ≤ 0.33 (contract).
 */
import {
  CONTRACT_REQUIRED_FIELDS,
  INVOICE_REQUIRED_FIELDS,
  type ContractExtraction,
  type ExtractableKind,
  type Extracted,
  type InvoiceExtraction,
} from '../../schemas/index.ts';
import type { CheckResult } from '../validation/checks.ts';
import type { ExtractionFields } from './model-tier.ts';

/** Multiplier applied to each field named by a failed check, per failed check. */
export const CHECK_FAILURE_FACTOR = 0.5;
/** Weight of the mean in documentConfidence; the min gets 1 - MEAN_WEIGHT. */
export const MEAN_WEIGHT = 0.5;

const PATH = /^([A-Za-z_]\w*)(?:\[(\d+)\])?(?:\..*)?$/;

/**
 * Returns a copy of the fields in which every field named by a failed check has
 * its confidence multiplied by CHECK_FAILURE_FACTOR (once per failed check).
 * Paths: a scalar field ("total"), a list ("lineItems", "parties": every
 * element), one element ("lineItems[2]", "parties[0]", "parties[0].role").
 * Unknown paths are ignored. Passed checks change nothing.
 */
export function applyCheckPenalties<K extends ExtractableKind>(
  kind: K,
  fields: ExtractionFields<K>,
  checks: readonly CheckResult[],
): ExtractionFields<K> {
  const out = structuredClone(fields) as Record<string, unknown>;
  const listName = kind === 'invoice' ? 'lineItems' : 'parties';
  for (const check of checks) {
    if (check.passed) continue;
    for (const path of new Set(check.fields)) {
      const m = PATH.exec(path.trim());
      if (!m) continue;
      const base = m[1] as string;
      const index = m[2] === undefined ? null : Number(m[2]);
      const target = out[base];
      if (base === listName && Array.isArray(target)) {
        const items = target as { confidence: number }[];
        const selected = index === null ? items : items[index] !== undefined ? [items[index]] : [];
        for (const item of selected) item.confidence *= CHECK_FAILURE_FACTOR;
      } else if (index === null && isExtracted(target)) {
        target.confidence *= CHECK_FAILURE_FACTOR;
      }
    }
  }
  return out as ExtractionFields<K>;
}

function isExtracted(v: unknown): v is Extracted<unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'confidence' in v && 'value' in v;
}

/** Per-required-field scores c_f, in the order of the kind's REQUIRED_FIELDS. */
export function requiredFieldScores<K extends ExtractableKind>(kind: K, fields: ExtractionFields<K>): number[] {
  const score = (e: Extracted<unknown>): number => (e.value === null ? 0 : clamp01(e.confidence));
  if (kind === 'invoice') {
    const f = fields as InvoiceExtraction;
    return INVOICE_REQUIRED_FIELDS.map((name) => score(f[name]));
  }
  const f = fields as ContractExtraction;
  return CONTRACT_REQUIRED_FIELDS.map((name) => {
    if (name !== 'parties') return score(f[name] as Extracted<unknown>);
    const top = f.parties.map((p) => clamp01(p.confidence)).sort((a, b) => b - a);
    return top.length < 2 ? 0 : ((top[0] as number) + (top[1] as number)) / 2;
  });
}

/**
 * The confidence of every value the reading reports, by path: each scalar field
 * with a value ("term", "vendorAddress"), each party ("parties[1]"). Routing
 * accepts a document only when each of these reaches the tier's measured value
 * floor (TierInfo.valueFloor): an optional value at 0.5 goes into the books as
 * surely as a required one. Line items are left out: no gold set scores them,
 * so no floor was measured for them, and their arithmetic (line_items_sum, the
 * stated line count, the table's continuation) is checked by routing already.
 */
export function reportedValueConfidences<K extends ExtractableKind>(kind: K, fields: ExtractionFields<K>): Record<string, number> {
  const out: Record<string, number> = {};
  const listName = kind === 'invoice' ? 'lineItems' : 'parties';
  for (const [name, value] of Object.entries(fields as Record<string, unknown>)) {
    if (name === listName) continue;
    if (isExtracted(value) && value.value !== null) out[name] = round4(clamp01(value.confidence));
  }
  if (kind === 'contract') (fields as ContractExtraction).parties.forEach((p, i) => (out[`parties[${i}]`] = round4(clamp01(p.confidence))));
  return out;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** 0.5 · mean + 0.5 · min of the required-field scores, in [0, 1], rounded to 4 decimals. */
export function documentConfidence<K extends ExtractableKind>(kind: K, fields: ExtractionFields<K>): number {
  const scores = requiredFieldScores(kind, fields);
  if (scores.length === 0) return 0;
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const min = Math.min(...scores);
  return clamp01(Math.round((MEAN_WEIGHT * mean + (1 - MEAN_WEIGHT) * min) * 10_000) / 10_000);
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
