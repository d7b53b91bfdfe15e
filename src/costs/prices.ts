import { Decimal } from 'decimal.js';
import { z } from 'zod';

/**
 * What a model costs, in USD per million tokens (thinking tokens are billed as
 * output). Gemini bills prompts above a context threshold at a higher rate, so
 * an entry may carry a second band; some list prices change on a known date
 * (`changes`: the rates that apply from that UTC day on); the Batch API bills
 * `batchFactor` of the online price (Google: 50 %).
 *
 * The built-in table was read on PRICES_READ_AT from PRICES_SOURCE (paid tier,
 * Gemini Developer API); override or extend it with DOCROUTE_PRICES when yours
 * differ or a model is missing.
 */
export const PRICES_READ_AT = '2026-12-01';
export const PRICES_SOURCE = 'https://ai.google.dev/gemini-api/docs/pricing';

const Rate = z.object({
  input: z.coerce.number().nonnegative(),
  output: z.coerce.number().nonnegative(),
  cachedInput: z.coerce.number().nonnegative().default(0),
});
export type Rate = z.infer<typeof Rate>;

const Band = Rate.extend({
  /** Prompts longer than this many tokens are billed at `longContext` rates. */
  longContextThreshold: z.number().int().positive().optional(),
  longContext: Rate.optional(),
});

export const ModelPrice = Band.extend({
  /** Price changes: from this UTC day (YYYY-MM-DD) on, these rates replace the ones above. */
  changes: z.array(Band.extend({ from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) })).optional(),
  /** Share of the online price the Batch API bills (default 0.5). */
  batchFactor: z.number().min(0).max(1).optional(),
});
export type ModelPrice = z.infer<typeof ModelPrice>;
export const PriceTable = z.record(z.string().min(1), ModelPrice);
export type PriceTable = z.infer<typeof PriceTable>;

/** Google's Batch API discount (pricing page: "Batch API (50% cost reduction)"). */
export const DEFAULT_BATCH_FACTOR = 0.5;

/**
 * Built-in prices, read 2026-12-01 from the Gemini API pricing page
 * (https://ai.google.dev/gemini-api/docs/pricing) and the launch notes it links.
 * Gemini 3.8 Flash is at an introductory price through 2026-12-31; Gemini 4
 * Carbon and Argon left theirs on 2026-12-01 ($2/$10 → $4/$20). The 2.5 models
 * stay priced so that attempts recorded before their retirement can be read.
 */
export const DEFAULT_PRICES: PriceTable = {
  // Fast tier default: the current GA Flash model.
  'gemini-3.8-flash': {
    input: 0.75,
    output: 3.75,
    cachedInput: 0.075,
    changes: [{ from: '2027-01-01', input: 1.5, output: 7.5, cachedInput: 0.15 }],
  },
  'gemini-3.7-flash': { input: 1.5, output: 7.5, cachedInput: 0.15 },
  'gemini-3.6-flash': { input: 1.5, output: 7.5, cachedInput: 0.15 },
  'gemini-3.5-flash': { input: 1.5, output: 9, cachedInput: 0.15 },
  // Flash-Lite: the cheap second reading of required fields.
  'gemini-3.5-flash-lite': { input: 0.3, output: 2.5, cachedInput: 0.03 },
  'gemini-3.1-flash-lite': { input: 0.25, output: 1.5, cachedInput: 0.025 },
  // Deep tier default: Google's strongest reasoning model (GA 2026-11-10), no long-context band.
  'gemini-4-carbon': { input: 4, output: 20, cachedInput: 0.2 },
  'gemini-4-argon': { input: 4, output: 20, cachedInput: 0.2 },
  'gemini-3.1-pro-preview': {
    input: 2,
    output: 12,
    cachedInput: 0.2,
    longContextThreshold: 200_000,
    longContext: { input: 4, output: 18, cachedInput: 0.4 },
  },
  // Retired 2026-12-01 (kept for reading old attempts).
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
  /** Output tokens, thinking tokens included (both are billed at the output rate). */
  outputTokens: number;
  cachedTokens: number;
}

export interface CostOptions {
  /** 'batch' bills the Batch API's share of the price. Default 'online'. */
  mode?: 'online' | 'batch';
  /** When the call was made (selects dated price changes). Default now. */
  at?: Date;
}

/** The error message for a model missing from the table: exactly what to add. */
export function missingPriceMessage(model: string): string {
  return (
    `no price for model "${model}": add it to DOCROUTE_PRICES (USD per million tokens, from ${PRICES_SOURCE}), e.g. ` +
    `DOCROUTE_PRICES='{"${model}":{"input":<input>,"output":<output incl. thinking>,"cachedInput":<cached input>}}'`
  );
}

/** The band of `price` in force on `at` (UTC day). */
export function priceAt(price: ModelPrice, at: Date = new Date()): z.infer<typeof Band> {
  const day = at.toISOString().slice(0, 10);
  let band: z.infer<typeof Band> = price;
  for (const change of [...(price.changes ?? [])].sort((a, b) => a.from.localeCompare(b.from))) {
    if (change.from <= day) band = change;
  }
  return band;
}

/**
 * The cost of one call as an exact decimal string (6 places). Cached input
 * tokens are part of the prompt count and billed at the cached rate. A model
 * missing from the table is an error: silently costing it at zero would hide spend.
 */
export function costOf(prices: PriceTable, model: string, usage: TokenUsage, options: CostOptions = {}): string {
  const price = prices[model];
  if (!price) throw new Error(missingPriceMessage(model));
  const band = priceAt(price, options.at);
  const rate = band.longContextThreshold && band.longContext && usage.inputTokens > band.longContextThreshold ? band.longContext : band;
  const cached = Math.min(usage.cachedTokens, usage.inputTokens);
  const factor = options.mode === 'batch' ? (price.batchFactor ?? DEFAULT_BATCH_FACTOR) : 1;
  const perToken = (perMillion: number) => new Decimal(perMillion).times(factor).div(1_000_000);
  return perToken(rate.input)
    .times(usage.inputTokens - cached)
    .plus(perToken(rate.cachedInput).times(cached))
    .plus(perToken(rate.output).times(usage.outputTokens))
    .toDecimalPlaces(6)
    .toFixed(6);
}
