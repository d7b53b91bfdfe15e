import { describe, expect, it } from 'vitest';
import { detectCurrency, detectDecimalSeparator, findAmounts, parseAmount } from '../../src/extraction/rules/amounts.ts';
import { estimateTokens } from '../../src/extraction/rules/tokens.ts';

describe('parseAmount', () => {
  it.each([
    ['1.234,56', '1234.56'],
    ['1,234.56', '1234.56'],
    ['1 234,56', '1234.56'],
    ['1\u00a0234,56', '1234.56'],
    ["1'234.56", '1234.56'],
    ['€ 4.904,94', '4904.94'],
    ['4.904,94 €', '4904.94'],
    ['$4.11', '4.11'],
    ['£ 12', '12'],
    ['Rs 1939', '1939'],
    ['USD 1,000,000.00', '1000000.00'],
    ['12,5 EUR', '12.5'],
    ['-12.30', '-12.30'],
    ['€ -9,32', '-9.32'],
    ['0,75', '0.75'],
  ])('%s -> %s', (input, expected) => {
    expect(parseAmount(input)).toBe(expected);
  });

  it('decides "1.234" and "1,234" with the document decimal separator', () => {
    expect(parseAmount('1.234')).toBe('1234');
    expect(parseAmount('1,234')).toBe('1234');
    expect(parseAmount('1,234', ',')).toBe('1.234');
    expect(parseAmount('1.234', '.')).toBe('1.234');
  });

  it.each(['garbage', '', '21%', '12 13', 'EUR', '1.2.3,4.5'])('returns null for %j', (input) => {
    expect(parseAmount(input)).toBeNull();
  });

  it('never returns a float: exact decimal strings', () => {
    const v = parseAmount('0,10');
    expect(v).toBe('0.10');
    expect(typeof v).toBe('string');
  });
});

describe('findAmounts', () => {
  it('separates a quantity from a price in a dot-decimal row', () => {
    expect(findAmounts('Total 1 278.61 40.39 319.00').map((a) => a.value)).toEqual(['1', '278.61', '40.39', '319.00']);
  });
  it('marks rates and currencies', () => {
    const a = findAmounts('Tax 15% on $ 112.90 \t$ 16.94');
    expect(a.map((x) => [x.value, x.percent, x.currency])).toEqual([
      ['15', true, null],
      ['112.90', false, 'USD'],
      ['16.94', false, 'USD'],
    ]);
  });
});

describe('detectCurrency / detectDecimalSeparator', () => {
  it('picks the currency written most', () => {
    expect(detectCurrency('Totaal € 717,97 BTW € 124,61')?.code).toBe('EUR');
    expect(detectCurrency('Grand Total Rs 1939')?.code).toBe('INR');
    expect(detectCurrency('All charges and prices are in US Dollars. Total $4.11')?.code).toBe('USD');
    expect(detectCurrency('Total CHF 12.00, CHF 3.00')?.code).toBe('CHF');
    expect(detectCurrency('no money here')).toBeNull();
  });
  it('finds the decimal separator', () => {
    expect(detectDecimalSeparator('5,39 3,89 34,73')).toBe(',');
    expect(detectDecimalSeparator('$ 42.00 $ 70.00')).toBe('.');
  });
});

describe('estimateTokens', () => {
  it('is about chars/4 for prose and not inflated by whitespace', () => {
    const prose = 'The quick brown fox jumps over the lazy dog. '.repeat(20);
    const n = estimateTokens(prose);
    expect(n).toBeGreaterThan(prose.length / 6);
    expect(n).toBeLessThan(prose.length / 3);
    const padded = prose.split(' ').join('          \n\n   ');
    expect(estimateTokens(padded)).toBeLessThan(n * 1.3);
    expect(estimateTokens('')).toBe(0);
  });
});
