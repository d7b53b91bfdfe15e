import { describe, expect, it } from 'vitest';
import {
  emptyContractExtraction,
  emptyInvoiceExtraction,
  type ContractExtraction,
  type ContractParty,
  type InvoiceExtraction,
  type InvoiceLineItem,
} from '../../schemas/index.ts';
import { combineReadings, CONFLICT_FACTOR, mergeExtractions } from '../../src/extraction/merge.ts';

const x = <T>(value: T | null, confidence: number, page = 1) => ({
  value,
  confidence,
  evidence: value === null ? null : { page, quote: String(value) },
});
const inv = (patch: Partial<InvoiceExtraction>): InvoiceExtraction => ({ ...emptyInvoiceExtraction(), ...patch });
const line = (description: string, amount: string | null, page: number, confidence = 0.9, quantity: string | null = null, unitPrice: string | null = null): InvoiceLineItem => ({
  description,
  quantity,
  unitPrice,
  amount,
  confidence,
  evidence: { page, quote: description },
});

describe('mergeExtractions (scalars)', () => {
  it('returns an empty extraction for no parts', () => {
    expect(mergeExtractions('invoice', [])).toEqual({ fields: emptyInvoiceExtraction(), conflicts: [] });
  });

  it('takes the only non-null value without conflict', () => {
    const out = mergeExtractions('invoice', [inv({ vendorName: x('Acme', 0.7) }), inv({ total: x('100.00', 0.9, 2) })]);
    expect(out.conflicts).toEqual([]);
    expect(out.fields.vendorName).toEqual(x('Acme', 0.7));
    expect(out.fields.total).toEqual(x('100.00', 0.9, 2));
  });

  it('agreeing values (normalised) are no conflict; the most confident reading wins', () => {
    const out = mergeExtractions('invoice', [
      inv({ total: x('1190.0', 0.6), vendorName: x('ACME GmbH', 0.8) }),
      inv({ total: x('1190.00', 0.9, 2), vendorName: x('Acme GmbH.', 0.8, 2) }),
    ]);
    expect(out.conflicts).toEqual([]);
    expect(out.fields.total).toEqual(x('1190.00', 0.9, 2));
    expect(out.fields.vendorName).toEqual(x('ACME GmbH', 0.8)); // tie: earlier page
  });

  it('records a conflict and lowers the chosen confidence', () => {
    expect(CONFLICT_FACTOR).toBe(0.8);
    const out = mergeExtractions('invoice', [
      inv({ total: x('1190.00', 0.7), issueDate: x('2024-03-01', 0.9) }),
      inv({ total: x('1200.00', 0.9, 2), issueDate: x('2024-03-02', 0.9, 2) }),
      inv({ total: x('1190.00', 0.8, 3) }),
    ]);
    expect(out.conflicts).toEqual([
      { field: 'issueDate', values: ['2024-03-01', '2024-03-02'], chosen: '2024-03-01' },
      { field: 'total', values: ['1190.00', '1200.00'], chosen: '1200.00' },
    ]);
    expect(out.fields.total.value).toBe('1200.00');
    expect(out.fields.total.confidence).toBeCloseTo(0.72, 10);
    expect(out.fields.total.evidence?.page).toBe(2);
    expect(out.fields.issueDate.confidence).toBeCloseTo(0.72, 10);
  });

  it('compares durations in a common unit', () => {
    const c = (patch: Partial<ContractExtraction>): ContractExtraction => ({ ...emptyContractExtraction(), ...patch });
    const same = mergeExtractions('contract', [c({ term: x({ count: 2, unit: 'years' as const }, 0.9) }), c({ term: x({ count: 24, unit: 'months' as const }, 0.5) })]);
    expect(same.conflicts).toEqual([]);
    const diff = mergeExtractions('contract', [c({ term: x({ count: 2, unit: 'years' as const }, 0.9) }), c({ term: x({ count: 3, unit: 'years' as const }, 0.5) })]);
    expect(diff.conflicts).toEqual([{ field: 'term', values: ['2 years', '3 years'], chosen: '2 years' }]);
  });
});

