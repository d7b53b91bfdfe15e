import {
  CONTRACT_FIELDS,
  CONTRACT_SCALAR_FIELDS,
  INVOICE_FIELDS,
  emptyContractExtraction,
  emptyInvoiceExtraction,
  INVOICE_MODEL_FIELDS,
  type ContractExtraction,
  type ContractParty,
  type Duration,
  type ExtractableKind,
  type Extracted,
  type InvoiceExtraction,
  type InvoiceLineItem,
} from '../../schemas/index.ts';
import { formatDuration } from '../validation/dates.ts';
import { toDecimal } from '../validation/money.ts';
import type { ExtractionFields } from './model-tier.ts';
import { normalizeAlnum } from './normalize.ts';

/**
 * Merging the extractions of the chunks of one document (given in page order).
 *
 * - Scalar fields: the non-null value with the highest confidence wins; ties go
 *   to the earlier chunk. Values are compared normalised (amounts as exact
 *   decimals, text ignoring case/punctuation/spaces, durations in a common
 *   unit). When chunks give different non-null values, a MergeConflict is
 *   recorded and the chosen value's confidence is multiplied by CONFLICT_FACTOR.
 *   When every chunk has null, the result is null with the highest confidence.
 * - Line items: concatenated in order. At each chunk boundary,
 *   * a line split across the page break (last line of chunk i has no amount,
 *     first line of chunk i+1 has an empty description) is stitched into one
 *     line: description, and quantity/unit price when present, from the first
 *     half, amount from the second; confidence is the lower of the two; evidence
 *     from the first half;
 *   * otherwise, the longest run of lines that ends chunk i and also starts
 *     chunk i+1 (overlapping chunks) is kept once. Lines are duplicates when
 *     description (normalised), quantity, unit price and amount are equal and
 *     their evidence cites the same page (or either has none): identical rows
 *     on different pages are distinct rows and are kept.
 * - Parties: unioned by normalised name (letters and digits, lower case), in
 *   order of first appearance; the more confident reading wins (ties: earlier),
 *   a missing role is filled from the other; two different roles are a conflict
 *   (field "parties[i].role") and cost CONFLICT_FACTOR.
 */

/** Multiplier on the chosen value's confidence when chunks disagree. */
export const CONFLICT_FACTOR = 0.8;
/**
 * A reading below this confidence (e.g. one that grounding capped because it is
 * not on its page) does not make a conflict with a credible one: disagreeing
 * with a value that was never found is not evidence against the found one.
 */
export const CREDIBLE_CONFIDENCE = 0.5;

export interface MergeConflict {
  field: string;
  values: string[];
  chosen: string;
}

/** Amounts compare as exact decimals: the registries' money fields. */
const MONEY_FIELDS: ReadonlySet<string> = new Set(
  [...Object.entries(INVOICE_FIELDS), ...Object.entries(CONTRACT_FIELDS)].filter(([, spec]) => spec.type === 'money').map(([name]) => name),
);

function isDuration(v: unknown): v is Duration {
  return typeof v === 'object' && v !== null && 'count' in v && 'unit' in v;
}

/** Comparison key of a value: equal keys mean "the same reading". */
function valueKey(field: string, value: unknown): string {
  if (typeof value === 'boolean') return `b:${value}`;
  if (isDuration(value)) {
    const days = value.unit === 'days' ? value.count : value.unit === 'weeks' ? value.count * 7 : null;
    return days !== null ? `d:${days}` : `m:${value.unit === 'years' ? value.count * 12 : value.count}`;
  }
  if (typeof value === 'string') {
    if (MONEY_FIELDS.has(field)) {
      const d = toDecimal(value);
      if (d !== null) return `n:${d.toString()}`;
    }
    const alnum = normalizeAlnum(value);
    return `s:${alnum.length > 0 ? alnum : value.trim().toLowerCase()}`;
  }
  return `j:${JSON.stringify(value)}`;
}

