import { describe, expect, it } from 'vitest';
import {
  CONTRACT_FIELDS,
  CONTRACT_PARTIES,
  CONTRACT_REQUIRED_FIELDS,
  ContractCorrection,
  ContractExtraction,
  emptyContractExtraction,
  emptyInvoiceExtraction,
  INVOICE_EXACT_ONLY_FIELDS,
  INVOICE_FIELDS,
  INVOICE_LINES,
  INVOICE_MODEL_FIELDS,
  INVOICE_REQUIRED_FIELDS,
  INVOICE_VAT_BREAKDOWN,
  InvoiceCorrection,
  InvoiceExtraction,
  type FieldRegistry,
  type ListFieldSpec,
} from '../../schemas/index.ts';
import { ContractRecord, ContractSummary, InvoiceRecord, InvoiceSummary } from '../../src/api/schemas.ts';
import { CONTRACT_FIELD_TYPES, INVOICE_FIELD_TYPES } from '../../src/eval/metrics.ts';
import { INVOICE_COLUMNS } from '../../src/exports/invoices.ts';
import { ContractModelOutput, InvoiceModelOutput, responseJsonSchema } from '../../src/extraction/gemini/output-schema.ts';

/** The registry's order with the list fields in their places: the order every derived schema must follow. */
function withLists(fields: FieldRegistry, lists: readonly ListFieldSpec[]): string[] {
  return Object.keys(fields).flatMap((name) => [name, ...lists.filter((l) => l.after === name).map((l) => l.name)]);
}

/** The same, without what only the exact e-invoice tier reads: what the models are asked for. */
function askedOrder(fields: FieldRegistry, lists: readonly ListFieldSpec[]): string[] {
  const asked = Object.fromEntries(Object.entries(fields).filter(([, spec]) => !spec.exactOnly));
  return withLists(asked, lists.filter((l) => !l.exactOnly));
}

/** `keys` restricted to the registry's names (and the list field), in their order. */
function registryKeys(keys: readonly string[], fields: FieldRegistry, list?: ListFieldSpec): string[] {
  const known = new Set([...Object.keys(fields), ...(list ? [list.name] : [])]);
  return keys.filter((k) => known.has(k));
}

const KINDS = [
  {
    kind: 'invoice' as const,
    fields: INVOICE_FIELDS as FieldRegistry,
    lists: [INVOICE_LINES, INVOICE_VAT_BREAKDOWN] as ListFieldSpec[],
    extraction: InvoiceExtraction,
    correction: InvoiceCorrection,
    model: InvoiceModelOutput,
    record: InvoiceRecord,
    summary: InvoiceSummary,
    evalTypes: INVOICE_FIELD_TYPES as Record<string, string>,
    empty: emptyInvoiceExtraction(),
  },
  {
    kind: 'contract' as const,
    fields: CONTRACT_FIELDS as FieldRegistry,
    lists: [CONTRACT_PARTIES] as ListFieldSpec[],
    extraction: ContractExtraction,
    correction: ContractCorrection,
    model: ContractModelOutput,
    record: ContractRecord,
    summary: ContractSummary,
    evalTypes: CONTRACT_FIELD_TYPES as Record<string, string>,
    empty: emptyContractExtraction(),
  },
];