describe('mergeExtractions (line items)', () => {
  it('concatenates in order', () => {
    const out = mergeExtractions('invoice', [inv({ lineItems: [line('A', '1.00', 1), line('B', '2.00', 1)] }), inv({ lineItems: [line('C', '3.00', 2)] })]);
    expect(out.fields.lineItems.map((l) => l.description)).toEqual(['A', 'B', 'C']);
  });

  it('stitches a line split across a page break', () => {
    const out = mergeExtractions('invoice', [
      inv({ lineItems: [line('A', '1.00', 1), line('Consulting, March', null, 1, 0.9, '10', null)] }),
      inv({ lineItems: [line('', '1000.00', 2, 0.6, null, '100.00'), line('C', '3.00', 2)] }),
    ]);
    expect(out.fields.lineItems).toEqual([
      line('A', '1.00', 1),
      { description: 'Consulting, March', quantity: '10', unitPrice: '100.00', amount: '1000.00', confidence: 0.6, evidence: { page: 1, quote: 'Consulting, March' } },
      line('C', '3.00', 2),
    ]);
  });

  it('drops lines duplicated at an overlapping boundary (same page), keeps identical rows from different pages', () => {
    const overlap = mergeExtractions('invoice', [
      inv({ lineItems: [line('A', '1.00', 1), line('B', '2.00', 2, 0.7), line('C', '3.00', 2)] }),
      inv({ lineItems: [line('B', '2.00', 2, 0.95), line('C', '3.00', 2), line('D', '4.00', 3)] }),
    ]);
    expect(overlap.fields.lineItems.map((l) => l.description)).toEqual(['A', 'B', 'C', 'D']);
    expect(overlap.fields.lineItems[1]!.confidence).toBe(0.95);

    const distinct = mergeExtractions('invoice', [inv({ lineItems: [line('Shipping', '5.00', 1)] }), inv({ lineItems: [line('Shipping', '5.00', 2)] })]);
    expect(distinct.fields.lineItems).toHaveLength(2);
  });
});

describe('mergeExtractions (parties)', () => {
  const party = (name: string, role: string | null, confidence: number): ContractParty => ({ name, role, confidence, evidence: null });
  it('unions parties by normalised name', () => {
    const c = (parties: ContractParty[]): ContractExtraction => ({ ...emptyContractExtraction(), parties });
    const out = mergeExtractions('contract', [
      c([party('Acme Corp.', null, 0.7), party('Jane Roe', 'Recipient', 0.9)]),
      c([party('ACME CORP', 'Company', 0.9), party('Beta LLC', 'Guarantor', 0.5)]),
    ]);
    expect(out.conflicts).toEqual([]);
    expect(out.fields.parties).toEqual([party('ACME CORP', 'Company', 0.9), party('Jane Roe', 'Recipient', 0.9), party('Beta LLC', 'Guarantor', 0.5)]);
  });
  it('records a role conflict', () => {
    const c = (parties: ContractParty[]): ContractExtraction => ({ ...emptyContractExtraction(), parties });
    const out = mergeExtractions('contract', [c([party('Acme', 'Licensor', 0.9)]), c([party('Acme', 'Licensee', 0.8)])]);
    expect(out.conflicts).toEqual([{ field: 'parties[0].role', values: ['Licensor', 'Licensee'], chosen: 'Licensor' }]);
    expect(out.fields.parties[0]!.confidence).toBeCloseTo(0.72, 10);
  });
});

describe('combineReadings (fast and deep tier on the same pages)', () => {
  const at = (value: string, confidence: number, page: number) => ({ value, confidence, evidence: { page, quote: value } });
  const lineAt = (description: string, amount: string, page: number, confidence = 0.9) => ({
    description,
    quantity: null,
    unitPrice: null,
    amount,
    confidence,
    evidence: { page, quote: `${description} ${amount}` },
  });

  it('keeps per field the better evidenced value; an unfound value is no conflict', () => {
    const fast = { ...emptyInvoiceExtraction(), total: at('999.00', 0.27, 2), invoiceNumber: at('A-1', 0.9, 1) };
    const deep = { ...emptyInvoiceExtraction(), total: at('119.00', 0.9, 2), invoiceNumber: at('A-2', 0.88, 1) };
    const { fields, conflicts } = combineReadings('invoice', fast, deep, new Set([2]));
    expect(fields.total).toEqual(at('119.00', 0.9, 2));
    // Two credible readings that disagree: the better one is kept, at a discount.
    expect(fields.invoiceNumber.value).toBe('A-1');
    expect(fields.invoiceNumber.confidence).toBeCloseTo(0.72, 10);
    expect(conflicts).toEqual([{ field: 'invoiceNumber', values: ['A-1', 'A-2'], chosen: 'A-1' }]);
  });

  it('replaces line items only on the pages the deep tier read', () => {
    const fast = { ...emptyInvoiceExtraction(), lineItems: [lineAt('A', '10.00', 1), lineAt('B?', '2O.00', 2, 0.3)] };
    const deep = { ...emptyInvoiceExtraction(), lineItems: [lineAt('B', '20.00', 2)] };
    const { fields } = combineReadings('invoice', fast, deep, new Set([2]));
    expect(fields.lineItems.map((l) => l.description)).toEqual(['A', 'B']);
    const noDeepLines = combineReadings('invoice', fast, { ...emptyInvoiceExtraction() }, new Set([2]));
    expect(noDeepLines.fields.lineItems.map((l) => l.description)).toEqual(['A', 'B?']);
  });
});