function display(value: unknown): string {
  if (typeof value === 'string') return value;
  if (isDuration(value)) return formatDuration(value);
  return String(value);
}

function mergeScalar(field: string, values: readonly Extracted<unknown>[], conflicts: MergeConflict[]): Extracted<unknown> {
  let best: Extracted<unknown> | null = null;
  let bestNull: Extracted<unknown> | null = null;
  const distinct = new Map<string, string>();
  for (const v of values) {
    if (v.value === null) {
      if (bestNull === null || v.confidence > bestNull.confidence) bestNull = v;
      continue;
    }
    const key = valueKey(field, v.value);
    if (v.confidence >= CREDIBLE_CONFIDENCE && !distinct.has(key)) distinct.set(key, display(v.value));
    if (best === null || v.confidence > best.confidence) best = v;
  }
  if (best === null) return { value: null, confidence: bestNull?.confidence ?? 0, evidence: null };
  const chosen = { ...best };
  if (distinct.size > 1) {
    conflicts.push({ field, values: [...distinct.values()], chosen: display(best.value) });
    chosen.confidence = best.confidence * CONFLICT_FACTOR;
  }
  return chosen;
}

function sameAmount(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  const da = toDecimal(a);
  const db = toDecimal(b);
  return da !== null && db !== null ? da.eq(db) : a.trim() === b.trim();
}

function sameLine(a: InvoiceLineItem, b: InvoiceLineItem): boolean {
  return (
    normalizeAlnum(a.description) === normalizeAlnum(b.description) &&
    sameAmount(a.quantity, b.quantity) &&
    sameAmount(a.unitPrice, b.unitPrice) &&
    sameAmount(a.amount, b.amount) &&
    (a.evidence === null || b.evidence === null || a.evidence.page === b.evidence.page)
  );
}

export function mergeLineItems(parts: readonly (readonly InvoiceLineItem[])[]): InvoiceLineItem[] {
  const result: InvoiceLineItem[] = [];
  let previousLength = 0;
  for (const part of parts) {
    let items = part.map((l) => ({ ...l }));
    const last = result[result.length - 1];
    const first = items[0];
    if (previousLength > 0 && last !== undefined && first !== undefined) {
      if (last.amount === null && first.description.trim() === '') {
        result[result.length - 1] = {
          description: last.description,
          quantity: last.quantity ?? first.quantity,
          unitPrice: last.unitPrice ?? first.unitPrice,
          amount: first.amount,
          confidence: Math.min(last.confidence, first.confidence),
          evidence: last.evidence ?? first.evidence,
        };
        items = items.slice(1);
      } else {
        const maxK = Math.min(previousLength, result.length, items.length);
        for (let k = maxK; k > 0; k--) {
          const tail = result.slice(result.length - k);
          if (tail.every((line, j) => sameLine(line, items[j] as InvoiceLineItem))) {
            tail.forEach((line, j) => {
              line.confidence = Math.max(line.confidence, (items[j] as InvoiceLineItem).confidence);
            });
            items = items.slice(k);
            break;
          }
        }
      }
    }
    result.push(...items);
    previousLength = part.length;
  }
  return result;
}

export function mergeParties(parts: readonly (readonly ContractParty[])[], conflicts: MergeConflict[]): ContractParty[] {
  const order: string[] = [];
  const groups = new Map<string, ContractParty[]>();
  for (const part of parts) {
    for (const party of part) {
      const n = normalizeAlnum(party.name);
      const key = n.length > 0 ? n : `raw:${party.name}`;
      const g = groups.get(key);
      if (g) g.push(party);
      else {
        groups.set(key, [party]);
        order.push(key);
      }
    }
  }
  return order.map((key, index) => {
    const readings = groups.get(key) as ContractParty[];
    let best = readings[0] as ContractParty;
    for (const r of readings) if (r.confidence > best.confidence) best = r;
    const merged: ContractParty = { ...best };
    const roles = new Map<string, string>();
    for (const r of readings) {
      if (r.role === null) continue;
      const k = normalizeAlnum(r.role) || r.role;
      if (!roles.has(k)) roles.set(k, r.role);
    }
    if (merged.role === null) merged.role = readings.find((r) => r.role !== null)?.role ?? null;
    if (roles.size > 1) {
      conflicts.push({ field: `parties[${index}].role`, values: [...roles.values()], chosen: merged.role ?? '' });
      merged.confidence = merged.confidence * CONFLICT_FACTOR;
    }
    return merged;
  });
}

