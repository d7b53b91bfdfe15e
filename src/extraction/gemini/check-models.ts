/**
 * `docroute models`: the configured models, their price, and (with an API key)
 * whether the API still serves each one (models.get). A retired or unknown
 * model is an error that names the replacement when we know one: from our
 * catalogue of shut-down models, or from the API's own error message.
 */
import type { Config } from '../../config/config.ts';
import { DEFAULT_BATCH_FACTOR, missingPriceMessage, PRICES_READ_AT, PRICES_SOURCE, priceAt, type PriceTable } from '../../costs/prices.ts';
import { ConfigError } from '../../config/config.ts';
import { createGeminiClient } from './gemini-client.ts';
import { currentReplacement, replacementForRole, RETIRED_MODELS } from './catalog.ts';
import { GeminiApiError } from './gemini-client.ts';
import type { GeminiClient } from './gemini-client.ts';

export interface ModelCheck {
  role: 'fast' | 'deep' | 'check';
  variable: string;
  model: string;
  /** USD per million tokens in force today; null when the model has no price. */
  price: { input: number; output: number; cachedInput: number; batchInput: number; batchOutput: number; longContextAbove: number | null } | null;
  /** ok: the API serves it; unchecked: no API key; retired / unknown: not served; error: the check itself failed. */
  status: 'ok' | 'unchecked' | 'retired' | 'unknown' | 'error';
  detail: string | null;
  replacement: string | null;
  /** From models.get: the model's output token limit and whether it thinks. */
  outputTokenLimit: number | null;
  thinking: boolean | null;
}

/** "Use models/gemini-3.8-flash instead" / "Please use gemini-x" / "replaced by gemini-x" in an API error. */
export function replacementFromMessage(message: string): string | null {
  const m = /\b(?:use|replaced by|migrate to)\s+(?:models\/)?(gemini-[a-z0-9.-]*[a-z0-9])/i.exec(message);
  return m ? (m[1] as string) : null;
}

export async function checkModels(config: Config, client: GeminiClient | null, now: Date = new Date()): Promise<ModelCheck[]> {
  const g = config.gemini;
  const roles: [ModelCheck['role'], string, string][] = [
    ['fast', 'DOCROUTE_FLASH_MODEL', g.flashModel],
    ['deep', 'DOCROUTE_PRO_MODEL', g.proModel],
    ...(g.checkModel ? [['check', 'DOCROUTE_CHECK_MODEL', g.checkModel] as [ModelCheck['role'], string, string]] : []),
  ];
  const out: ModelCheck[] = [];
  for (const [role, variable, model] of roles) {
    const entry = config.prices[model];
    const band = entry ? priceAt(entry, now) : null;
    const factor = entry?.batchFactor ?? DEFAULT_BATCH_FACTOR;
    const row: ModelCheck = {
      role,
      variable,
      model,
      price: band
        ? {
            input: band.input,
            output: band.output,
            cachedInput: band.cachedInput,
            batchInput: band.input * factor,
            batchOutput: band.output * factor,
            longContextAbove: band.longContextThreshold ?? null,
          }
        : null,
      status: 'unchecked',
      detail: null,
      replacement: null,
      outputTokenLimit: null,
      thinking: null,
    };
    const retired = RETIRED_MODELS[model];
    if (retired) {
      row.status = 'retired';
      row.replacement = replacementForRole(role, model, currentReplacement(model)).model;
      row.detail = `shut down on ${retired.shutdown}`;
    } else if (client?.getModel) {
      try {
        const info = await client.getModel(model);
        row.status = 'ok';
        row.outputTokenLimit = info.outputTokenLimit ?? null;
        row.thinking = info.thinking ?? null;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const named = replacementFromMessage(message);
        // A retired model's slot gets a model of its class (a deep tier gets a Pro-class one).
        row.replacement = named ? replacementForRole(role, model, named).model : null;
        if (error instanceof GeminiApiError && error.status === 404) {
          row.status = named ? 'retired' : 'unknown';
        } else {
          row.status = 'error';
        }
        row.detail = message.slice(0, 300);
      }
    }
    out.push(row);
  }
  return out;
}

