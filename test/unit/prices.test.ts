import { describe, expect, it } from 'vitest';
import { costOf, DEFAULT_PRICES, PRICES_READ_AT } from '../../src/costs/prices.ts';

describe('costOf', () => {
  it('prices input, cached input and output tokens exactly', () => {
    // 10,000 in (2,000 of them cached) and 1,000 out on 3.8 Flash: 8000·0.75 + 2000·0.075 + 1000·3.75 per million.
    expect(costOf(DEFAULT_PRICES, 'gemini-3.8-flash', { inputTokens: 10_000, outputTokens: 1_000, cachedTokens: 2_000 }, { at: new Date('2026-12-01') })).toBe('0.009900');
  });

  it('uses the long-context band above its threshold', () => {
    expect(costOf(DEFAULT_PRICES, 'gemini-3.1-pro-preview', { inputTokens: 200_000, outputTokens: 0, cachedTokens: 0 })).toBe('0.400000');
    expect(costOf(DEFAULT_PRICES, 'gemini-3.1-pro-preview', { inputTokens: 200_001, outputTokens: 0, cachedTokens: 0 })).toBe('0.800004');
  });

  it('follows dated price changes: 3.8 Flash leaves its introductory price on 2027-01-01', () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000, cachedTokens: 0 };
    expect(costOf(DEFAULT_PRICES, 'gemini-3.8-flash', usage, { at: new Date('2026-12-31T23:59:59Z') })).toBe('4.500000');
    expect(costOf(DEFAULT_PRICES, 'gemini-3.8-flash', usage, { at: new Date('2027-01-01T00:00:00Z') })).toBe('9.000000');
  });

  it('bills the Batch API at half the online price', () => {
    const usage = { inputTokens: 100_000, outputTokens: 10_000, cachedTokens: 0 };
    expect(costOf(DEFAULT_PRICES, 'gemini-4-carbon', usage)).toBe('0.600000');
    expect(costOf(DEFAULT_PRICES, 'gemini-4-carbon', usage, { mode: 'batch' })).toBe('0.300000');
  });

  it('has current Flash, Flash-Lite and Pro-class models, and records when the prices were read', () => {
    for (const model of ['gemini-3.8-flash', 'gemini-3.5-flash-lite', 'gemini-3.1-flash-lite', 'gemini-4-carbon', 'gemini-3.1-pro-preview']) {
      // Priced: a call on it costs something (costOf throws for a model it has no price for).
      expect(Number(costOf(DEFAULT_PRICES, model, { inputTokens: 1_000_000, outputTokens: 1_000_000, cachedTokens: 0 })), model).toBeGreaterThan(0);
    }
    expect(PRICES_READ_AT).toBe('2026-12-01');
  });

  it('refuses a model it has no price for, saying exactly what to add', () => {
    expect(() => costOf(DEFAULT_PRICES, 'gemini-9-ultra', { inputTokens: 1, outputTokens: 1, cachedTokens: 0 })).toThrow(
      `no price for model "gemini-9-ultra": add it to DOCROUTE_PRICES (USD per million tokens, from https://ai.google.dev/gemini-api/docs/pricing), e.g. DOCROUTE_PRICES='{"gemini-9-ultra":{"input":<input>,"output":<output incl. thinking>,"cachedInput":<cached input>}}'`,
    );
  });
});
