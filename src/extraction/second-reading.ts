/**
 * A second, independent reading of a document's required fields by a cheap
 * model (DOCROUTE_CHECK_MODEL, Flash-Lite by default), compared with the first
 * reading to move the earned confidence:
 *
 * - AGREEMENT on a required field raises its confidence to
 *   1 − (1 − c) × AGREEMENT_FACTOR (0.9 → 0.95), but only where the first
 *   reading's value is grounded (found on the page it cites) and no failed
 *   check names the field: two readers agreeing on a value that is not on the
 *   page is not evidence.
 * - DISAGREEMENT is a failed check `second_reading(<field>)`: the field's
 *   confidence is halved like any failed check's (confidence.ts), the fast
 *   tier's escalation plan asks the deep tier about that field, and a document
 *   that still disagrees goes to review with a reason in words naming the field.
 * - A field the second reading left empty (or could not read) changes nothing.
 *
 * Pure and without I/O: the call itself is a tier's (gemini/second-reader.ts);
 * the workflow runs it as its own paid activity, the evaluation in process.
 * Only the required scalar fields are read (a contract's party list is not).
 */
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import {
  CONTRACT_FIELDS,
  CONTRACT_REQUIRED_FIELDS,
  FIELD_VALUE,
  INVOICE_FIELDS,
  INVOICE_REQUIRED_FIELDS,
  type ExtractableKind,
  type Extracted,
  type FieldType,
} from '../../schemas/index.ts';
import type { CheckResult } from '../validation/checks.ts';
import type { ExtractionFields } from './model-tier.ts';
import { normalizeAlnum } from './normalize.ts';

/** How much of the gap to 1 an agreeing, grounded field keeps: 0.9 becomes 0.95. */
export const AGREEMENT_FACTOR = 0.5;
/** The check a disagreement fails. */
export const SECOND_READING_CHECK = 'second_reading';

/** The fields a second reading of this kind covers: the required scalar fields, in registry order. */
export function secondReadingFields(kind: ExtractableKind): { name: string; type: FieldType; label: string }[] {
  const registry: Record<string, { type: FieldType; label: string }> = kind === 'invoice' ? INVOICE_FIELDS : CONTRACT_FIELDS;
  const required: readonly string[] = kind === 'invoice' ? INVOICE_REQUIRED_FIELDS : CONTRACT_REQUIRED_FIELDS;
  return required.filter((name) => registry[name] !== undefined).map((name) => ({ name, type: registry[name]!.type, label: registry[name]!.label }));
}

/** What the second reader answers: each covered field's value as text, or null. */
export type SecondReading = Record<string, string | null>;

/** The zod schema of a second reading of this kind (its own, small schema: values only, no evidence). */
export function secondReadingSchema(kind: ExtractableKind) {
  return z.object(Object.fromEntries(secondReadingFields(kind).map((f) => [f.name, z.string().nullable()])));
}

/** A value of the second reading, normalised for its type; null when absent or not a valid value of that type. */
function valueOf(type: FieldType, raw: string | null | undefined): unknown {
  if (raw === null || raw === undefined || raw.trim() === '') return null;
  const text = raw.trim();
  const candidate = type === 'money' ? text.replace(/[^\d.-]/g, '') : type === 'currency' ? text.toUpperCase() : text;
  const parsed = (FIELD_VALUE as Record<FieldType, z.ZodType>)[type].safeParse(type === 'boolean' ? /^(true|yes)$/i.test(text) : candidate);
  return parsed.success ? parsed.data : null;
}

/** Whether two values of a field's type say the same thing. */
export function sameValue(type: FieldType, a: unknown, b: unknown): boolean {
  if (a === null || b === null) return false;
  switch (type) {
    case 'money':
      try {
        return new Decimal(String(a)).abs().equals(new Decimal(String(b)).abs());
      } catch {
        return false;
      }
    case 'identifier':
      return normalizeAlnum(String(a)) === normalizeAlnum(String(b));
    case 'text': {
      // Names: the same letters and digits, or one the other's longer form ("ACME" / "ACME GmbH").
      const x = normalizeAlnum(String(a));
      const y = normalizeAlnum(String(b));
      if (x === y) return x.length > 0;
      const [short, long] = x.length < y.length ? [x, y] : [y, x];
      return short.length >= 4 && long.startsWith(short);
    }
    case 'currency':
      return String(a).toUpperCase() === String(b).toUpperCase();
    default:
      return JSON.stringify(a) === JSON.stringify(b);
  }
}

export interface Agreement {
  /** Fields on which both readings have the same value. */
  agreed: string[];
  /** Fields on which both have a value and the values differ. */
  disagreed: string[];
  /** One failed check per disagreement (its message quotes the values: it stays in Postgres). */
  checks: CheckResult[];
}

/**
 * Compares the first reading with the second on the covered fields.
 * `model` names the second reader in the words of the check.
 */
export function compareReadings<K extends ExtractableKind>(kind: K, fields: ExtractionFields<K>, second: SecondReading, model: string): Agreement {
  const out: Agreement = { agreed: [], disagreed: [], checks: [] };
  const record = fields as unknown as Record<string, Extracted<unknown>>;
  for (const { name, type } of secondReadingFields(kind)) {
    const first = record[name]?.value ?? null;
    const other = valueOf(type, second[name]);
    if (first === null || other === null) continue;
    if (sameValue(type, first, other)) {
      out.agreed.push(name);
      continue;
    }
    out.disagreed.push(name);
    out.checks.push({
      name: SECOND_READING_CHECK,
      passed: false,
      message: `${name}: the first reading has ${JSON.stringify(first)}, a second, independent reading by ${model} has ${JSON.stringify(other)}`,
      fields: [name],
      reason: `a second, independent reading (${model}) disagrees on ${name}`,
    });
  }
  return out;
}

/**
 * Raises the confidence of the agreed fields that are grounded and named by no
 * failed check (see the module comment). Returns a copy.
 */
export function applyAgreement<K extends ExtractableKind>(
  fields: ExtractionFields<K>,
  agreed: readonly string[],
  ungrounded: readonly string[],
  checks: readonly CheckResult[],
): ExtractionFields<K> {
  const out = structuredClone(fields) as unknown as Record<string, Extracted<unknown>>;
  const doubted = new Set([...ungrounded, ...checks.filter((c) => !c.passed).flatMap((c) => c.fields)]);
  for (const name of agreed) {
    const field = out[name];
    if (!field || field.value === null || doubted.has(name) || field.evidence === null) continue;
    field.confidence = Math.round((1 - (1 - field.confidence) * AGREEMENT_FACTOR) * 10_000) / 10_000;
  }
  return out as unknown as ExtractionFields<K>;
}