/**
 * The problems a check found, one line each (empty when every model is served
 * and priced). With `prices`, a replacement that has no price of its own says
 * what to add to DOCROUTE_PRICES along with it.
 */
export function modelProblems(rows: readonly ModelCheck[], prices?: PriceTable): string[] {
  const problems: string[] = [];
  for (const r of rows) {
    if (r.status === 'retired' || r.status === 'unknown') {
      const what = r.status === 'retired' ? 'is retired' : 'is not served by the Gemini API (models.get: 404)';
      const unpriced = r.replacement && prices && !prices[r.replacement] ? `, and since docroute has no price for it: ${missingPriceMessage(r.replacement)}` : '';
      problems.push(`${r.variable}=${r.model} ${what}${r.detail ? ` (${r.detail})` : ''}${r.replacement ? `; set ${r.variable}=${r.replacement}${unpriced}` : ''}`);
    } else if (r.status === 'error') {
      problems.push(`${r.variable}=${r.model}: could not be checked: ${r.detail ?? 'unknown error'}`);
    }
    if (r.price === null) problems.push(`${r.variable}=${r.model}: ${missingPriceMessage(r.model)}`);
  }
  return problems;
}

/**
 * At worker start, with an API key: every configured model must be served
 * (models.get) and priced, before the worker polls for work. A retired or
 * unknown model is a ConfigError naming the variable, the replacement the API
 * (or our catalogue) names, and what to add to DOCROUTE_PRICES when that one
 * has no price. A check that could not be made (network, 5xx) is returned as a
 * warning, not a refusal: the API being briefly away is no reason not to start.
 */
export async function verifyModelsAtStart(config: Config, client?: GeminiClient): Promise<{ rows: ModelCheck[]; warnings: string[] }> {
  const g = config.gemini;
  if (!g.apiKey && !client) return { rows: [], warnings: [] };
  const api =
    client ??
    createGeminiClient({
      apiKey: g.apiKey!,
      ...(g.baseUrl !== undefined ? { baseUrl: g.baseUrl } : {}),
      timeoutMs: Math.min(g.timeoutMs, 30_000),
      maxAttempts: 2,
    });
  const rows = await checkModels(config, api);
  const fatal = modelProblems(
    rows.filter((r) => r.status !== 'error'),
    config.prices,
  );
  if (fatal.length > 0) {
    throw new ConfigError(`the worker cannot start: a configured Gemini model is not usable\n${fatal.map((p) => `  ${p}`).join('\n')}\n(run \`docroute models\` to see every configured model)`);
  }
  return { rows, warnings: modelProblems(rows.filter((r) => r.status === 'error')) };
}

export function formatModelChecks(rows: readonly ModelCheck[], keyed: boolean): string {
  const usd = (n: number) => `$${Number(n.toFixed(4))}`;
  const lines = [`Models (USD per million tokens; thinking is billed as output; prices read ${PRICES_READ_AT} from ${PRICES_SOURCE})`, ''];
  const header = ['role', 'model', 'input', 'output', 'cached', 'batch in/out', 'status'];
  const table = rows.map((r) => [
    r.role,
    r.model,
    r.price ? usd(r.price.input) : '-',
    r.price ? usd(r.price.output) : '-',
    r.price ? usd(r.price.cachedInput) : '-',
    r.price ? `${usd(r.price.batchInput)} / ${usd(r.price.batchOutput)}` : '-',
    r.status === 'ok'
      ? `ok${r.outputTokenLimit ? ` (output ≤ ${r.outputTokenLimit}${r.thinking ? ', thinking' : ''})` : ''}`
      : r.status === 'unchecked'
        ? 'not checked (no GEMINI_API_KEY)'
        : `${r.status.toUpperCase()}${r.replacement ? ` → use ${r.replacement}` : ''}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] as string).length)));
  const fmt = (row: string[]) => row.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  lines.push(fmt(header), ...table.map(fmt), '');
  const problems = modelProblems(rows);
  if (problems.length > 0) lines.push('Problems:', ...problems.map((p) => `  ${p}`), '');
  else if (!keyed) lines.push('Set GEMINI_API_KEY to check that the API serves each model (models.get).', '');
  return lines.join('\n');
}
