import { z } from 'zod';
import { CurrencyCode, Duration, extracted, InvoiceDocumentType, IsoDate, Money } from './common.ts';

/**
 * The field registry's vocabulary. Each record kind declares its fields once
 * (schemas/invoice-fields.ts, schemas/contract-fields.ts): name, type, label,
 * whether it is required, and its database column. Everything else that lists a
 * record's fields is derived from that declaration with the helpers here and a
 * table per type in the consumer:
 *
 * - the record schemas InvoiceExtraction / ContractExtraction (schemas/invoice.ts, contract.ts)
 * - the reviewer's correction schemas (schemas/corrections.ts)
 * - the model-output schema sent to Gemini (src/extraction/gemini/output-schema.ts)
 * - the API response schemas (src/api/schemas.ts)
 * - the record columns read and written (src/db/records.ts) and the export columns (src/exports/)
 * - the evaluation's field types (src/eval/metrics.ts)
 *
 * Adding a field is one entry in the kind's registry plus a migration adding its
 * column (and the column in src/db/schema.ts). A new field *type* adds a row to
 * each table keyed by FieldType (the compiler lists them).
 *
 * A field marked `exactOnly` is read only by the exact e-invoice tier (from the
 * invoice's XML: buyer reference, VAT breakdown, profile …). It is part of the
 * record, the corrections, the API, the exports and the evaluation like any
 * other field, but it is not asked of the models (not in the model-output
 * schema, not grounded in page text, not merged across model readings), and it
 * is optional in the record: a record read from text does not carry it, which
 * says "not read" rather than "absent from the document".
 */

/**
 * What a field holds.
 * - text: free text (names, addresses, terms); compared as text by the evaluation
 * - identifier: a code read character by character (invoice number, VAT id, IBAN, BIC)
 * - date: ISO calendar date
 * - money: exact decimal amount (the currency is its own field)
 * - currency: ISO 4217 code
 * - boolean: yes / no
 * - duration: { count, unit }, stored in two columns
 * - documentType: "invoice" or "credit_note" (a credit note's amounts are what is credited)
 */
export type FieldType = 'text' | 'identifier' | 'date' | 'money' | 'currency' | 'boolean' | 'duration' | 'documentType';

/** The columns of a duration field: its count and its unit. */
export interface DurationColumns {
  count: string;
  unit: string;
}

/** One scalar field of a record kind. */
export interface FieldSpec {
  type: FieldType;
  /** What a person calls it (CLI, docs, review screens). */
  label: string;
  /** What it is, for readers of the API document (OpenAPI descriptions). */
  description?: string;
  /** Required fields drive the document's confidence; missing ones send it to review. */
  required?: boolean;
  /** The column of the record's table (a duration has two). */
  column: string | DurationColumns;
  /** Read only by the exact e-invoice tier: not asked of models, optional in the record (see the header). */
  exactOnly?: boolean;
}

/** A record kind's list field (invoice line items, contract parties): its own table, one row per item. */
export interface ListFieldSpec<N extends string = string, A extends string = string> {
  name: N;
  label: string;
  /** The scalar field it follows in every derived schema (the order models are asked in). */
  after: A;
  required?: boolean;
  table: string;
  /** Read only by the exact e-invoice tier (as for a scalar field). */
  exactOnly?: boolean;
}

export type FieldRegistry = Readonly<Record<string, FieldSpec>>;

/** The zod schema of each type's value in a record (and in a correction). */
export const FIELD_VALUE = {
  text: z.string().min(1),
  identifier: z.string().min(1),
  date: IsoDate,
  money: Money,
  currency: CurrencyCode,
  boolean: z.boolean(),
  duration: Duration,
  documentType: InvoiceDocumentType,
} as const satisfies Record<FieldType, z.ZodType>;
export type FieldValueSchemas = typeof FIELD_VALUE;

/** Maps each field of a registry through `make`, keeping the declared order. */
export function mapFields<F extends FieldRegistry, T>(fields: F, make: (spec: F[keyof F], name: keyof F & string) => T): { [K in keyof F]: T } {
  return Object.fromEntries(Object.entries(fields).map(([name, spec]) => [name, make(spec as F[keyof F], name)])) as { [K in keyof F]: T };
}

/** `shape` with `extra` inserted after the key `after` (list fields keep their place among the scalars). */
export function insertAfter<S extends Record<string, unknown>, E extends Record<string, unknown>>(shape: S, after: keyof S & string, extra: E): S & E {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(shape)) {
    out[key] = value;
    if (key === after) Object.assign(out, extra);
  }
  if (!(after in shape)) throw new Error(`insertAfter: no field ${after}`);
  return out as S & E;
}

