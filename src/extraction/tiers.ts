import type { Config } from '../config/config.ts';
import type { ModelTier } from './model-tier.ts';
import { createRulesTier } from './rules/rules-tier.ts';

export interface Tiers {
  fast: ModelTier;
  /** The deep tier, or null when none is configured (documents it would read go to review). */
  deep: ModelTier | null;
}

/**
 * The tiers this configuration provides. Without a Gemini API key the offline
 * rules extractor is the fast tier and there is no deep tier.
 */
export function createTiers(_config: Config): Tiers {
  return { fast: createRulesTier(), deep: null };
}
