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

/** "gemini-2.5-pro was shut down on 2026-12-01; Google names gemini-3.8-flash as its replacement" or null. */
export function retiredModelMessage(model: string, variable: string): string | null {
  const retired = RETIRED_MODELS[model];
  if (!retired) return null;
  const replacement = currentReplacement(model);
  return `${variable}=${model}: Google shut this model down on ${retired.shutdown}${replacement ? `; set ${variable}=${replacement} (the replacement Google names)` : ''}`;
}
