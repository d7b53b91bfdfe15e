import { describe, expect, it } from 'vitest';
import {
  emptyContractExtraction,
  emptyInvoiceExtraction,
  type ContractExtraction,
  type InvoiceExtraction,
  type InvoiceLineItem,
} from '../../schemas/index.ts';
import { validateContract, validateInvoice, type CheckResult } from '../../src/validation/checks.ts';
import { isValidIban } from '../../src/validation/iban.ts';
import { amountAppearsIn, interpretWrittenNumber } from '../../src/validation/money.ts';

const TODAY = '2025-06-15';
const v = <T>(value: T | null) => ({ value, confidence: 0.9, evidence: null });
const line = (description: string, quantity: string | null, unitPrice: string | null, amount: string | null): InvoiceLineItem => ({
  description,
  quantity,
  unitPrice,
  amount,
  confidence: 0.9,
  evidence: null,
});

function invoice(patch: Partial<InvoiceExtraction>): InvoiceExtraction {
  return { ...emptyInvoiceExtraction(), ...patch };
}
function contract(patch: Partial<ContractExtraction>): ContractExtraction {
  return { ...emptyContractExtraction(), ...patch };
}
const byName = (results: CheckResult[], name: string) => results.find((r) => r.name === name);

describe('validateInvoice', () => {
  it('reports nothing for an empty extraction: absence never fails a check', () => {
    expect(validateInvoice(emptyInvoiceExtraction(), { today: TODAY })).toEqual([]);
  });

  it('passes a consistent invoice, every check in a fixed order', () => {
    const f = invoice({
      issueDate: v('2025-03-01'),
      dueDate: v('2025-03-31'),
      currency: v('EUR'),
      subtotal: v('1200.00'),
      taxTotal: v('228.00'),
      total: v('1428.00'),
      iban: v('DE89 3704 0044 0532 0130 00'),
      lineItems: [line('Consulting', '10', '100.00', '1000.00'), line('Travel', '1', '200.00', '200.00')],
    });
    const results = validateInvoice(f, { today: TODAY });
    expect(results.map((r) => [r.name, r.passed])).toEqual([
      ['line_items_sum', true],
      ['line_item_arithmetic', true],
      ['totals_sum', true],
      ['due_date_after_issue_date', true],
      ['issue_date_plausible', true],
      ['currency_iso', true],
      ['iban_checksum', true],
    ]);
    expect(byName(results, 'totals_sum')?.message).toBe('subtotal 1200.00 + tax 228.00 = 1428.00, matching total 1428.00');
  });

  it('fails line items that do not add up to the subtotal, naming the numbers', () => {
    const f = invoice({
      subtotal: v('1200.00'),
      lineItems: [line('A', null, null, '1000.00'), line('B', null, null, '190.00')],
    });
    const r = byName(validateInvoice(f, { today: TODAY }), 'line_items_sum');
    expect(r).toEqual({
      name: 'line_items_sum',
      passed: false,
      message: '2 line items sum to 1190.00 but subtotal is 1200.00 (difference 10.00, tolerance 0.02)',
      fields: ['lineItems', 'subtotal'],
    });
  });

  it('accepts gross (tax-inclusive) line amounts that sum to the total, and only then', () => {
    const lines = [line('iPad', '1', '399.00', '399.00'), line('Cover', '1', '69.99', '69.99')];
    const gross = byName(
      validateInvoice(invoice({ subtotal: v('387.60'), taxTotal: v('81.39'), total: v('468.99'), lineItems: lines }), { today: TODAY }),
      'line_items_sum',
    );
    expect(gross).toEqual({
      name: 'line_items_sum',
      passed: true,
      message: '2 line items sum to 468.99, matching total 468.99 (line amounts include tax)',
      fields: ['lineItems', 'total'],
    });
    const neither = byName(
      validateInvoice(invoice({ subtotal: v('387.60'), taxTotal: v('81.39'), total: v('470.00'), lineItems: lines }), { today: TODAY }),
      'line_items_sum',
    );
    expect(neither?.passed).toBe(false);
    expect(neither?.fields).toEqual(['lineItems', 'subtotal']);
  });

  it('line sum tolerance: 0.01 per line, at least 0.02, inclusive', () => {
    const two = (a: string, sub: string) =>
      byName(validateInvoice(invoice({ subtotal: v(sub), lineItems: [line('A', null, null, a), line('B', null, null, '0')] }), { today: TODAY }), 'line_items_sum')?.passed;
    expect(two('100.00', '100.02')).toBe(true); // diff 0.02 = min tolerance
    expect(two('100.00', '100.021')).toBe(false);
    expect(two('100.000', '100.005')).toBe(true);
    // five lines: tolerance 0.05
    const five = (sub: string) =>
      byName(validateInvoice(invoice({ subtotal: v(sub), lineItems: ['1', '2', '3', '4', '5'].map((a) => line(a, null, null, `${a}.00`)) }), { today: TODAY }), 'line_items_sum');
    expect(five('15.05')?.passed).toBe(true);
    expect(five('15.06')?.passed).toBe(false);
    expect(five('15.06')?.message).toBe('5 line items sum to 15.00 but subtotal is 15.06 (difference 0.06, tolerance 0.05)');
  });

  it('sums lines against the total when there is no subtotal', () => {
    const lines = [line('A', null, null, '100.00'), line('B', null, null, '19.00')];
    expect(byName(validateInvoice(invoice({ total: v('119.00'), lineItems: lines }), { today: TODAY }), 'line_items_sum')).toMatchObject({
      passed: true,
      fields: ['lineItems', 'total'],
    });
    expect(byName(validateInvoice(invoice({ total: v('120.00'), lineItems: lines }), { today: TODAY }), 'line_items_sum')).toMatchObject({
      passed: false,
      message: '2 line items sum to 119.00 but total is 120.00 (no subtotal or tax; difference 1.00, tolerance 0.02)',
    });
    // net lines, tax given, no subtotal: lines = total - tax
    expect(
      byName(validateInvoice(invoice({ total: v('141.61'), taxTotal: v('22.61'), lineItems: lines }), { today: TODAY }), 'line_items_sum'),
    ).toMatchObject({ passed: true, fields: ['lineItems', 'taxTotal', 'total'] });
  });

  it('computes a line without amount from quantity × unit price; comment lines count nothing', () => {
    const f = invoice({
      subtotal: v('250.00'),
      lineItems: [line('A', '2', '100.00', null), line('Note: delivered on site', null, null, null), line('B', null, null, '50.00')],
    });
    expect(byName(validateInvoice(f, { today: TODAY }), 'line_items_sum')?.passed).toBe(true);
  });

  it('skips the line sum when a priced line has no computable amount', () => {
    const f = invoice({ subtotal: v('250.00'), lineItems: [line('A', '2', null, null), line('B', null, null, '50.00')] });
    expect(byName(validateInvoice(f, { today: TODAY }), 'line_items_sum')).toBeUndefined();
  });

  it('passes a consistent credit note with negative amounts, and names the difference when its total is off', () => {
    const f = invoice({
      subtotal: v('-100.00'),
      taxTotal: v('-19.00'),
      total: v('-119.00'),
      lineItems: [line('Refund', '-1', '100.00', '-100.00')],
    });
    const results = validateInvoice(f, { today: TODAY });
    expect(results.filter((r) => !r.passed)).toEqual([]);
    expect(results.map((r) => r.name)).toEqual(['line_items_sum', 'line_item_arithmetic', 'totals_sum']);
    const bad = validateInvoice({ ...f, total: v('-118.00') }, { today: TODAY });
    expect(byName(bad, 'totals_sum')?.message).toBe(
      'subtotal -100.00 + tax -19.00 = -119.00 but total is -118.00 (difference 1.00, tolerance 0.02)',
    );
  });

  it('checks quantity × unit price = amount per line, with rounding tolerance', () => {
    const f = invoice({
      lineItems: [
        line('ok', '3', '33.33', '100.00'), // 99.99, tolerance max(0.01, 3 × 0.005) = 0.015
        line('wrong', '2', '10.00', '20.02'), // 20.00 vs 20.02, tolerance 0.01
        line('half cent', '1', '10.00', '10.005'), // diff 0.005 <= 0.01
        line('incomplete', null, '10.00', '10.00'),
      ],
    });
    const r = byName(validateInvoice(f, { today: TODAY }), 'line_item_arithmetic');
    expect(r).toEqual({
      name: 'line_item_arithmetic',
      passed: false,
      message: 'line 2: 2 × 10.00 = 20.00 but amount is 20.02',
      fields: ['lineItems[1]'],
    });
  });

  it('subtotal + tax = total within 0.02', () => {
    const t = (total: string) =>
      byName(validateInvoice(invoice({ subtotal: v('100.00'), taxTotal: v('19.00'), total: v(total) }), { today: TODAY }), 'totals_sum')?.passed;
    expect(t('119.02')).toBe(true);
    expect(t('118.98')).toBe(true);
    expect(t('119.005')).toBe(true);
    expect(t('119.03')).toBe(false);
    // no tax: skipped, not failed
    expect(byName(validateInvoice(invoice({ subtotal: v('100.00'), total: v('119.00') }), { today: TODAY }), 'totals_sum')).toBeUndefined();
  });

  it('due date not before issue date', () => {
    expect(byName(validateInvoice(invoice({ issueDate: v('2025-03-01'), dueDate: v('2025-03-01') }), { today: TODAY }), 'due_date_after_issue_date')?.passed).toBe(true);
    expect(byName(validateInvoice(invoice({ issueDate: v('2025-03-01'), dueDate: v('2025-02-28') }), { today: TODAY }), 'due_date_after_issue_date')).toEqual({
      name: 'due_date_after_issue_date',
      passed: false,
      message: 'due date 2025-02-28 is before issue date 2025-03-01',
      fields: ['issueDate', 'dueDate'],
    });
    expect(byName(validateInvoice(invoice({ dueDate: v('2025-02-28') }), { today: TODAY }), 'due_date_after_issue_date')).toBeUndefined();
  });

  it('issue date plausible: 1990-01-01 .. today + 1 year', () => {
    const p = (d: string) => byName(validateInvoice(invoice({ issueDate: v(d) }), { today: TODAY }), 'issue_date_plausible');
    expect(p('1990-01-01')?.passed).toBe(true);
    expect(p('1989-12-31')).toMatchObject({ passed: false, message: 'issue date 1989-12-31 is before 1990-01-01' });
    expect(p('2026-06-15')?.passed).toBe(true);
    expect(p('2026-06-16')).toMatchObject({ passed: false, message: 'issue date 2026-06-16 is more than a year in the future (after 2026-06-15)' });
    expect(p('2025-02-30')?.passed).toBe(false);
  });

  it('currency must be ISO 4217', () => {
    expect(byName(validateInvoice(invoice({ currency: v('USD') }), { today: TODAY }), 'currency_iso')?.passed).toBe(true);
    expect(byName(validateInvoice(invoice({ currency: v('EUX') }), { today: TODAY }), 'currency_iso')).toMatchObject({
      passed: false,
      message: 'currency "EUX" is not an ISO 4217 code',
      fields: ['currency'],
    });
  });

  it('IBAN checksum', () => {
    expect(byName(validateInvoice(invoice({ iban: v('GB82WEST12345698765432') }), { today: TODAY }), 'iban_checksum')?.passed).toBe(true);
    expect(byName(validateInvoice(invoice({ iban: v('GB82WEST12345698765433') }), { today: TODAY }), 'iban_checksum')).toMatchObject({
      passed: false,
      fields: ['iban'],
    });
  });

  it('rejects a malformed today', () => {
    expect(() => validateInvoice(emptyInvoiceExtraction(), { today: '15/06/2025' })).toThrow(/today/);
  });
});

