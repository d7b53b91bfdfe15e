/**
 * What we ask the model to answer: the fields of InvoiceExtraction /
 * ContractExtraction (declared in schemas/invoice-fields.ts and contract-fields.ts), each as `{value, page, quote}` (no confidence: confidence
 * is earned, not asked for), line items as
 * `{description, quantity, unitPrice, amount, page, quote}` and parties as
 * `{name, role, page, quote}`.
 *
 * The zod schemas below validate the reply; `responseJsonSchema(kind)` is the
 * same schema as JSON Schema for Gemini's `generationConfig.responseJsonSchema`,
 * reduced to what Gemini accepts: objects with `properties` + `required` (every
 * key required, absent values are null), nullable as `anyOf [X, {type:"null"}]`,
 * arrays with `items`, string `enum`s, `minimum`, `description`; no `$ref`,
 * `$schema`, `pattern`, `additionalProperties`, length bounds or
 * `exclusiveMinimum` (the formats those expressed are in the descriptions and
 * enforced by the zod validation afterwards).
 */
import { z } from 'zod';
import {
  askedFields,
  CONTRACT_FIELDS,
  CONTRACT_PARTIES,
  ContractExtraction,
  CurrencyCode,
  Decimal,
  DurationUnit,
  INVOICE_FIELDS,
  INVOICE_LINES,
  insertAfter,
  InvoiceDocumentType,
  InvoiceExtraction,
  IsoDate,
  mapFields,
} from '../../../schemas/index.ts';
import type { ExtractableKind, Evidence, FieldRegistry, FieldType } from '../../../schemas/index.ts';
import type { ExtractionFields } from '../model-tier.ts';

// Page and quote are explained once in the system instruction; descriptions here would repeat on every field.
const Page = z.number().int().min(1);
const Quote = z.string();

const DateValue = IsoDate.describe('date as YYYY-MM-DD');
const DecimalValue = Decimal.describe('plain decimal with a dot, no thousands separators or symbols, e.g. "1234.50"');
const CurrencyValue = CurrencyCode.describe('ISO 4217 currency code, e.g. "EUR"');
const Text = z.string().min(1);
const DurationValue = z
  .object({ count: z.number().int().min(1), unit: DurationUnit })
  .describe('a duration, e.g. {"count": 30, "unit": "days"}');

function field<T extends z.ZodType>(value: T) {
  return z.object({ value: value.nullable(), page: Page.nullable(), quote: Quote.nullable() });
}

export const InvoiceLineOutput = z.object({
  description: Text,
  quantity: DecimalValue.nullable(),
  unitPrice: DecimalValue.nullable(),
  amount: DecimalValue.nullable(),
  page: Page.nullable(),
  quote: Quote.nullable(),
});

/** Each field type as the model answers it (the formats are in the descriptions; zod enforces them after). */
const MODEL_FIELD = {
  text: field(Text),
  identifier: field(Text),
  date: field(DateValue),
  money: field(DecimalValue),
  currency: field(CurrencyValue),
  boolean: field(z.boolean()),
  duration: field(DurationValue),
  documentType: field(InvoiceDocumentType),
} as const satisfies Record<FieldType, z.ZodType>;

type ModelShape<F extends FieldRegistry> = { [K in keyof F]: (typeof MODEL_FIELD)[F[K]['type']] };
function modelShape<F extends FieldRegistry>(fields: F): ModelShape<F> {
  return mapFields(fields, (spec) => MODEL_FIELD[spec.type]) as ModelShape<F>;
}

/** The fields asked of the model: the registry's without the exact-only ones (read from e-invoices only). */
const INVOICE_ASKED = askedFields(INVOICE_FIELDS);

/** The invoice as asked of the model: the registry's asked fields (schemas/invoice-fields.ts), line items after the totals. */
export const InvoiceModelOutput = z.object(
  insertAfter(modelShape(INVOICE_ASKED), INVOICE_LINES.after, { lineItems: z.array(InvoiceLineOutput) }),
);
export type InvoiceModelOutput = z.infer<typeof InvoiceModelOutput>;

export const ContractPartyOutput = z.object({
  name: Text,
  role: Text.nullable(),
  page: Page.nullable(),
  quote: Quote.nullable(),
});

/** The contract as asked of the model: the registry's fields (schemas/contract-fields.ts), parties after the title. */
export const ContractModelOutput = z.object(
  insertAfter(modelShape(CONTRACT_FIELDS), CONTRACT_PARTIES.after, { parties: z.array(ContractPartyOutput) }),
);
export type ContractModelOutput = z.infer<typeof ContractModelOutput>;

export const MODEL_OUTPUT = { invoice: InvoiceModelOutput, contract: ContractModelOutput } as const;

const DROPPED_KEYS = new Set([
  '$schema',
  '$id',
  'pattern',
  'additionalProperties',
  'minLength',
  'maxLength',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'format',
]);

