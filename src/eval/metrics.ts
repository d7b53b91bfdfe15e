/**
 * Scoring of one document's extraction against its gold data, and aggregation
 * over a set. Pure: no I/O.
 *
 * Two metrics:
 * - `f1` (Kleister): the prediction and the gold are bags of `key=value` items;
 *   values are compared after the benchmark's normalisation (upper-cased, spaces
 *   and colons as `_`); an item counts as right when the gold has it (each gold
 *   item matches at most one predicted item, so a repeated party counts once
 *   unless the gold repeats it too). Precision, recall and F1 are micro-averaged:
 *   true positives, predicted and expected items summed over the set.
 * - `accuracy` (invoices, and our own format): one item per gold value; right
 *   when the extracted value equals it after a normalisation by type (dates,
 *   amounts to the cent, currency codes, whitespace and case for identifiers).
 *   Fields the gold does not give are not scored.
 */
import { Decimal } from 'decimal.js';
import { CONTRACT_FIELDS, CONTRACT_PARTIES, INVOICE_FIELDS, INVOICE_VAT_BREAKDOWN, mapFields } from '../../schemas/index.ts';
import type { ContractExtraction, Evidence, FieldRegistry, FieldType, InvoiceExtraction } from '../../schemas/index.ts';

/** Counts for one field (or the whole set): items right, items predicted, items expected. */
export interface Tally {
  tp: number;
  predicted: number;
  expected: number;
}

/** One scored item: what the gold says, what the extraction said, and whether they agree. */
export interface ItemOutcome {
  field: string;
  /** The gold value as written (null: a predicted item the gold does not have). */
  expected: string | null;
  /** The extracted value (null: not extracted). */
  got: string | null;
  right: boolean;
  /** The confidence the pipeline reported for `got` (null when nothing was extracted). */
  confidence: number | null;
  evidence: Evidence | null;
}

export interface DocumentScore {
  fields: Record<string, Tally>;
  items: ItemOutcome[];
}

export type MetricName = 'f1' | 'accuracy';

export const emptyTally = (): Tally => ({ tp: 0, predicted: 0, expected: 0 });

export function addTally(into: Tally, t: Tally): Tally {
  into.tp += t.tp;
  into.predicted += t.predicted;
  into.expected += t.expected;
  return into;
}

export interface F1Figures {
  f1: number;
  precision: number;
  recall: number;
  tp: number;
  predicted: number;
  expected: number;
}

/** Precision, recall and F1 of a tally; 0 where undefined (nothing predicted or expected). */
export function f1Of(t: Tally): F1Figures {
  const precision = t.predicted === 0 ? 0 : t.tp / t.predicted;
  const recall = t.expected === 0 ? 0 : t.tp / t.expected;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { f1, precision, recall, tp: t.tp, predicted: t.predicted, expected: t.expected };
}

export interface AccuracyFigures {
  accuracy: number;
  correct: number;
  total: number;
}

export function accuracyOf(t: Tally): AccuracyFigures {
  return { accuracy: t.expected === 0 ? 0 : t.tp / t.expected, correct: t.tp, total: t.expected };
}

/** The headline number of a tally under a metric (F1 or accuracy). */
export function headlineOf(metric: MetricName, t: Tally): number {
  return metric === 'f1' ? f1Of(t).f1 : accuracyOf(t).accuracy;
}

/** Sums document scores: per field and overall. */
export function aggregate(scores: readonly DocumentScore[]): { overall: Tally; fields: Record<string, Tally> } {
  const overall = emptyTally();
  const fields: Record<string, Tally> = {};
  for (const s of scores) {
    for (const [name, t] of Object.entries(s.fields)) {
      addTally((fields[name] ??= emptyTally()), t);
      addTally(overall, t);
    }
  }
  return { overall, fields };
}

// ---------------------------------------------------------------- Kleister

export const KLEISTER_KEYS = ['effective_date', 'jurisdiction', 'party', 'term'] as const;

/** The benchmark's value normalisation: upper case, spaces and colons as `_`. Nothing else. */
export function kleisterNormalise(value: string): string {
  return value.toUpperCase().replace(/[ :]/g, '_');
}

export interface KleisterItem {
  key: string;
  value: string;
}