describe('isValidIban', () => {
  it.each(['DE89370400440532013000', 'GB82WEST12345698765432', 'NL91ABNA0417164300', 'DE89 3704 0044 0532 0130 00', 'nl91abna0417164300', 'FR1420041010050500013M02606', 'NO9386011117947', 'BE68539007547034'])(
    'accepts %s',
    (iban) => expect(isValidIban(iban)).toBe(true),
  );
  it.each([
    'DE89370400440532013001', // last digit changed
    'DE88370400440532013000', // check digits changed
    'GB82WEST12345698765423', // digits swapped
    'NL91ABNA041716430', // too short for NL
    'DE8937040044053201300000', // too long for DE
    'XX89370400440532013000', // no such country
    'DE89-3704-0044-0532-0130-00', // only whitespace is ignored
    '',
    'NL91ABNA0417164300!',
  ])('rejects %s', (iban) => expect(isValidIban(iban)).toBe(false));
});

describe('written amounts', () => {
  it('reads both separator conventions', () => {
    expect(interpretWrittenNumber('1.234,50').map(String)).toEqual(['1234.5']);
    expect(interpretWrittenNumber('1,234.50').map(String)).toEqual(['1234.5']);
    expect(interpretWrittenNumber('1.234').map(String)).toEqual(['1.234', '1234']);
    expect(interpretWrittenNumber("1'234.50").map(String)).toEqual(['1234.5']);
    expect(interpretWrittenNumber('1,234,567').map(String)).toEqual(['1234567']);
  });
  it('finds amounts in text', () => {
    expect(amountAppearsIn('1234.50', 'Total: 1.234,50 €')).toBe(true);
    expect(amountAppearsIn('1234.50', 'Total: $1,234.50')).toBe(true);
    expect(amountAppearsIn('1234.50', 'Summe 1 234,50 EUR')).toBe(true);
    expect(amountAppearsIn('-50.00', 'Credit (50,00)')).toBe(true);
    expect(amountAppearsIn('1234.50', 'Total: 1.234,05 €')).toBe(false);
    expect(amountAppearsIn('12.00', 'Qty 2 x 100.00')).toBe(false);
  });
});

