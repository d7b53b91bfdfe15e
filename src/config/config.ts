import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_PRICES, PriceTable } from '../costs/prices.ts';
import { Secret } from './secret.ts';

/**
 * The whole configuration of docroute, read from the environment once at start
 * (see `loadConfig`) and passed down. Nothing else in the code reads `process.env`.
 * The README's configuration table lists the same variables.
 */
const optionalString = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const EnvSchema = z.object({
  DATABASE_URL: optionalString.refine(
    (v) => v === undefined || /^postgres(ql)?:\/\//.test(v),
    'DATABASE_URL must be a postgres:// or postgresql:// connection string',
  ),
  TEMPORAL_ADDRESS: optionalString.refine(
    (v) => v === undefined || /^[^\s:]+:\d+$/.test(v),
    'TEMPORAL_ADDRESS must be host:port, e.g. localhost:7233',
  ),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  DOCROUTE_OCR: z.enum(['auto', 'off'], { message: 'DOCROUTE_OCR must be "auto" or "off"' }).default('auto'),
  DOCROUTE_TASK_QUEUE: z.string().min(1).default('docroute'),
  DOCROUTE_WORKFLOW_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'DOCROUTE_WORKFLOW_PREFIX may hold letters, digits, _ . - (at most 64)')
    .default('docroute'),
  DOCROUTE_DATA_DIR: z.string().min(1).default('.docroute'),
  DOCROUTE_EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
  DOCROUTE_TEMPORAL_PORT: z.coerce.number().int().min(1024).max(65535).default(7233),
  DOCROUTE_LONG_DOC_TOKENS: z.coerce.number().int().positive().default(20000),
  DOCROUTE_MIN_CONFIDENCE: z.coerce.number().min(0).max(1).default(0.8),
  DOCROUTE_CHUNK_TOKENS: z.coerce.number().int().min(500).default(6000),
  DOCROUTE_MAX_FILE_MB: z.coerce.number().positive().default(50),
  DOCROUTE_MAX_PAGES: z.coerce.number().int().positive().default(500),
  DOCROUTE_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  GEMINI_API_KEY: optionalString,
  GEMINI_BASE_URL: optionalString.refine(
    (v) => v === undefined || /^https?:\/\//.test(v),
    'GEMINI_BASE_URL must be an http(s) URL',
  ),
  DOCROUTE_FLASH_MODEL: z.string().min(1).default('gemini-2.5-flash'),
  DOCROUTE_PRO_MODEL: z.string().min(1).default('gemini-2.5-pro'),
  GEMINI_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
  DOCROUTE_GEMINI_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  DOCROUTE_FLASH_RPM: z.coerce.number().positive().default(1000),
  DOCROUTE_FLASH_TPM: z.coerce.number().positive().default(1_000_000),
  DOCROUTE_PRO_RPM: z.coerce.number().positive().default(150),
  DOCROUTE_PRO_TPM: z.coerce.number().positive().default(2_000_000),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DOCROUTE_API_HOST: z.string().min(1).default('127.0.0.1'),
  DOCROUTE_API_RATE_LIMIT: z.coerce.number().int().positive().default(600),
  DOCROUTE_DOC_BUDGET_USD: z.coerce.number().nonnegative().default(0.25),
  DOCROUTE_STALL_AFTER_MINUTES: z.coerce.number().positive().default(360),
  DOCROUTE_SEARCH_ATTRIBUTES: z.stringbool().default(true),
  DOCROUTE_PRICES: optionalString.transform((v, ctx) => {
    if (v === undefined) return {};
    try {
      return PriceTable.parse(JSON.parse(v));
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `DOCROUTE_PRICES must be JSON like {"gemini-2.5-flash":{"input":0.3,"output":2.5,"cachedInput":0.03}} (USD per million tokens): ${error instanceof Error ? error.message.slice(0, 200) : String(error)}`,
      });
      return z.NEVER;
    }
  }),
});