/** Rewrites zod's JSON Schema into the subset Gemini's responseJsonSchema accepts (see the header). */
export function toGeminiJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toGeminiJsonSchema);
  if (typeof node !== 'object' || node === null) return node;
  const input = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (DROPPED_KEYS.has(key)) continue;
    if (key === 'maximum' && typeof value === 'number' && value >= Number.MAX_SAFE_INTEGER) continue;
    if (key === 'minimum' && typeof value === 'number' && value <= Number.MIN_SAFE_INTEGER) continue;
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toGeminiJsonSchema(v)]));
      continue;
    }
    out[key] = toGeminiJsonSchema(value);
  }
  // {type: ["string", "null"], ...} → {anyOf: [{type: "string", ...}, {type: "null"}]}: one nullable form throughout.
  if (Array.isArray(out['type'])) {
    const types = out['type'] as string[];
    const { type: _type, description, ...rest } = out;
    const variants = types.map((t) => (t === 'null' ? { type: 'null' } : { type: t, ...rest }));
    return { anyOf: variants, ...(description !== undefined ? { description } : {}) };
  }
  return out;
}

function buildJsonSchema(kind: ExtractableKind): Record<string, unknown> {
  const schema = toGeminiJsonSchema(z.toJSONSchema(MODEL_OUTPUT[kind], { target: 'draft-2020-12' })) as Record<string, unknown>;
  const text = JSON.stringify(schema);
  if (text.includes('"$ref"') || text.includes('"$defs"')) throw new Error(`response schema for ${kind} has references`);
  return schema;
}

const JSON_SCHEMAS: Readonly<Record<ExtractableKind, Record<string, unknown>>> = {
  invoice: buildJsonSchema('invoice'),
  contract: buildJsonSchema('contract'),
};

/** The JSON Schema sent as generationConfig.responseJsonSchema (do not mutate). */
export function responseJsonSchema(kind: ExtractableKind): Record<string, unknown> {
  return JSON_SCHEMAS[kind];
}

/**
 * Light clean-up of the parsed reply before validation: whitespace-only
 * strings become null (an empty quote is no quote), strings are trimmed,
 * currency codes are upper-cased. Nothing else is repaired silently.
 */
export function normalizeReply(kind: ExtractableKind, raw: unknown): unknown {
  const clean = (v: unknown): unknown => {
    if (typeof v === 'string') return v.trim() === '' ? null : v.trim();
    if (Array.isArray(v)) return v.map(clean);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x)]));
    return v;
  };
  const out = clean(raw);
  if (typeof out === 'object' && out !== null) {
    const registry: FieldRegistry = kind === 'invoice' ? INVOICE_FIELDS : CONTRACT_FIELDS;
    for (const [name, spec] of Object.entries(registry)) {
      if (spec.type !== 'currency') continue;
      const field = (out as Record<string, unknown>)[name];
      if (typeof field === 'object' && field !== null) {
        const c = field as Record<string, unknown>;
        if (typeof c['value'] === 'string') c['value'] = c['value'].toUpperCase();
      }
    }
  }
  return out;
}

/** How confident we are in a present value (see gemini-tier.ts); absent values get 0. */
export type ConfidenceOf = (present: boolean) => number;

const MAX_QUOTE = 2000;

function evidenceOf(page: number | null, quote: string | null): Evidence | null {
  if (page === null || quote === null || quote === '') return null;
  return { page, quote: quote.length > MAX_QUOTE ? quote.slice(0, MAX_QUOTE) : quote };
}

function scalar<T>(f: { value: T | null; page: number | null; quote: string | null }, confidence: ConfidenceOf) {
  if (f.value === null) return { value: null, confidence: 0, evidence: null };
  return { value: f.value, confidence: confidence(true), evidence: evidenceOf(f.page, f.quote) };
}

/** Maps a validated model reply onto the record schema, which it then must pass (throws a ZodError otherwise). */
export function toExtraction<K extends ExtractableKind>(kind: K, output: unknown, confidence: ConfidenceOf): ExtractionFields<K> {
  type Answer = { value: unknown; page: number | null; quote: string | null };
  const scalars = (registry: FieldRegistry, o: object) =>
    mapFields(registry, (_spec, name) => scalar((o as Record<string, Answer>)[name]!, confidence));
  if (kind === 'invoice') {
    const o = output as InvoiceModelOutput;
    const fields = insertAfter(scalars(INVOICE_ASKED, o), INVOICE_LINES.after, {
      lineItems: o.lineItems.map((l) => ({
        description: l.description,
        quantity: l.quantity,
        unitPrice: l.unitPrice,
        amount: l.amount,
        confidence: confidence(true),
        evidence: evidenceOf(l.page, l.quote),
      })),
    });
    return InvoiceExtraction.parse(fields) as ExtractionFields<K>;
  }
  const o = output as ContractModelOutput;
  const fields = insertAfter(scalars(CONTRACT_FIELDS, o), CONTRACT_PARTIES.after, {
    parties: o.parties.map((p) => ({
      name: p.name,
      role: p.role,
      confidence: confidence(true),
      evidence: evidenceOf(p.page, p.quote),
    })),
  });
  return ContractExtraction.parse(fields) as ExtractionFields<K>;
}