describe('validateContract', () => {
  const dur = (count: number, unit: 'days' | 'weeks' | 'months' | 'years') => v({ count, unit });

  it('reports nothing for an empty extraction', () => {
    expect(validateContract(emptyContractExtraction(), { today: TODAY })).toEqual([]);
  });

  it('passes consistent dates and term', () => {
    const r = validateContract(
      contract({ effectiveDate: v('2024-01-01'), expirationDate: v('2025-12-31'), term: dur(2, 'years') }),
      { today: TODAY },
    );
    expect(r.map((c) => [c.name, c.passed])).toEqual([
      ['expiration_date_after_effective_date', true],
      ['effective_date_plausible', true],
      ['term_sane', true],
      ['term_matches_dates', true],
    ]);
    expect(byName(r, 'term_matches_dates')?.message).toBe(
      'effective date 2024-01-01 + term 2 years = 2026-01-01, within 31 days of expiration date 2025-12-31',
    );
  });

  it('fails an expiration before the effective date', () => {
    expect(byName(validateContract(contract({ effectiveDate: v('2024-05-01'), expirationDate: v('2024-04-30') }), { today: TODAY }), 'expiration_date_after_effective_date')).toEqual({
      name: 'expiration_date_after_effective_date',
      passed: false,
      message: 'expiration date 2024-04-30 is before effective date 2024-05-01',
      fields: ['effectiveDate', 'expirationDate'],
    });
  });

  it('effective date plausible: 1950-01-01 .. today + 1 year', () => {
    const p = (d: string) => byName(validateContract(contract({ effectiveDate: v(d) }), { today: TODAY }), 'effective_date_plausible')?.passed;
    expect(p('1950-01-01')).toBe(true);
    expect(p('1949-12-31')).toBe(false);
    expect(p('2026-06-15')).toBe(true);
    expect(p('2026-06-16')).toBe(false);
  });

  it('term must be positive and at most 100 years', () => {
    const t = (count: number, unit: 'days' | 'months' | 'years') => byName(validateContract(contract({ term: dur(count, unit) }), { today: TODAY }), 'term_sane');
    expect(t(100, 'years')?.passed).toBe(true);
    expect(t(101, 'years')).toMatchObject({ passed: false, message: 'term of 101 years is longer than 100 years' });
    expect(t(0, 'months')).toMatchObject({ passed: false, message: 'term count 0 is not a positive whole number' });
    expect(t(1, 'days')).toMatchObject({ passed: true, message: 'term of 1 day is positive and at most 100 years' });
  });

  it('term and dates agree within a month', () => {
    const m = (expiration: string, count: number, unit: 'months' | 'years') =>
      byName(validateContract(contract({ effectiveDate: v('2024-01-31'), expirationDate: v(expiration), term: dur(count, unit) }), { today: TODAY }), 'term_matches_dates');
    expect(m('2024-02-29', 1, 'months')?.passed).toBe(true); // Jan 31 + 1 month clamps to Feb 29
    expect(m('2025-03-03', 1, 'years')?.passed).toBe(true); // 31 days after 2025-01-31
    expect(m('2025-03-04', 1, 'years')).toMatchObject({
      passed: false,
      message: 'effective date 2024-01-31 + term 1 year = 2025-01-31 but expiration date is 2025-03-04 (32 days apart, tolerance 31)',
      fields: ['term', 'effectiveDate', 'expirationDate'],
    });
    // missing expiration: skipped
    expect(byName(validateContract(contract({ effectiveDate: v('2024-01-31'), term: dur(1, 'years') }), { today: TODAY }), 'term_matches_dates')).toBeUndefined();
  });
});