describe('field registry', () => {
  for (const k of KINDS) {
    describe(k.kind, () => {
      const ordered = withLists(k.fields, k.lists);
      const asked = askedOrder(k.fields, k.lists);

      it('every field, and nothing else, is in the record schema, in the registry order', () => {
        expect(Object.keys(k.extraction.shape)).toEqual(ordered);
        // An empty record (what a model tier starts from) has every field asked of the models.
        expect(Object.keys(k.empty)).toEqual(asked);
        expect(k.extraction.safeParse(k.empty).success).toBe(true);
      });

      it('exact-only fields are optional in the record, every other field is required', () => {
        for (const [name, spec] of Object.entries(k.fields)) {
          const without = Object.fromEntries(Object.entries(k.empty).filter(([key]) => key !== name));
          expect(k.extraction.safeParse(without).success, name).toBe(spec.exactOnly === true);
        }
      });

      it('the model is asked for every field but the exact-only ones, in the same order (zod and the JSON Schema sent to Gemini)', () => {
        expect(Object.keys(k.model.shape)).toEqual(asked);
        const json = responseJsonSchema(k.kind) as { properties: Record<string, unknown>; required: string[] };
        expect(Object.keys(json.properties)).toEqual(asked);
        expect(json.required).toEqual(asked);
      });

      it('a reviewer can correct every field, exact-only ones included', () => {
        expect(new Set(Object.keys(k.correction.shape))).toEqual(new Set(ordered));
      });

      it('the API shows every field in records and listings', () => {
        expect(registryKeys(Object.keys(k.record.shape), k.fields)).toEqual(Object.keys(k.fields));
        for (const list of k.lists) expect(Object.keys(k.record.shape)).toContain(list.name);
        expect(registryKeys(Object.keys(k.summary.shape), k.fields)).toEqual(Object.keys(k.fields));
      });

      it('the evaluation knows the type of every field', () => {
        // Every scalar field, and the list fields scored item by item (parties; the VAT breakdown; not the line items).
        expect(Object.keys(k.evalTypes)).toEqual([...Object.keys(k.fields), ...(k.kind === 'contract' ? ['parties'] : ['vatBreakdown'])]);
      });

      it('no required field is exact-only (every tier must be able to read it)', () => {
        for (const spec of Object.values(k.fields)) if (spec.required) expect(spec.exactOnly).toBeFalsy();
      });

      it('every field names a column, and no two fields share one', () => {
        const columns = Object.values(k.fields).flatMap((spec) =>
          typeof spec.column === 'string' ? [spec.column] : [spec.column.count, spec.column.unit],
        );
        for (const c of columns) expect(c).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(new Set(columns).size).toBe(columns.length);
        for (const spec of Object.values(k.fields)) expect(spec.label.length).toBeGreaterThan(0);
      });
    });
  }

  it('the invoice export has a column per field, in the registry order', () => {
    expect(registryKeys(INVOICE_COLUMNS, INVOICE_FIELDS)).toEqual(Object.keys(INVOICE_FIELDS));
  });

  it('the e-invoice fields are registry fields, marked exact-only, and the models are not asked for them', () => {
    expect(INVOICE_EXACT_ONLY_FIELDS).toEqual(['documentType', 'customerAddress', 'customerTaxId', 'buyerReference', 'profile', 'vatBreakdown']);
    expect(INVOICE_MODEL_FIELDS).toEqual(Object.keys(INVOICE_FIELDS).filter((n) => !(INVOICE_EXACT_ONLY_FIELDS as readonly string[]).includes(n)));
    expect(Object.keys(InvoiceModelOutput.shape)).not.toContain('buyerReference');
    // The API describes them from the registry.
    expect(InvoiceRecord.shape.buyerReference.description).toBe(INVOICE_FIELDS.buyerReference.description);
    expect(InvoiceRecord.shape.documentType.safeParse('credit_note').success).toBe(true);
    expect(InvoiceRecord.shape.documentType.safeParse('receipt').success).toBe(false);
  });

  it('required fields come from the registry', () => {
    expect(INVOICE_REQUIRED_FIELDS).toEqual(['vendorName', 'invoiceNumber', 'issueDate', 'currency', 'total']);
    expect(CONTRACT_REQUIRED_FIELDS).toEqual(['parties', 'effectiveDate', 'governingLaw']);
    expect(INVOICE_REQUIRED_FIELDS).toEqual(Object.entries(INVOICE_FIELDS).filter(([, s]) => 'required' in s && s.required).map(([n]) => n));
  });
});
