import { describe, expect, it } from 'vitest';
import { emptyContractExtraction, emptyInvoiceExtraction, type ContractExtraction } from '../../schemas/index.ts';
import {
  aggregate,
  f1Of,
  INVOICE_FIELD_TYPES,
  invoice2dataGold,
  kleisterItemsOf,
  kleisterNormalise,
  normaliseAmount,
  normaliseDate,
  normaliseIdentifier,
  parseKleisterLine,
  scoreFields,
  scoreKleister,
  type PredictedKleisterItem,
} from '../../src/eval/metrics.ts';

const pred = (line: string, confidence = 0.9): PredictedKleisterItem[] =>
  parseKleisterLine(line).map((i) => ({ ...i, confidence, evidence: null }));

describe('Kleister metric', () => {
  it('normalises values only as the benchmark does: upper case, spaces and colons as _', () => {
    expect(kleisterNormalise('New York')).toBe('NEW_YORK');
    expect(kleisterNormalise('Acme: Inc.')).toBe('ACME__INC.');
    // Nothing more lenient: commas, dots and hyphens still count.
    expect(kleisterNormalise('Acme, Inc.')).not.toBe(kleisterNormalise('Acme Inc.'));
    expect(kleisterNormalise('Acme Inc')).not.toBe(kleisterNormalise('Acme Inc.'));
  });

  it('scores a hand-computed document: 3 right of 4 predicted, 5 expected', () => {
    const gold = parseKleisterLine('effective_date=2014-05-20 jurisdiction=New_York party=Liquidmetal_Technologies_Inc. party=Visser_Precision_Cast_LLC term=3_years');
    const s = scoreKleister(gold, pred('effective_date=2014-05-20 jurisdiction=new_york party=Visser_Precision_Cast_LLC term=2_years'));
    const overall = aggregate([s]).overall;
    expect(overall).toEqual({ tp: 3, predicted: 4, expected: 5 });
    const f = f1Of(overall);
    expect(f.precision).toBeCloseTo(0.75, 10);
    expect(f.recall).toBeCloseTo(0.6, 10);
    expect(f.f1).toBeCloseTo((2 * 0.75 * 0.6) / 1.35, 10); // 0.6667
    expect(s.fields.term).toEqual({ tp: 0, predicted: 1, expected: 1 });
    expect(s.fields.party).toEqual({ tp: 1, predicted: 1, expected: 2 });
    // Errors: the wrong term (got 2_years), the missing term and the missing party.
    expect(s.items.filter((i) => !i.right).map((i) => `${i.field}:${i.expected}:${i.got}`).sort()).toEqual([
      'party:Liquidmetal_Technologies_Inc.:null',
      'term:3_years:null',
      'term:null:2_years',
    ]);
  });

  it('a repeated party counts once unless the gold repeats it', () => {
    const gold = parseKleisterLine('party=Acme_Inc. party=Bolt_LLC');
    const s = scoreKleister(gold, pred('party=Acme_Inc. party=ACME_INC. party=Bolt_LLC'));
    expect(aggregate([s]).overall).toEqual({ tp: 2, predicted: 3, expected: 2 });
    const twice = scoreKleister(parseKleisterLine('party=Acme_Inc. party=Acme_Inc.'), pred('party=Acme_Inc. party=Acme_Inc.'));
    expect(aggregate([twice]).overall).toEqual({ tp: 2, predicted: 2, expected: 2 });
  });

  it('a decoy key (or a right value under the wrong key) is a false positive', () => {
    const gold = parseKleisterLine('jurisdiction=Delaware party=Delaware_Corp');
    const s = scoreKleister(gold, pred('jurisdiction=Delaware party=Delaware governing_law=Delaware'));
    expect(aggregate([s]).overall).toEqual({ tp: 1, predicted: 3, expected: 2 });
    expect(s.fields.governing_law).toEqual({ tp: 0, predicted: 1, expected: 0 });
  });

  it('empty output: precision 0 (not NaN), recall 0; empty gold: every prediction is wrong', () => {
    const nothing = scoreKleister(parseKleisterLine('jurisdiction=Ohio party=A party=B'), []);
    expect(f1Of(aggregate([nothing]).overall)).toMatchObject({ f1: 0, precision: 0, recall: 0, expected: 3 });
    const noGold = scoreKleister(parseKleisterLine(''), pred('jurisdiction=Ohio'));
    expect(aggregate([noGold]).overall).toEqual({ tp: 0, predicted: 1, expected: 0 });
    const bothEmpty = scoreKleister([], []);
    expect(f1Of(aggregate([bothEmpty]).overall).f1).toBe(0);
  });

  it('micro-averages over the set (sums counts, not per-document F1)', () => {
    const a = scoreKleister(parseKleisterLine('party=A party=B party=C party=D'), pred('party=A party=B party=C party=D')); // F1 1
    const b = scoreKleister(parseKleisterLine('party=E'), pred('party=X')); // F1 0
    const overall = f1Of(aggregate([a, b]).overall);
    expect(overall.tp).toBe(4);
    expect(overall.f1).toBeCloseTo(0.8, 10); // P 4/5, R 4/5 — the mean of document F1s would be 0.5
  });

  it('maps a contract extraction to items as the gold writes them', () => {
    const x: ContractExtraction = emptyContractExtraction();
    x.effectiveDate = { value: '2014-05-20', confidence: 0.95, evidence: { page: 1, quote: 'May 20, 2014' } };
    x.governingLaw = { value: 'New York', confidence: 0.9, evidence: null };
    x.parties = [
      { name: 'Liquidmetal Technologies, Inc.', role: null, confidence: 0.85, evidence: null },
      { name: 'Visser  Precision Cast, LLC', role: null, confidence: 0.85, evidence: null },
    ];
    x.term = { value: { count: 1, unit: 'years' }, confidence: 0.8, evidence: null };
    expect(kleisterItemsOf(x).map((i) => `${i.key}=${i.value}`)).toEqual([
      'effective_date=2014-05-20',
      'jurisdiction=New_York',
      'party=Liquidmetal_Technologies_Inc.',
      'party=Visser_Precision_Cast_LLC',
      'term=1_year',
    ]);
    x.term = { value: { count: 12, unit: 'months' }, confidence: 0.8, evidence: null };
    expect(kleisterItemsOf(x).at(-1)?.value).toBe('12_months');
    expect(kleisterItemsOf(emptyContractExtraction())).toEqual([]);
    expect(kleisterItemsOf(null)).toEqual([]);
  });
});

