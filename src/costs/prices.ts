import { Decimal } from 'decimal.js';
import { z } from 'zod';

/**
 * What a model costs, in USD per million tokens. Gemini bills prompts above a
 * context threshold at a higher rate, so an entry may carry a second band.
 * Defaults are the public Gemini API list prices (paid tier) at the time of
 * writing; override them with DOCROUTE_PRICES when yours differ.
 */
const Rate = z.object({
  input: z.coerce.number().nonnegative(),
  output: z.coerce.number().nonnegative(),
  cachedInput: z.coerce.number().nonnegative().default(0),
});
export const ModelPrice = Rate.extend({
  /** Prompts longer than this many tokens are billed at `longContext` rates. */
  longContextThreshold: z.number().int().positive().optional(),
  longContext: Rate.optional(),
});
export type ModelPrice = z.infer<typeof ModelPrice>;
export const PriceTable = z.record(z.string().min(1), ModelPrice);
export type PriceTable = z.infer<typeof PriceTable>;

export const DEFAULT_PRICES: PriceTable = {
  'gemini-2.5-flash': { input: 0.3, output: 2.5, cachedInput: 0.03 },
  'gemini-2.5-flash-lite': { input: 0.1, output: 0.4, cachedInput: 0.01 },
  'gemini-2.5-pro': {
    input: 1.25,
    output: 10,
    cachedInput: 0.125,
    longContextThreshold: 200_000,
    longContext: { input: 2.5, output: 15, cachedInput: 0.25 },
  },
  'rules-v1': { input: 0, output: 0, cachedInput: 0 },
};

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
}

/**
 * The cost of one call as an exact decimal string (6 places). Cached input
 * tokens are part of the prompt count and billed at the cached rate. A model
 * missing from the table is an error: silently costing it at zero would hide spend.
 */
export function costOf(prices: PriceTable, model: string, usage: TokenUsage): string {
  const price = prices[model];
  if (!price) throw new Error(`no price for model "${model}"; add it to DOCROUTE_PRICES`);
  const rate = price.longContextThreshold && price.longContext && usage.inputTokens > price.longContextThreshold ? price.longContext : price;
  const cached = Math.min(usage.cachedTokens, usage.inputTokens);
  const perToken = (perMillion: number) => new Decimal(perMillion).div(1_000_000);
  return perToken(rate.input)
    .times(usage.inputTokens - cached)
    .plus(perToken(rate.cachedInput).times(cached))
    .plus(perToken(rate.output).times(usage.outputTokens))
    .toDecimalPlaces(6)
    .toFixed(6);
}