/** Parses a line of expected.tsv (or of a prediction): space-separated `key=value` pairs. */
export function parseKleisterLine(line: string): KleisterItem[] {
  return line
    .trim()
    .split(/\s+/)
    .filter((kv) => kv.includes('='))
    .map((kv) => {
      const at = kv.indexOf('=');
      return { key: kv.slice(0, at), value: kv.slice(at + 1) };
    });
}

/** A predicted item with the confidence and evidence the pipeline gave it. */
export interface PredictedKleisterItem extends KleisterItem {
  confidence: number;
  evidence: Evidence | null;
}

/**
 * Writes a value as the benchmark's gold writes values: spaces and colons as `_`,
 * and without commas (no gold value has one: "Acme, Inc." is written `Acme_Inc.`).
 * This is how our prediction is written; the metric then applies only the
 * benchmark's own normalisation to both sides.
 */
export function kleisterWrite(value: string): string {
  return value.trim().replace(/,/g, '').replace(/\s+/g, ' ').replace(/[ :]/g, '_');
}

/**
 * Our contract extraction as Kleister items: effective_date (ISO date),
 * jurisdiction (the governing law), one party item per party, term as
 * `{count}_{unit}` with the unit singular for 1 (`1_year`, `3_years`, as the gold
 * writes it). Absent values give no item.
 */
export function kleisterItemsOf(x: ContractExtraction | null): PredictedKleisterItem[] {
  if (!x) return [];
  const items: PredictedKleisterItem[] = [];
  if (x.effectiveDate.value) {
    items.push({ key: 'effective_date', value: x.effectiveDate.value, confidence: x.effectiveDate.confidence, evidence: x.effectiveDate.evidence });
  }
  if (x.governingLaw.value) {
    items.push({ key: 'jurisdiction', value: kleisterWrite(x.governingLaw.value), confidence: x.governingLaw.confidence, evidence: x.governingLaw.evidence });
  }
  for (const p of x.parties) items.push({ key: 'party', value: kleisterWrite(p.name), confidence: p.confidence, evidence: p.evidence });
  if (x.term.value) {
    const { count, unit } = x.term.value;
    const u = count === 1 ? unit.replace(/s$/, '') : unit;
    items.push({ key: 'term', value: `${count}_${u}`, confidence: x.term.confidence, evidence: x.term.evidence });
  }
  return items;
}

/**
 * Scores one document the Kleister way. Each predicted item is right when an
 * unmatched gold item has the same key and normalised value; per key: tp,
 * predicted and expected counts. Keys outside `keys` (decoys) still count as
 * predicted items: they are wrong unless the gold has them.
 */
export function scoreKleister(
  gold: readonly KleisterItem[],
  predicted: readonly PredictedKleisterItem[],
  keys: readonly string[] = KLEISTER_KEYS,
): DocumentScore {
  const fields: Record<string, Tally> = {};
  for (const k of keys) fields[k] = emptyTally();
  const tally = (k: string) => (fields[k] ??= emptyTally());
  const unmatched = gold.map((g) => ({ ...g, norm: kleisterNormalise(g.value), used: false }));
  for (const g of gold) tally(g.key).expected += 1;
  const items: ItemOutcome[] = [];
  for (const p of predicted) {
    const norm = kleisterNormalise(p.value);
    const match = unmatched.find((g) => !g.used && g.key === p.key && g.norm === norm);
    tally(p.key).predicted += 1;
    if (match) {
      match.used = true;
      tally(p.key).tp += 1;
    }
    items.push({
      field: p.key,
      expected: match ? match.value : null,
      got: p.value,
      right: match !== undefined,
      confidence: p.confidence,
      evidence: p.evidence,
    });
  }
  for (const g of unmatched) {
    if (!g.used) items.push({ field: g.key, expected: g.value, got: null, right: false, confidence: null, evidence: null });
  }
  return { fields, items };
}

// ---------------------------------------------------------------- invoices

/** How a field's values are normalised before comparison. */
export type ValueType = 'date' | 'amount' | 'currency' | 'identifier' | 'text' | 'duration' | 'boolean';

