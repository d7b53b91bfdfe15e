/**
 * The Gemini tiers for a configuration: flash as the fast tier, pro as the deep
 * tier, sharing one HTTP client (one API key, one retry policy) and each with
 * its own rate limiter (quotas are per model), shared by every caller in this
 * process.
 */
import type { Config } from '../../config/config.ts';
import type { Logger } from '../../logger.ts';
import { silentLogger } from '../../logger.ts';
import type { ModelTier, SecondReader } from '../model-tier.ts';
import { createSecondReader } from './second-reader.ts';
import { createGeminiClient } from './gemini-client.ts';
import type { GeminiClient, GeminiClientOptions } from './gemini-client.ts';
import { createGeminiTier } from './gemini-tier.ts';
import { createRateLimiter } from './rate-limiter.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { createSharedRateLimiter } from './shared-rate-limiter.ts';
import type { Db } from '../../db/database.ts';

export { createGeminiClient, GeminiApiError, GEMINI_API_VERSION, parseRetryDelay } from './gemini-client.ts';
export type { GeminiClient, GeminiClientOptions, RetryEvent } from './gemini-client.ts';
export { createRateLimiter } from './rate-limiter.ts';
export type { RateLimiter, RateLimiterOptions } from './rate-limiter.ts';
export { createGeminiTier, fieldConfidence, GeminiRejectedError, BASE_CONFIDENCE, REPAIR_FACTOR, INLINE_LIMIT_BYTES } from './gemini-tier.ts';
export { extractionOutputCap, modelProfile } from './model-profile.ts';
export { createSecondReader } from './second-reader.ts';
export type { ModelProfile } from './model-profile.ts';
export { DEFAULT_CHECK_MODEL, DEFAULT_FLASH_MODEL, DEFAULT_PRO_MODEL, RETIRED_MODELS, retiredModelMessage } from './catalog.ts';
export type { GeminiTierOptions } from './gemini-tier.ts';
export { PROMPTS } from './prompts.ts';
export { responseJsonSchema } from './output-schema.ts';

export interface GeminiTiersOptions {
  log?: Logger;
  /**
   * The deployment's database: rate limits are then counted there, for every
   * worker together (shared-rate-limiter.ts). Without it (eval, scripts), per process.
   */
  db?: Db;
  /** Overrides for the shared client (tests: sleep, random). */
  client?: Partial<Pick<GeminiClientOptions, 'sleep' | 'random' | 'baseDelayMs' | 'maxDelayMs' | 'maxAttempts'>>;
}

/** Throws when no API key is configured: callers choose the offline tier in that case. */
/** `check`: the second, independent reader of required fields (DOCROUTE_CHECK_MODEL), or null when it is off. */
export function createGeminiTiers(config: Config, options: GeminiTiersOptions = {}): { fast: ModelTier; deep: ModelTier; check: SecondReader | null } {
  const g = config.gemini;
  if (!g.apiKey) throw new Error('GEMINI_API_KEY is not set: the Gemini tiers need an API key');
  const log = options.log ?? silentLogger;
  const client: GeminiClient = createGeminiClient({
    apiKey: g.apiKey,
    ...(g.baseUrl !== undefined ? { baseUrl: g.baseUrl } : {}),
    timeoutMs: g.timeoutMs,
    maxAttempts: g.maxAttempts,
    ...options.client,
    onRetry: (e) => log.warn('gemini call retried', { ...e }),
  });
  // One limiter per model (quotas are per model); two tiers on the same model share it;
  // with the database, every worker of the deployment shares it.
  const limiters = new Map<string, RateLimiter>();
  const limiterFor = (model: string, limits: { rpm: number; tpm: number }): RateLimiter => {
    let limiter = limiters.get(model);
    if (!limiter) {
      limiter = options.db ? createSharedRateLimiter(options.db, { model, ...limits }) : createRateLimiter(limits);
      limiters.set(model, limiter);
    }
    return limiter;
  };
  // Each extraction call asks for no more output than its HTTP timeout lets the model produce.
  const call = { timeoutMs: g.timeoutMs, minTokensPerSecond: g.minOutputTokensPerSecond };
  const fast = createGeminiTier({
    tier: 'flash',
    model: g.flashModel,
    client,
    prices: config.prices,
    limiter: limiterFor(g.flashModel, g.limits.flash),
    log,
    call,
  });
  const deep = createGeminiTier({
    tier: 'pro',
    model: g.proModel,
    client,
    prices: config.prices,
    limiter: limiterFor(g.proModel, g.limits.pro),
    log,
    call,
  });
  // The second reader shares the fast tier's quota when it is the same model, else has its own (the fast tier's limits).
  const check = g.checkModel
    ? createSecondReader({ model: g.checkModel, client, prices: config.prices, limiter: limiterFor(g.checkModel, g.limits.flash) })
    : null;
  return { fast, deep, check };
}
