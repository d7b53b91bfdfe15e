/**
 * What docroute knows about Gemini models without asking the API: the current
 * defaults, the models Google has shut down (with the replacement it names), and
 * per model family the request settings and token accounting.
 *
 * Sources (read 2026-12-01):
 *   - models:        https://ai.google.dev/gemini-api/docs/models
 *   - deprecations:  https://ai.google.dev/gemini-api/docs/deprecations
 *   - Gemini 3 guide (thinking levels, temperature, media resolution):
 *                    https://ai.google.dev/gemini-api/docs/gemini-3
 *   - Gemini 4 Carbon (thinking LOW/MEDIUM/HIGH, no thinkingBudget; 32,768
 *     output tokens per non-streaming segment):
 *                    https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/gemini/4-carbon
 *   - token accounting for images and PDF pages:
 *                    https://ai.google.dev/gemini-api/docs/document-processing,
 *                    https://ai.google.dev/gemini-api/docs/media-resolution
 */
import { modelProfile } from './model-profile.ts';

/** The current GA Flash model: docroute's fast tier. */
export const DEFAULT_FLASH_MODEL = 'gemini-3.8-flash';
/** Google's strongest generally available reasoning model: docroute's deep tier. */
export const DEFAULT_PRO_MODEL = 'gemini-4-carbon';
/** The cheap second reading of required fields (confidence by agreement). */
export const DEFAULT_CHECK_MODEL = 'gemini-3.5-flash-lite';

export interface RetiredModel {
  shutdown: string;
  /** The replacement Google names on its deprecations page. */
  replacement: string;
}

/** Models Google has shut down on the Gemini API (deprecations page, read 2026-12-01). */
export const RETIRED_MODELS: Readonly<Record<string, RetiredModel>> = {
  'gemini-2.5-pro': { shutdown: '2026-12-01', replacement: 'gemini-3.8-flash' },
  'gemini-2.5-flash': { shutdown: '2026-12-01', replacement: 'gemini-3.5-flash-lite' },
  'gemini-3-pro-preview': { shutdown: '2026-03-09', replacement: 'gemini-3.1-pro-preview' },
  'gemini-2.0-flash': { shutdown: '2026-06-01', replacement: 'gemini-2.5-flash' },
  'gemini-2.0-flash-001': { shutdown: '2026-06-01', replacement: 'gemini-2.5-flash' },
  'gemini-2.0-flash-lite': { shutdown: '2026-06-01', replacement: 'gemini-2.5-flash-lite' },
  'gemini-2.0-flash-lite-001': { shutdown: '2026-06-01', replacement: 'gemini-2.5-flash-lite' },
};

/** Follows the replacement chain to a model that is not retired. */
export function currentReplacement(model: string): string | null {
  let next = RETIRED_MODELS[model]?.replacement ?? null;
  for (let i = 0; next !== null && RETIRED_MODELS[next] && i < 10; i++) next = RETIRED_MODELS[next]!.replacement;
  return next;
}

/** Which tier a configured model serves: DOCROUTE_FLASH_MODEL, DOCROUTE_PRO_MODEL, DOCROUTE_CHECK_MODEL. */
export type ModelRole = 'fast' | 'deep' | 'check';

export const ROLE_OF_VARIABLE: Readonly<Record<string, ModelRole>> = {
  DOCROUTE_FLASH_MODEL: 'fast',
  DOCROUTE_PRO_MODEL: 'deep',
  DOCROUTE_CHECK_MODEL: 'check',
};

/** A Pro model or a Gemini 4 frontier model (Carbon, Argon): what the deep tier needs. */
export function isProClass(model: string): boolean {
  const line = modelProfile(model).line;
  return line === 'pro' || line === 'frontier';
}

export interface RoleReplacement {
  /** The model to configure instead, or null when none is known. */
  model: string | null;
  /** Why this one: the replacement Google names, or why we name another. */
  reason: string;
}

/**
 * The model to set in place of a retired one, for the tier it serves. Google's
 * named replacement is where it routes old requests, which is not always of the
 * same class: gemini-2.5-pro's is gemini-3.8-flash. A deep tier on a Flash
 * model is no deep tier, so for DOCROUTE_PRO_MODEL a replacement that is not
 * Pro-class gives way to the strongest current Pro-class model (DEFAULT_PRO_MODEL).
 *
 * @example replacementForRole('deep', 'gemini-2.5-pro', 'gemini-3.8-flash').model === 'gemini-4-carbon'
 */
export function replacementForRole(role: ModelRole, retired: string, named: string | null): RoleReplacement {
  if (role === 'deep' && (named === null || !isProClass(named)) && retired !== DEFAULT_PRO_MODEL) {
    return {
      model: DEFAULT_PRO_MODEL,
      reason: named
        ? `the strongest current Pro-class model; Google routes ${retired} to ${named}, which is not Pro-class and would make the deep tier no deeper than the fast one`
        : 'the strongest current Pro-class model',
    };
  }
  return { model: named, reason: 'the replacement Google names' };
}

/** "DOCROUTE_PRO_MODEL=gemini-2.5-pro: Google shut this model down on 2026-12-01; set DOCROUTE_PRO_MODEL=gemini-4-carbon (…)" or null. */
export function retiredModelMessage(model: string, variable: string): string | null {
  const retired = RETIRED_MODELS[model];
  if (!retired) return null;
  const role = ROLE_OF_VARIABLE[variable];
  const named = currentReplacement(model);
  const replacement = role ? replacementForRole(role, model, named) : { model: named, reason: 'the replacement Google names' };
  return `${variable}=${model}: Google shut this model down on ${retired.shutdown}${replacement.model ? `; set ${variable}=${replacement.model} (${replacement.reason})` : ''}`;
}