export interface Config {
  /** Absolute directory for local state: embedded Postgres, Temporal's SQLite file, tools. */
  dataDir: string;
  /** Where the project lives (migrations, samples). */
  projectRoot: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  database: { url: string | undefined; embeddedPort: number };
  temporal: {
    /** host:port of a Temporal cluster; undefined means "local mode": we run a dev server. */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    /** Workflow ids are `<prefix>-<sha256>`; deployments sharing a namespace use different prefixes. */
    workflowIdPrefix: string;
    localPort: number;
    /**
     * How long a document's infrastructure faults (database or workers away) are
     * retried before it is recorded `stalled` (then `docroute retry`).
     */
    stallAfterMs: number;
    /** Set DocrouteStatus/Kind/FileName search attributes (they must be registered on the namespace). */
    searchAttributes: boolean;
  };
  routing: {
    /** Documents with more tokens than this go straight to the deep tier. */
    longDocTokens: number;
    /** Document confidence below this escalates (fast → deep) or ends in review. */
    minConfidence: number;
    /** Token budget of one chunk sent to the fast tier. */
    chunkTokens: number;
    /** Most a document may cost in model calls (USD); escalation beyond it goes to review. */
    docBudgetUsd: number;
  };
  limits: { maxFileBytes: number; maxPages: number };
  /** Offline OCR of scanned pages when the fast tier cannot read images: 'auto' (when Tesseract is installed) or 'off'. */
  ocr: 'auto' | 'off';
  gemini: {
    apiKey: Secret | undefined;
    baseUrl: string | undefined;
    flashModel: string;
    proModel: string;
    /** Per HTTP request. */
    timeoutMs: number;
    /** HTTP attempts per call, the first included (429/5xx are retried with backoff). */
    maxAttempts: number;
    /** Client-side rate limits per tier's model, shared by one worker's activities. */
    limits: { flash: { rpm: number; tpm: number }; pro: { rpm: number; tpm: number } };
  };
  api: {
    port: number;
    /** Interface to listen on; 127.0.0.1 unless exposed on purpose (e.g. 0.0.0.0 in a container). */
    host: string;
    /** Requests per minute per API key. */
    rateLimitPerMinute: number;
  };
  /** USD per million tokens, per model: defaults merged with DOCROUTE_PRICES. */
  prices: PriceTable;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses and validates the environment. Throws a ConfigError naming each bad
 * variable and what to fix.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  options: { cwd?: string; projectRoot?: string } = {},
): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const cwd = options.cwd ?? process.cwd();
  return {
    dataDir: path.resolve(cwd, e.DOCROUTE_DATA_DIR),
    projectRoot: options.projectRoot ?? PROJECT_ROOT,
    logLevel: e.DOCROUTE_LOG_LEVEL,
    database: { url: e.DATABASE_URL, embeddedPort: e.DOCROUTE_EMBEDDED_PG_PORT },
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.DOCROUTE_TASK_QUEUE,
      workflowIdPrefix: e.DOCROUTE_WORKFLOW_PREFIX,
      localPort: e.DOCROUTE_TEMPORAL_PORT,
      stallAfterMs: Math.round(e.DOCROUTE_STALL_AFTER_MINUTES * 60_000),
      searchAttributes: e.DOCROUTE_SEARCH_ATTRIBUTES,
    },
    routing: {
      longDocTokens: e.DOCROUTE_LONG_DOC_TOKENS,
      minConfidence: e.DOCROUTE_MIN_CONFIDENCE,
      chunkTokens: e.DOCROUTE_CHUNK_TOKENS,
      docBudgetUsd: e.DOCROUTE_DOC_BUDGET_USD,
    },
    limits: { maxFileBytes: Math.round(e.DOCROUTE_MAX_FILE_MB * 1024 * 1024), maxPages: e.DOCROUTE_MAX_PAGES },
    ocr: e.DOCROUTE_OCR,
    gemini: {
      apiKey: e.GEMINI_API_KEY ? new Secret(e.GEMINI_API_KEY) : undefined,
      baseUrl: e.GEMINI_BASE_URL,
      flashModel: e.DOCROUTE_FLASH_MODEL,
      proModel: e.DOCROUTE_PRO_MODEL,
      timeoutMs: e.GEMINI_TIMEOUT_MS,
      maxAttempts: e.DOCROUTE_GEMINI_MAX_ATTEMPTS,
      limits: {
        flash: { rpm: e.DOCROUTE_FLASH_RPM, tpm: e.DOCROUTE_FLASH_TPM },
        pro: { rpm: e.DOCROUTE_PRO_RPM, tpm: e.DOCROUTE_PRO_TPM },
      },
    },
    api: { port: e.PORT, host: e.DOCROUTE_API_HOST, rateLimitPerMinute: e.DOCROUTE_API_RATE_LIMIT },
    prices: { ...DEFAULT_PRICES, ...e.DOCROUTE_PRICES },
  };
}

/** The project's root directory (where package.json, migrations/ and samples/ are). */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');
