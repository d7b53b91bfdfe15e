import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';
import { createGeminiTiers } from './gemini/index.ts';
import type { ModelTier } from './model-tier.ts';
import { createRulesTier } from './rules/rules-tier.ts';

export interface Tiers {
  fast: ModelTier;
  /** The deep tier, or null when none is configured (documents it would read go to review). */
  deep: ModelTier | null;
}

/**
 * The tiers this configuration provides. With a Gemini API key: Gemini Flash
 * (fast) and Gemini Pro (deep). Without one, the offline rules extractor is the
 * fast tier and there is no deep tier.
 */
export function createTiers(config: Config, log?: Logger): Tiers {
  if (config.gemini.apiKey) return createGeminiTiers(config, log ? { log } : {});
  return { fast: createRulesTier(), deep: null };
}
