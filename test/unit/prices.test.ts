import { describe, expect, it } from 'vitest';
import { costOf, DEFAULT_PRICES } from '../../src/costs/prices.ts';

describe('costOf', () => {
  it('prices input, cached input and output tokens exactly', () => {
    // 10,000 in (2,000 of them cached) and 1,000 out on Flash: 8000·0.30 + 2000·0.03 + 1000·2.50 per million.
    expect(costOf(DEFAULT_PRICES, 'gemini-2.5-flash', { inputTokens: 10_000, outputTokens: 1_000, cachedTokens: 2_000 })).toBe('0.004960');
  });

  it('uses the long-context band above its threshold', () => {
    expect(costOf(DEFAULT_PRICES, 'gemini-2.5-pro', { inputTokens: 200_000, outputTokens: 0, cachedTokens: 0 })).toBe('0.250000');
    expect(costOf(DEFAULT_PRICES, 'gemini-2.5-pro', { inputTokens: 200_001, outputTokens: 0, cachedTokens: 0 })).toBe('0.500003');
  });

  it('refuses a model it has no price for', () => {
    expect(() => costOf(DEFAULT_PRICES, 'gemini-9-ultra', { inputTokens: 1, outputTokens: 1, cachedTokens: 0 })).toThrow(/DOCROUTE_PRICES/);
  });
});