describe('invoice field accuracy', () => {
  it('normalises dates, amounts to the cent, and identifiers (case, whitespace, a leading #)', () => {
    expect(normaliseDate('2014-8-3')).toBe('2014-08-03');
    expect(normaliseDate('03.08.2014')).toBe('2014-08-03');
    expect(normaliseAmount(4.1)).toBe('4.10');
    expect(normaliseAmount('4.10')).toBe('4.10');
    expect(normaliseAmount('4.105')).toBe('4.11');
    expect(normaliseAmount(1939.0)).toBe('1939.00');
    expect(normaliseIdentifier('DE 232 446 240')).toBe(normaliseIdentifier('DE232446240'));
    expect(normaliseIdentifier('nl50ingb0683251309')).toBe('NL50INGB0683251309');
    expect(normaliseIdentifier('#BLR_WFLD2015')).toBe('BLR_WFLD2015');
    expect(normaliseIdentifier('INV/2023/03/0008')).not.toBe(normaliseIdentifier('INV2023030008'));
  });

  it('maps the nine invoice2data keys and ignores the rest', () => {
    const gold = invoice2dataGold({
      issuer: 'X', invoice_number: '1', date: '2020-01-02', date_due: '2020-02-01', amount: 10, amount_untaxed: 8.4,
      amount_tax: 1.6, currency: 'EUR', vat: 'DE 1', iban: 'DE00', bic: 'ABC', lines: [], static_vat: 'NL1',
    });
    expect(Object.keys(gold).sort()).toEqual(['currency', 'dueDate', 'iban', 'invoiceNumber', 'issueDate', 'subtotal', 'taxTotal', 'total', 'vendorTaxId']);
  });

  it('scores only the fields the gold gives; a missing value is wrong; a wrong amount is wrong by a cent', () => {
    const x = emptyInvoiceExtraction();
    x.invoiceNumber = { value: 'de 232 446 240', confidence: 0.95, evidence: { page: 1, quote: 'Nr. DE 232 446 240' } };
    x.total = { value: '34.72', confidence: 0.9, evidence: { page: 1, quote: '34,72 EUR' } };
    x.currency = { value: 'EUR', confidence: 0.9, evidence: null };
    x.customerName = { value: 'not scored', confidence: 0.9, evidence: null };
    const s = scoreFields({ invoiceNumber: 'DE232446240', total: 34.73, currency: 'eur', issueDate: '2014-05-07' }, x, INVOICE_FIELD_TYPES);
    expect(aggregate([s]).overall).toEqual({ tp: 2, predicted: 3, expected: 4 });
    expect(s.fields.total).toEqual({ tp: 0, predicted: 1, expected: 1 });
    expect(s.fields.customerName).toBeUndefined();
    const wrongTotal = s.items.find((i) => i.field === 'total');
    expect(wrongTotal).toMatchObject({ right: false, expected: '34.73', got: '34.72', evidence: { page: 1 } });
    expect(s.items.find((i) => i.field === 'issueDate')).toMatchObject({ right: false, got: null, confidence: null });
  });

  it('with no extraction every gold value is wrong; empty gold scores nothing', () => {
    expect(aggregate([scoreFields({ total: 1, currency: 'USD' }, null, INVOICE_FIELD_TYPES)]).overall).toEqual({ tp: 0, predicted: 0, expected: 2 });
    expect(aggregate([scoreFields({}, emptyInvoiceExtraction(), INVOICE_FIELD_TYPES)]).overall).toEqual({ tp: 0, predicted: 0, expected: 0 });
  });
});
