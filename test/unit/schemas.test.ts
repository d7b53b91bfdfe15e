import { describe, expect, it } from 'vitest';
import {
  ContractExtraction,
  CurrencyCode,
  Decimal,
  emptyContractExtraction,
  emptyInvoiceExtraction,
  InvoiceExtraction,
  IsoDate,
} from '../../schemas/index.ts';

describe('schemas', () => {
  it('accepts only real ISO dates', () => {
    expect(IsoDate.safeParse('2024-02-29').success).toBe(true);
    for (const bad of ['2023-02-29', '2024-13-01', '2024-04-31', '01.03.2024', '2024-3-1', '']) {
      expect(IsoDate.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('keeps money exact: decimal strings, not floats or exponents', () => {
    for (const ok of ['0', '1234.50', '-12.3', '999999999999999.999999']) expect(Decimal.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['1e5', '1,234.50', '12.', '.5', 'NaN', '1234.1234567']) expect(Decimal.safeParse(bad).success, bad).toBe(false);
    expect(Decimal.safeParse(12.5).success).toBe(false);
  });

  it('accepts ISO 4217 currency codes only', () => {
    for (const ok of ['EUR', 'USD', 'INR', 'CHF']) expect(CurrencyCode.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['eur', 'EU', 'XYZ', '€']) expect(CurrencyCode.safeParse(bad).success, bad).toBe(false);
  });

  it('requires evidence and a confidence in [0,1] on every field', () => {
    const invoice = emptyInvoiceExtraction();
    expect(InvoiceExtraction.parse(invoice)).toEqual(invoice);
    const withTotal = { ...invoice, total: { value: '10.00', confidence: 1.2, evidence: { page: 1, quote: 'Total 10.00' } } };
    expect(InvoiceExtraction.safeParse(withTotal).success).toBe(false);
    const badPage = { ...invoice, total: { value: '10.00', confidence: 0.9, evidence: { page: 0, quote: 'Total 10.00' } } };
    expect(InvoiceExtraction.safeParse(badPage).success).toBe(false);
    const contract = emptyContractExtraction();
    expect(ContractExtraction.parse(contract)).toEqual(contract);
    expect(
      ContractExtraction.safeParse({ ...contract, term: { value: { count: 0, unit: 'years' }, confidence: 0.5, evidence: null } }).success,
    ).toBe(false);
  });
});
