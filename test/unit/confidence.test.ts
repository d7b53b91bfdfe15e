import { describe, expect, it } from 'vitest';
import { emptyContractExtraction, emptyInvoiceExtraction, type ContractExtraction, type InvoiceExtraction } from '../../schemas/index.ts';
import { applyCheckPenalties, CHECK_FAILURE_FACTOR, documentConfidence, reportedValueConfidences } from '../../src/extraction/confidence.ts';
import { createRulesTier, RULES_VALUE_FLOOR } from '../../src/extraction/rules/rules-tier.ts';
import { tiersValueFloor } from '../../src/extraction/tiers.ts';

const x = <T>(value: T | null, confidence: number) => ({ value, confidence, evidence: null });

function invoice(conf: [number, number, number, number, number]): InvoiceExtraction {
  return {
    ...emptyInvoiceExtraction(),
    vendorName: x('Acme', conf[0]),
    invoiceNumber: x('42', conf[1]),
    issueDate: x('2024-03-01', conf[2]),
    currency: x('EUR', conf[3]),
    total: x('100.00', conf[4]),
    subtotal: x('84.03', 0.1), // not required: ignored
  };
}

describe('documentConfidence', () => {
  it('is 0.5 · mean + 0.5 · min of the required fields', () => {
    expect(documentConfidence('invoice', invoice([1, 1, 1, 1, 1]))).toBe(1);
    expect(documentConfidence('invoice', invoice([0.9, 0.9, 0.9, 0.9, 0.9]))).toBe(0.9);
    // mean 0.76, min 0.2 -> 0.48
    expect(documentConfidence('invoice', invoice([0.9, 0.9, 0.9, 0.9, 0.2]))).toBe(0.48);
    // mean 0.8, min 0.6 -> 0.7
    expect(documentConfidence('invoice', invoice([1, 0.9, 0.8, 0.7, 0.6]))).toBe(0.7);
  });

  it('counts a missing required field as 0', () => {
    const f = invoice([0.9, 0.9, 0.9, 0.9, 0.9]);
    f.total = x(null, 0.95);
    // mean 0.72, min 0 -> 0.36
    expect(documentConfidence('invoice', f)).toBe(0.36);
    expect(documentConfidence('invoice', emptyInvoiceExtraction())).toBe(0);
  });

  it('scores parties as the mean of the best two, 0 with fewer than two', () => {
    const party = (name: string, confidence: number) => ({ name, role: null, confidence, evidence: null });
    const c: ContractExtraction = {
      ...emptyContractExtraction(),
      parties: [party('A', 0.6), party('B', 1), party('C', 0.8)],
      effectiveDate: x('2024-01-01', 0.9),
      governingLaw: x('Delaware', 0.6),
    };
    // scores [0.9, 0.9, 0.6]: mean 0.8, min 0.6 -> 0.7
    expect(documentConfidence('contract', c)).toBe(0.7);
    // one party: [0, 0.9, 0.6]: mean 0.5, min 0 -> 0.25
    expect(documentConfidence('contract', { ...c, parties: [party('B', 1)] })).toBe(0.25);
  });
});

describe('applyCheckPenalties', () => {
  it('halves the confidence of fields named by each failed check, copying the input', () => {
    expect(CHECK_FAILURE_FACTOR).toBe(0.5);
    const f = invoice([0.9, 0.9, 0.9, 0.9, 0.8]);
    f.lineItems = [
      { description: 'A', quantity: null, unitPrice: null, amount: '1', confidence: 0.8, evidence: null },
      { description: 'B', quantity: null, unitPrice: null, amount: '2', confidence: 0.6, evidence: null },
    ];
    const out = applyCheckPenalties('invoice', f, [
      { name: 'totals_sum', passed: false, message: '', fields: ['subtotal', 'taxTotal', 'total'] },
      { name: 'line_items_sum', passed: false, message: '', fields: ['lineItems', 'total'] },
      { name: 'line_item_arithmetic', passed: false, message: '', fields: ['lineItems[1]'] },
      { name: 'currency_iso', passed: true, message: '', fields: ['currency'] },
      { name: 'bogus', passed: false, message: '', fields: ['nope', 'lineItems[9]'] },
    ]);
    expect(out.total.confidence).toBeCloseTo(0.2, 10); // two failed checks
    expect(out.subtotal.confidence).toBeCloseTo(0.05, 10);
    expect(out.currency.confidence).toBe(0.9);
    expect(out.lineItems.map((l) => l.confidence)).toEqual([0.4, 0.15]);
    expect(f.total.confidence).toBe(0.8); // input untouched
    expect(documentConfidence('invoice', out)).toBe(0.48); // [0.9, 0.9, 0.9, 0.9, 0.2]: mean 0.76, min 0.2
  });

  it('penalises one party via parties[i] or parties[i].role', () => {
    const party = (name: string, confidence: number) => ({ name, role: null, confidence, evidence: null });
    const c: ContractExtraction = { ...emptyContractExtraction(), parties: [party('A', 0.8), party('B', 0.8)] };
    const out = applyCheckPenalties('contract', c, [{ name: 'chunk_agreement', passed: false, message: '', fields: ['parties[1].role'] }]);
    expect(out.parties.map((p) => p.confidence)).toEqual([0.8, 0.4]);
  });
});

describe('reportedValueConfidences', () => {
  it('lists every reported scalar value, required or not, and leaves out empty fields and line items', () => {
    const f = invoice([0.9, 0.95, 0.9, 0.9, 0.85]);
    f.lineItems = [{ description: 'Widget', quantity: '1', unitPrice: '84.03', amount: '84.03', confidence: 0.2, evidence: null }];
    const c = reportedValueConfidences('invoice', f);
    expect(c).toEqual({ vendorName: 0.9, invoiceNumber: 0.95, issueDate: 0.9, currency: 0.9, total: 0.85, subtotal: 0.1 });
  });

  it('lists each party by index and clamps to [0, 1]', () => {
    const party = (name: string, confidence: number) => ({ name, role: null, confidence, evidence: null });
    const c: ContractExtraction = { ...emptyContractExtraction(), term: x({ count: 2, unit: 'years' }, 1.2), parties: [party('A Inc.', 0.8), party('B LLC', 0.6)] } as ContractExtraction;
    expect(reportedValueConfidences('contract', c)).toEqual({ term: 1, 'parties[0]': 0.8, 'parties[1]': 0.6 });
  });
});

describe('tiersValueFloor', () => {
  it("is the rules tier's measured floor offline, and none for tiers that measured none", () => {
    const rules = createRulesTier();
    expect(tiersValueFloor({ fast: rules, deep: null })).toBe(RULES_VALUE_FLOOR);
    const unmeasured = { ...rules, valueFloor: undefined };
    expect(tiersValueFloor({ fast: unmeasured, deep: null })).toBeNull();
    expect(tiersValueFloor({ fast: unmeasured, deep: { ...rules, valueFloor: 0.7 } })).toBe(0.7);
    expect(tiersValueFloor({ fast: rules, deep: { ...rules, valueFloor: 0.7 } })).toBe(RULES_VALUE_FLOOR);
  });
});