/** A registry without its exact-only fields: what the models are asked for. */
export type AskedFields<F extends FieldRegistry> = { [K in keyof F as F[K] extends { exactOnly: true } ? never : K]: F[K] };

/** The fields asked of the models (every field not marked `exactOnly`), in declared order. */
export function askedFields<F extends FieldRegistry>(fields: F): AskedFields<F> {
  return Object.fromEntries(Object.entries(fields).filter(([, spec]) => !spec.exactOnly)) as AskedFields<F>;
}

/** Field names in declared order. */
export function fieldNames<F extends FieldRegistry>(fields: F): (keyof F & string)[] {
  return Object.keys(fields) as (keyof F & string)[];
}

/** The scalar fields marked required, and the list field when it is required, in the derived schemas' order. */
export function requiredFieldNames<F extends FieldRegistry, L extends ListFieldSpec>(fields: F, list: L): (keyof F | L['name'])[] {
  const out: (keyof F | L['name'])[] = [];
  for (const [name, spec] of Object.entries(fields)) {
    if (spec.required) out.push(name);
    if (name === list.after && list.required) out.push(list.name);
  }
  return out;
}

/** Each type's record-schema field: `{ value, confidence, evidence }`. */
const EXTRACTED = {
  text: extracted(FIELD_VALUE.text),
  identifier: extracted(FIELD_VALUE.identifier),
  date: extracted(FIELD_VALUE.date),
  money: extracted(FIELD_VALUE.money),
  currency: extracted(FIELD_VALUE.currency),
  boolean: extracted(FIELD_VALUE.boolean),
  duration: extracted(FIELD_VALUE.duration),
  documentType: extracted(FIELD_VALUE.documentType),
} as const satisfies Record<FieldType, z.ZodType>;

/** The record-schema shape of a registry's scalar fields (exact-only fields optional: a record read from text lacks them). */
export type ExtractedShape<F extends FieldRegistry> = {
  [K in keyof F]: F[K] extends { exactOnly: true } ? z.ZodOptional<(typeof EXTRACTED)[F[K]['type']]> : (typeof EXTRACTED)[F[K]['type']];
};
export function extractedShape<F extends FieldRegistry>(fields: F): ExtractedShape<F> {
  return mapFields(fields, (spec) => (spec.exactOnly ? EXTRACTED[spec.type].optional() : EXTRACTED[spec.type])) as ExtractedShape<F>;
}

/** Each type's correction: the plain value, null to clear it. */
const CORRECTED = {
  text: FIELD_VALUE.text.nullable(),
  identifier: FIELD_VALUE.identifier.nullable(),
  date: FIELD_VALUE.date.nullable(),
  money: FIELD_VALUE.money.nullable(),
  currency: FIELD_VALUE.currency.nullable(),
  boolean: FIELD_VALUE.boolean.nullable(),
  duration: FIELD_VALUE.duration.nullable(),
  documentType: FIELD_VALUE.documentType.nullable(),
} as const satisfies Record<FieldType, z.ZodType>;

/** The correction shape of a registry's scalar fields. */
export type CorrectionShape<F extends FieldRegistry> = { [K in keyof F]: (typeof CORRECTED)[F[K]['type']] };
export function correctionShape<F extends FieldRegistry>(fields: F): CorrectionShape<F> {
  return mapFields(fields, (spec) => CORRECTED[spec.type]) as CorrectionShape<F>;
}

/** An absent value: no value, no evidence, zero confidence. */
export function absentFields<F extends FieldRegistry>(fields: F): { [K in keyof F]: { value: null; confidence: number; evidence: null } } {
  return mapFields(fields, () => ({ value: null, confidence: 0, evidence: null }));
}

/** Each type's value as a stored record shows it (amounts as exact decimal strings). */
interface RecordValueOf {
  text: string;
  identifier: string;
  date: string;
  money: string;
  currency: string;
  boolean: boolean;
  duration: { count: number; unit: string | null };
  documentType: InvoiceDocumentType;
}

/** A record's field values as read back from its columns, null when absent. */
export type RecordValues<F extends FieldRegistry> = { -readonly [K in keyof F]: RecordValueOf[F[K]['type']] | null };

/** The database columns a registry names (both columns of a duration). */
export type RegistryColumns<F extends FieldRegistry> = {
  [K in keyof F]: F[K]['column'] extends string
    ? F[K]['column']
    : F[K]['column'] extends DurationColumns
      ? F[K]['column']['count'] | F[K]['column']['unit']
      : never;
}[keyof F];