export function mergeExtractions<K extends ExtractableKind>(
  kind: K,
  parts: readonly ExtractionFields<K>[],
): { fields: ExtractionFields<K>; conflicts: MergeConflict[] } {
  const conflicts: MergeConflict[] = [];
  if (kind === 'invoice') {
    const ps = parts as readonly InvoiceExtraction[];
    const out = emptyInvoiceExtraction();
    for (const name of INVOICE_MODEL_FIELDS) {
      (out as Record<string, unknown>)[name] = mergeScalar(name, ps.map((p) => p[name] as Extracted<unknown>), conflicts);
    }
    out.lineItems = mergeLineItems(ps.map((p) => p.lineItems));
    return { fields: out as ExtractionFields<K>, conflicts };
  }
  const ps = parts as readonly ContractExtraction[];
  const out = emptyContractExtraction();
  for (const name of CONTRACT_SCALAR_FIELDS) {
    (out as Record<string, unknown>)[name] = mergeScalar(name, ps.map((p) => p[name] as Extracted<unknown>), conflicts);
  }
  out.parties = mergeParties(ps.map((p) => p.parties), conflicts);
  return { fields: out as ExtractionFields<K>, conflicts };
}

/**
 * Combines two readings of the same document by different tiers: the fast
 * tier's merged result, and the deep tier's reading of some of its pages
 * (`deepPages`, an escalation) or of all of them. Per scalar field the better
 * evidenced value wins (as in mergeExtractions: highest confidence, conflicts
 * between credible readings noted). Line items are positional, so they are not
 * mixed: on the pages the deep tier read, its lines replace the fast tier's
 * when it returned any; elsewhere the fast tier's lines stay. Parties are unioned.
 */
export function combineReadings<K extends ExtractableKind>(
  kind: K,
  fast: ExtractionFields<K>,
  deep: ExtractionFields<K>,
  deepPages: ReadonlySet<number>,
): { fields: ExtractionFields<K>; conflicts: MergeConflict[] } {
  const conflicts: MergeConflict[] = [];
  if (kind === 'invoice') {
    const f = fast as InvoiceExtraction;
    const d = deep as InvoiceExtraction;
    const out = emptyInvoiceExtraction();
    for (const name of INVOICE_MODEL_FIELDS) {
      (out as Record<string, unknown>)[name] = mergeScalar(name, [f[name] as Extracted<unknown>, d[name] as Extracted<unknown>], conflicts);
    }
    const onDeepPages = (line: InvoiceLineItem) => line.evidence !== null && deepPages.has(line.evidence.page);
    out.lineItems =
      d.lineItems.length === 0
        ? f.lineItems.map((l) => ({ ...l }))
        : [...f.lineItems.filter((l) => !onDeepPages(l) && l.evidence !== null), ...d.lineItems].sort(
            (a, b) => (a.evidence?.page ?? 0) - (b.evidence?.page ?? 0),
          );
    return { fields: out as ExtractionFields<K>, conflicts };
  }
  const f = fast as ContractExtraction;
  const d = deep as ContractExtraction;
  const out = emptyContractExtraction();
  for (const name of CONTRACT_SCALAR_FIELDS) {
    (out as Record<string, unknown>)[name] = mergeScalar(name, [f[name] as Extracted<unknown>, d[name] as Extracted<unknown>], conflicts);
  }
  out.parties = mergeParties([f.parties, d.parties], conflicts);
  return { fields: out as ExtractionFields<K>, conflicts };
}
