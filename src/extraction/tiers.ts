import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';
import type { Db } from '../db/database.ts';
import { createGeminiTiers } from './gemini/index.ts';
import type { ModelTier, SecondReader } from './model-tier.ts';
import { createRulesTier } from './rules/rules-tier.ts';

export interface Tiers {
  fast: ModelTier;
  /** The deep tier, or null when none is configured (documents it would read go to review). */
  deep: ModelTier | null;
  /**
   * The second, independent reader of required fields (DOCROUTE_CHECK_MODEL,
   * src/extraction/second-reading.ts); absent or null: no second reading.
   */
  check?: SecondReader | null;
}

/**
 * The tiers this configuration provides. With a Gemini API key: Gemini Flash
 * (fast) and Gemini Pro (deep), and the cheap second reader
 * (Flash-Lite) unless DOCROUTE_CHECK_MODEL=none. Without one, the offline rules extractor is the
 * fast tier and there is no deep tier.
 *
 * `httpAttempts`: HTTP attempts per call. The worker passes 1: its activities
 * make one HTTP call per attempt and Temporal retries 429/5xx (with the server's
 * delay), so every retry is visible in history and as an attempt row. In-process
 * callers (eval) leave the configured client retries.
 *
 * `db`: the worker passes the deployment's database, so that the Gemini rate
 * limits hold for all workers together (counted in Postgres), not per process.
 */
export function createTiers(config: Config, log?: Logger, options: { httpAttempts?: number; db?: Db } = {}): Tiers {
  if (config.gemini.apiKey) {
    const client = options.httpAttempts === undefined ? {} : { client: { maxAttempts: options.httpAttempts } };
    return createGeminiTiers(config, { ...(log ? { log } : {}), ...client, ...(options.db ? { db: options.db } : {}) });
  }
  return { fast: createRulesTier(), deep: null };
}

/**
 * The value floor routing applies (TierInfo.valueFloor): the highest floor among
 * the configured tiers that measured one; null when none did.
 */
export function tiersValueFloor(tiers: Pick<Tiers, 'fast' | 'deep'>): number | null {
  const floors = [tiers.fast.valueFloor, tiers.deep?.valueFloor].filter((f): f is number => f !== undefined);
  return floors.length === 0 ? null : Math.max(...floors);
}
