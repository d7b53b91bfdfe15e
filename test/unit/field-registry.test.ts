import { describe, expect, it } from 'vitest';
import {
  CONTRACT_FIELDS,
  CONTRACT_PARTIES,
  CONTRACT_REQUIRED_FIELDS,
  ContractCorrection,
  ContractExtraction,
  emptyContractExtraction,
  emptyInvoiceExtraction,
  INVOICE_FIELDS,
  INVOICE_LINES,
  INVOICE_REQUIRED_FIELDS,
  InvoiceCorrection,
  InvoiceExtraction,
  type FieldRegistry,
  type ListFieldSpec,
} from '../../schemas/index.ts';
import { ContractRecord, ContractSummary, InvoiceRecord, InvoiceSummary } from '../../src/api/schemas.ts';
import { CONTRACT_FIELD_TYPES, INVOICE_FIELD_TYPES } from '../../src/eval/metrics.ts';
import { INVOICE_COLUMNS } from '../../src/exports/invoices.ts';
import { ContractModelOutput, InvoiceModelOutput, responseJsonSchema } from '../../src/extraction/gemini/output-schema.ts';

/** The registry's order with the list field in its place: the order every derived schema must follow. */
function withList(fields: FieldRegistry, list: ListFieldSpec): string[] {
  return Object.keys(fields).flatMap((name) => (name === list.after ? [name, list.name] : [name]));
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
    list: INVOICE_LINES as ListFieldSpec,
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
    list: CONTRACT_PARTIES as ListFieldSpec,
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
      const ordered = withList(k.fields, k.list);

      it('every field, and nothing else, is in the record schema, in the registry order', () => {
        // The e-invoice fields are still an extension beside the registry (issue 14 leaves moving them in).
        const extension = k.kind === 'invoice' ? ['documentType', 'customerAddress', 'customerTaxId', 'buyerReference', 'vatBreakdown'] : [];
        expect(Object.keys(k.extraction.shape)).toEqual([...ordered, ...extension]);
        expect(Object.keys(k.empty)).toEqual(ordered);
        expect(k.extraction.safeParse(k.empty).success).toBe(true);
      });

      it('the model is asked for every field in the same order (zod and the JSON Schema sent to Gemini)', () => {
        expect(Object.keys(k.model.shape)).toEqual(ordered);
        const json = responseJsonSchema(k.kind) as { properties: Record<string, unknown>; required: string[] };
        expect(Object.keys(json.properties)).toEqual(ordered);
        expect(json.required).toEqual(ordered);
      });

      it('a reviewer can correct every field', () => {
        expect(new Set(Object.keys(k.correction.shape))).toEqual(new Set(ordered));
      });

      it('the API shows every field in records and listings', () => {
        expect(registryKeys(Object.keys(k.record.shape), k.fields)).toEqual(Object.keys(k.fields));
        expect(Object.keys(k.record.shape)).toContain(k.list.name);
        expect(registryKeys(Object.keys(k.summary.shape), k.fields)).toEqual(Object.keys(k.fields));
      });

      it('the evaluation knows the type of every field', () => {
        expect(Object.keys(k.evalTypes)).toEqual([...Object.keys(k.fields), ...(k.kind === 'contract' ? [k.list.name] : [])]);
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

  it('required fields come from the registry', () => {
    expect(INVOICE_REQUIRED_FIELDS).toEqual(['vendorName', 'invoiceNumber', 'issueDate', 'currency', 'total']);
    expect(CONTRACT_REQUIRED_FIELDS).toEqual(['parties', 'effectiveDate', 'governingLaw']);
    expect(INVOICE_REQUIRED_FIELDS).toEqual(Object.entries(INVOICE_FIELDS).filter(([, s]) => 'required' in s && s.required).map(([n]) => n));
  });
});