/** ISO date `YYYY-MM-DD` as is; `DD.MM.YYYY`, `DD/MM/YYYY`, `DD-MM-YYYY` (day first) are read too. */
export function normaliseDate(v: unknown): string | null {
  const s = String(v ?? '').trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/.exec(s);
  if (m) return `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}`;
  m = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$/.exec(s);
  if (m) return `${m[3]}-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
  return s === '' ? null : s;
}

/** An amount to the cent: 4.1 and "4.10" are the same; "4.105" rounds half up to 4.11. */
export function normaliseAmount(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  try {
    return new Decimal(String(v).trim()).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
  } catch {
    return String(v).trim();
  }
}

export function normaliseCurrency(v: unknown): string | null {
  const s = String(v ?? '').trim().toUpperCase();
  return s === '' ? null : s;
}

/**
 * Identifiers (invoice numbers, VAT ids, IBANs): case and whitespace do not
 * count, nor a leading number sign ("#123" is number 123): "DE 232 446 240" =
 * "de232446240". Other punctuation does ("INV/2023/03/0008" ≠ "INV2023030008").
 */
export function normaliseIdentifier(v: unknown): string | null {
  const s = String(v ?? '').toUpperCase().replace(/\s+/g, '').replace(/^#/, '');
  return s === '' ? null : s;
}

/** Free text (names): case, surrounding and repeated whitespace do not count. */
export function normaliseText(v: unknown): string | null {
  const s = String(v ?? '').trim().replace(/\s+/g, ' ').toUpperCase();
  return s === '' ? null : s;
}

/** A duration as `{count} {unit}` with a plural unit: "1 year", "1_year", {count:1,unit:"years"} → "1 YEARS". */
export function normaliseDuration(v: unknown): string | null {
  if (v && typeof v === 'object') {
    const d = v as { count?: unknown; unit?: unknown };
    return normaliseDuration(`${String(d.count)} ${String(d.unit)}`);
  }
  const m = /^\s*(\d+)[\s_]*(day|week|month|year)s?\s*$/i.exec(String(v ?? ''));
  return m ? `${m[1]} ${m[2]!.toUpperCase()}S` : normaliseText(v);
}

export function normaliseBoolean(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  return String(v).trim().toLowerCase() === 'true' ? 'TRUE' : 'FALSE';
}

export function normaliseValue(type: ValueType, v: unknown): string | null {
  switch (type) {
    case 'date':
      return normaliseDate(v);
    case 'amount':
      return normaliseAmount(v);
    case 'currency':
      return normaliseCurrency(v);
    case 'identifier':
      return normaliseIdentifier(v);
    case 'duration':
      return normaliseDuration(v);
    case 'boolean':
      return normaliseBoolean(v);
    default:
      return normaliseText(v);
  }
}

/** How the evaluation compares each field type of the registries (schemas/fields.ts). */
const EVAL_TYPE = {
  text: 'text',
  identifier: 'identifier',
  date: 'date',
  money: 'amount',
  currency: 'currency',
  boolean: 'boolean',
  duration: 'duration',
  documentType: 'identifier',
} as const satisfies Record<FieldType, ValueType>;

type EvalTypes<F extends FieldRegistry> = { [K in keyof F]: (typeof EVAL_TYPE)[F[K]['type']] };
function evalTypes<F extends FieldRegistry>(fields: F): EvalTypes<F> {
  return mapFields(fields, (spec) => EVAL_TYPE[spec.type]) as EvalTypes<F>;
}

/**
 * The invoice fields scored, with their type, in the registry's order
 * (schemas/invoice-fields.ts); the VAT breakdown is compared entry by entry
 * (see vatEntryKey).
 */
export const INVOICE_FIELD_TYPES = { ...evalTypes(INVOICE_FIELDS), [INVOICE_VAT_BREAKDOWN.name]: 'text' as const };

/**
 * One VAT breakdown entry as one comparable item: "S 19.00 1000.00 190.00"
 * (category, rate, taxable amount, VAT; amounts to the cent, "-" for an absent part).
 */
export function vatEntryKey(entry: { category: string | null; rate: string | null; taxableAmount: string | null; taxAmount: string | null }): string {
  const amount = (v: string | null) => normaliseAmount(v) ?? '-';
  return [entry.category?.trim() || '-', amount(entry.rate), amount(entry.taxableAmount), amount(entry.taxAmount)].join(' ');
}

/** The contract fields scored, with their type (schemas/contract-fields.ts); parties are compared by name. */
export const CONTRACT_FIELD_TYPES = { ...evalTypes(CONTRACT_FIELDS), [CONTRACT_PARTIES.name]: 'text' as const };

/**
 * invoice2data gold keys → our invoice fields. These nine are the scored set;
 * other gold keys (issuer, lines, vendor-specific keys) are ignored.
 */
export const INVOICE2DATA_FIELDS = {
  invoice_number: 'invoiceNumber',
  date: 'issueDate',
  date_due: 'dueDate',
  amount: 'total',
  amount_untaxed: 'subtotal',
  amount_tax: 'taxTotal',
  currency: 'currency',
  vat: 'vendorTaxId',
  iban: 'iban',
} as const;

/** Gold for accuracy scoring: field name → one value, or several (a list field such as parties). */
export type FieldGold = Record<string, unknown>;

type Scalar = { value: unknown; confidence: number; evidence: Evidence | null };

/** The extracted value(s) of a field, as strings for display, with confidence and evidence. */
function extractedOf(fields: Record<string, unknown> | null, name: string): { got: string; confidence: number; evidence: Evidence | null }[] {
  if (!fields) return [];
  if (name === 'parties') {
    const parties = (fields as unknown as ContractExtraction).parties ?? [];
    return parties.map((p) => ({ got: p.name, confidence: p.confidence, evidence: p.evidence }));
  }
  if (name === INVOICE_VAT_BREAKDOWN.name) {
    const entries = (fields as unknown as InvoiceExtraction).vatBreakdown ?? [];
    return entries.map((v) => ({ got: vatEntryKey(v), confidence: v.confidence, evidence: v.evidence }));
  }
  const f = fields[name] as Scalar | undefined;
  if (!f || f.value === null || f.value === undefined) return [];
  const got = typeof f.value === 'object' ? `${(f.value as { count: number }).count} ${(f.value as { unit: string }).unit}` : String(f.value);
  return [{ got, confidence: f.confidence, evidence: f.evidence }];
}

/**
 * Accuracy scoring: one item per gold value (a list gives one item per element,
 * each matched at most once). A field the gold leaves out, or gives as null, is
 * not scored. `predicted` counts the scored fields that had an extracted value.
 */
export function scoreFields(
  gold: FieldGold,
  extracted: InvoiceExtraction | ContractExtraction | null,
  types: Record<string, ValueType>,
): DocumentScore {
  const fields: Record<string, Tally> = {};
  const items: ItemOutcome[] = [];
  for (const [name, goldValue] of Object.entries(gold)) {
    if (goldValue === null || goldValue === undefined || goldValue === '') continue;
    const type = types[name] ?? 'text';
    const golds = Array.isArray(goldValue) ? goldValue : [goldValue];
    const got = extractedOf(extracted as Record<string, unknown> | null, name);
    const used = new Set<number>();
    const t = (fields[name] = emptyTally());
    t.predicted = Math.min(got.length, golds.length);
    for (const g of golds) {
      const want = normaliseValue(type, g);
      t.expected += 1;
      const i = got.findIndex((x, j) => !used.has(j) && normaliseValue(type, x.got) === want);
      if (i >= 0) {
        used.add(i);
        t.tp += 1;
        const x = got[i]!;
        items.push({ field: name, expected: display(g), got: x.got, right: true, confidence: x.confidence, evidence: x.evidence });
      } else {
        // Not found: report the extracted value it was compared with (the first unused one), if any.
        const j = got.findIndex((_, k) => !used.has(k));
        const x = j >= 0 && !Array.isArray(goldValue) ? got[j]! : null;
        items.push({
          field: name,
          expected: display(g),
          got: x?.got ?? null,
          right: false,
          confidence: x?.confidence ?? null,
          evidence: x?.evidence ?? null,
        });
      }
    }
  }
  return { fields, items };
}

function display(v: unknown): string {
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
}

/** invoice2data gold (one object) as field gold over the nine scored fields. */
export function invoice2dataGold(raw: Record<string, unknown>): FieldGold {
  const gold: FieldGold = {};
  for (const [key, field] of Object.entries(INVOICE2DATA_FIELDS)) {
    if (raw[key] !== undefined && raw[key] !== null && raw[key] !== '') gold[field] = raw[key];
  }
  return gold;
}
