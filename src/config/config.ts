import path from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { z } from 'zod';
import { DEFAULT_PRICES, missingPriceMessage, PriceTable } from '../costs/prices.ts';
import { DEFAULT_CHECK_MODEL, DEFAULT_FLASH_MODEL, DEFAULT_PRO_MODEL, retiredModelMessage } from '../extraction/gemini/catalog.ts';
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
  DOCROUTE_VALUE_FLOOR: z.enum(['on', 'off']).default('on'),
  DOCROUTE_CHUNK_TOKENS: z.coerce.number().int().min(500).default(6000),
  DOCROUTE_MAX_FILE_MB: z.coerce.number().positive().default(50),
  DOCROUTE_MAX_PAGES: z.coerce.number().int().positive().default(500),
  DOCROUTE_EINVOICE: z.enum(['on', 'off']).default('on'),
  DOCROUTE_PARSE_CPU_SECONDS: z.coerce.number().positive().default(20),
  DOCROUTE_PARSE_HEAP_MB: z.coerce.number().int().min(64).default(512),
  DOCROUTE_PARSE_THREADS: z.coerce.number().int().min(1).max(64).default(2),
  DOCROUTE_PARSE_INFLIGHT_MB: z.coerce.number().int().min(1).default(64),
  DOCROUTE_PARSE_RECYCLE_DOCS: z.coerce.number().int().min(1).default(200),
  DOCROUTE_PARSE_IDLE_SECONDS: z.coerce.number().positive().default(120),
  DOCROUTE_WORKER_ACTIVITIES: z.coerce.number().int().min(1).max(1000).default(8),
  DOCROUTE_WORKER_LOCAL_ACTIVITIES: z.coerce.number().int().min(1).max(1000).default(8),
  DOCROUTE_WORKER_WORKFLOW_TASKS: z.coerce.number().int().min(2).max(1000).default(40),
  DOCROUTE_WORKER_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(1_000_000).optional(),
  DOCROUTE_WORKER_POLLERS: z.coerce.number().int().min(2).max(100).optional(),
  DOCROUTE_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  DOCROUTE_LOG_FORMAT: z.enum(['auto', 'json', 'pretty']).default('auto'),
  DOCROUTE_WORKER_METRICS_ADDRESS: optionalString.refine(
    (v) => v === undefined || /^[^\s:]+:\d+$/.test(v),
    'DOCROUTE_WORKER_METRICS_ADDRESS must be host:port, e.g. 0.0.0.0:9464',
  ),
  DOCROUTE_METRICS_CACHE_SECONDS: z.coerce.number().nonnegative().default(15),
  GEMINI_API_KEY: optionalString,
  GEMINI_BASE_URL: optionalString.refine(
    (v) => v === undefined || /^https?:\/\//.test(v),
    'GEMINI_BASE_URL must be an http(s) URL',
  ),
  DOCROUTE_FLASH_MODEL: z.string().trim().min(1).default(DEFAULT_FLASH_MODEL),
  DOCROUTE_PRO_MODEL: z.string().trim().min(1).default(DEFAULT_PRO_MODEL),
  DOCROUTE_CHECK_MODEL: z.string().trim().default(DEFAULT_CHECK_MODEL),
  DOCROUTE_BATCH: z
    .string()
    .trim()
    .regex(/^(none|all|[a-z][a-z0-9_-]*(,[a-z][a-z0-9_-]*)*)$/, 'DOCROUTE_BATCH is none, all, or a comma-separated list of sources (e.g. watch)')
    .default('none'),
  DOCROUTE_BATCH_DEADLINE_MINUTES: z.coerce.number().positive().default(24 * 60),
  DOCROUTE_BATCH_POLL_SECONDS: z.coerce.number().min(1).default(60),
  GEMINI_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
  DOCROUTE_MODEL_MIN_OUTPUT_TOKENS_PER_SECOND: z.coerce.number().positive().default(100),
  DOCROUTE_GEMINI_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  DOCROUTE_FLASH_RPM: z.coerce.number().positive().default(1000),
  DOCROUTE_FLASH_TPM: z.coerce.number().positive().default(1_000_000),
  DOCROUTE_PRO_RPM: z.coerce.number().positive().default(150),
  DOCROUTE_PRO_TPM: z.coerce.number().positive().default(2_000_000),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DOCROUTE_API_HOST: z.string().min(1).default('127.0.0.1'),
  DOCROUTE_API_RATE_LIMIT: z.coerce.number().int().positive().default(600),
  DOCROUTE_API_REQUEST_TIMEOUT_S: z.coerce.number().positive().default(300),
  DOCROUTE_API_MIN_UPLOAD_KBPS: z.coerce.number().nonnegative().default(8),
  DOCROUTE_CONSOLE_SESSION_HOURS: z.coerce.number().positive().max(24 * 30).default(12),
  DOCROUTE_CONSOLE_IDLE_MINUTES: z.coerce.number().positive().default(60),
  DOCROUTE_CONSOLE_CLAIM_MINUTES: z.coerce.number().positive().default(15),
  DOCROUTE_CONSOLE_MAX_FAILED_SIGNINS: z.coerce.number().int().min(1).default(5),
  DOCROUTE_CONSOLE_LOCKOUT_MINUTES: z.coerce.number().positive().default(15),
  DOCROUTE_DOC_BUDGET_USD: z.coerce.number().nonnegative().default(0.25),
  DOCROUTE_STALL_AFTER_MINUTES: z.coerce.number().positive().default(360),
  DOCROUTE_SEARCH_ATTRIBUTES: z.stringbool().default(true),
  DOCROUTE_PUBLIC_URL: optionalString.refine(
    (v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v),
    'DOCROUTE_PUBLIC_URL must be an http(s) URL, e.g. https://docroute.example.com',
  ),
  DOCROUTE_WEBHOOK_ALLOW_PRIVATE: z.stringbool().default(false),
  DOCROUTE_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  DOCROUTE_WEBHOOK_RETRY_HOURS: z.coerce.number().positive().max(24 * 14).default(24),
  DOCROUTE_PRICES: optionalString.transform((v, ctx) => {
    if (v === undefined) return {};
    try {
      return PriceTable.parse(JSON.parse(v));
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `DOCROUTE_PRICES must be JSON like {"gemini-3.8-flash":{"input":0.75,"output":3.75,"cachedInput":0.075}} (USD per million tokens): ${error instanceof Error ? error.message.slice(0, 200) : String(error)}`,
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
  /** json: one JSON object per line; pretty: coloured lines for people; auto: pretty on a terminal, JSON otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  metrics: {
    /** host:port where the Temporal SDK serves a worker's Prometheus metrics; undefined: none of its own (serve merges them into /metrics). */
    workerAddress: string | undefined;
    /** How long /metrics reuses its database-derived values before reading them again. */
    databaseCacheSeconds: number;
  };
  database: { url: string | undefined; embeddedPort: number };
  temporal: {
    /** host:port of a Temporal cluster; undefined means "local mode": we run a dev server. */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    /** Workflow ids are `<prefix>-<sha256>`; deployments sharing a namespace use different prefixes. */
    workflowIdPrefix: string;
    localPort: number;
    /** TLS of the cluster connection (from @temporalio/envconfig): true for system roots, or certificates. */
    tls: TemporalConnectTls | undefined;
    /** Temporal Cloud API key (TEMPORAL_API_KEY or the profile's). */
    apiKey: Secret | undefined;
    /** gRPC metadata sent with each call (TEMPORAL_GRPC_META_* or the profile's). */
    metadata: Record<string, string> | undefined;
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
    /**
     * Whether a document is accepted only when each of its values reaches the
     * tiers' measured value floor (TierInfo.valueFloor; the worker reads it when
     * it describes its tiers). Off: document confidence and checks alone.
     */
    valueFloor: boolean;
    /** Token budget of one chunk sent to the fast tier. */
    chunkTokens: number;
    /** Most a document may cost in model calls (USD); escalation beyond it goes to review. */
    docBudgetUsd: number;
  };
  limits: {
    maxFileBytes: number;
    maxPages: number;
    /**
     * The pdf.js thread guard: CPU time to open a file (more per page), heap cap, threads at once per process
     * (pooled and warm), documents a thread serves before it is replaced, seconds an idle thread is kept.
     */
    parse: { cpuMs: number; heapMb: number; threads: number; inflightMb: number; recycleDocs: number; idleSeconds: number };
  };
  /**
   * A worker's slots (its Temporal SDK options): activities and local activities
   * run at once, workflow tasks processed at once, workflow runs kept in the sticky
   * cache (a cached run's next task does not replay its history), pollers per task
   * queue kind. The worker's database pool is sized from these (workerPoolSize).
   */
  worker: {
    activities: number;
    localActivities: number;
    workflowTasks: number;
    /** Undefined: the SDK's default (from the worker's heap size). */
    cachedWorkflows: number | undefined;
    /** Concurrent polls of each task queue kind (workflow, activity); undefined: the SDK's default (min(10, slots)). */
    pollers: number | undefined;
  };
  /** The exact e-invoice tier (XML read, no model); off sends e-invoice PDFs down the text path. */
  einvoice: { enabled: boolean };
  /** Offline OCR of scanned pages when the fast tier cannot read images: 'auto' (when Tesseract is installed) or 'off'. */
  ocr: 'auto' | 'off';
  gemini: {
    apiKey: Secret | undefined;
    baseUrl: string | undefined;
    flashModel: string;
    proModel: string;
    /** The model of the second, cheap reading of required fields; null: none. */
    checkModel: string | null;
    /**
     * Which documents go through the Batch API (half price, up to 24 h): by
     * source ('watch', 'cli', 'api' …), all, or none; and how long a document
     * waits for its batch before falling back to online calls.
     */
    batch: { sources: 'all' | 'none' | string[]; deadlineMs: number; pollMs: number };
    /** Per HTTP request. */
    timeoutMs: number;
    /**
     * The slowest output rate (tokens per second, thinking included) planned for:
     * an extraction call asks for at most 80% of timeoutMs at this rate
     * (extractionOutputCap), so a long answer is cut off and split, not timed out.
     */
    minOutputTokensPerSecond: number;
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
    /** A request (headers and body) not received within this time is answered 408 and closed. */
    requestTimeoutMs: number;
    /** An upload slower than this (bytes per second, over 10-s windows) is cut off (408); 0 disables. */
    minUploadBytesPerSecond: number;
  };
  /** The review console (at / of the API's server). */
  console: {
    /** A session ends this many hours after sign-in… */
    sessionHours: number;
    /** …or after this many minutes without a request. */
    idleMinutes: number;
    /** A claim on a document lapses after this many minutes without activity. */
    claimMinutes: number;
    /** Failed sign-ins in a row that lock an account… */
    maxFailedSignIns: number;
    /** …for this many minutes. */
    lockoutMinutes: number;
  };
  /** USD per million tokens, per model: defaults merged with DOCROUTE_PRICES. */
  prices: PriceTable;
  webhooks: {
    /** Base of the links in webhook payloads (the API as its clients reach it). */
    publicUrl: string;
    /** Deliver to loopback/private addresses (off: a URL that resolves there is refused). */
    allowPrivate: boolean;
    /** One HTTP attempt of a delivery. */
    timeoutMs: number;
    /** How long a delivery is retried (5xx, timeouts, connection errors, 408, 429) before it is recorded failed. */
    retryForMs: number;
  };
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
  const prices = { ...DEFAULT_PRICES, ...e.DOCROUTE_PRICES };
  // A retired or unpriced model fails here, at start, not on the first document.
  const modelProblems: string[] = [];
  const models: [string, string][] = [
    ['DOCROUTE_FLASH_MODEL', e.DOCROUTE_FLASH_MODEL],
    ['DOCROUTE_PRO_MODEL', e.DOCROUTE_PRO_MODEL],
    ...(e.DOCROUTE_CHECK_MODEL === '' || e.DOCROUTE_CHECK_MODEL === 'none' ? [] : [['DOCROUTE_CHECK_MODEL', e.DOCROUTE_CHECK_MODEL] as [string, string]]),
  ];
  for (const [variable, model] of models) {
    const retired = retiredModelMessage(model, variable);
    if (retired) modelProblems.push(`  ${retired}`);
    else if (!prices[model]) modelProblems.push(`  ${variable}=${model}: ${missingPriceMessage(model)}`);
  }
  if (modelProblems.length > 0) throw new ConfigError(`invalid configuration:\n${modelProblems.join('\n')}`);
  const cwd = options.cwd ?? process.cwd();
  const cluster = clusterConnection(env);
  return {
    dataDir: path.resolve(cwd, e.DOCROUTE_DATA_DIR),
    projectRoot: options.projectRoot ?? PROJECT_ROOT,
    logLevel: e.DOCROUTE_LOG_LEVEL,
    logFormat: e.DOCROUTE_LOG_FORMAT,
    metrics: { workerAddress: e.DOCROUTE_WORKER_METRICS_ADDRESS, databaseCacheSeconds: e.DOCROUTE_METRICS_CACHE_SECONDS },
    database: { url: e.DATABASE_URL, embeddedPort: e.DOCROUTE_EMBEDDED_PG_PORT },
    temporal: {
      address: cluster?.address ?? e.TEMPORAL_ADDRESS,
      namespace: cluster?.namespace ?? e.TEMPORAL_NAMESPACE,
      taskQueue: e.DOCROUTE_TASK_QUEUE,
      workflowIdPrefix: e.DOCROUTE_WORKFLOW_PREFIX,
      localPort: e.DOCROUTE_TEMPORAL_PORT,
      tls: cluster?.tls,
      apiKey: cluster?.apiKey,
      metadata: cluster?.metadata,
      stallAfterMs: Math.round(e.DOCROUTE_STALL_AFTER_MINUTES * 60_000),
      searchAttributes: e.DOCROUTE_SEARCH_ATTRIBUTES,
    },
    routing: {
      longDocTokens: e.DOCROUTE_LONG_DOC_TOKENS,
      minConfidence: e.DOCROUTE_MIN_CONFIDENCE,
      valueFloor: e.DOCROUTE_VALUE_FLOOR === 'on',
      chunkTokens: e.DOCROUTE_CHUNK_TOKENS,
      docBudgetUsd: e.DOCROUTE_DOC_BUDGET_USD,
    },
    worker: {
      activities: e.DOCROUTE_WORKER_ACTIVITIES,
      localActivities: e.DOCROUTE_WORKER_LOCAL_ACTIVITIES,
      workflowTasks: e.DOCROUTE_WORKER_WORKFLOW_TASKS,
      cachedWorkflows: e.DOCROUTE_WORKER_CACHED_WORKFLOWS,
      pollers: e.DOCROUTE_WORKER_POLLERS,
    },
    einvoice: { enabled: e.DOCROUTE_EINVOICE === 'on' },
    limits: {
      maxFileBytes: Math.round(e.DOCROUTE_MAX_FILE_MB * 1024 * 1024),
      maxPages: e.DOCROUTE_MAX_PAGES,
      parse: {
        cpuMs: Math.round(e.DOCROUTE_PARSE_CPU_SECONDS * 1000),
        heapMb: e.DOCROUTE_PARSE_HEAP_MB,
        threads: e.DOCROUTE_PARSE_THREADS,
        inflightMb: e.DOCROUTE_PARSE_INFLIGHT_MB,
        recycleDocs: e.DOCROUTE_PARSE_RECYCLE_DOCS,
        idleSeconds: e.DOCROUTE_PARSE_IDLE_SECONDS,
      },
    },
    ocr: e.DOCROUTE_OCR,
    gemini: {
      apiKey: e.GEMINI_API_KEY ? new Secret(e.GEMINI_API_KEY) : undefined,
      baseUrl: e.GEMINI_BASE_URL,
      flashModel: e.DOCROUTE_FLASH_MODEL,
      proModel: e.DOCROUTE_PRO_MODEL,
      checkModel: e.DOCROUTE_CHECK_MODEL === '' || e.DOCROUTE_CHECK_MODEL === 'none' ? null : e.DOCROUTE_CHECK_MODEL,
      batch: {
        sources: e.DOCROUTE_BATCH === 'all' || e.DOCROUTE_BATCH === 'none' ? e.DOCROUTE_BATCH : e.DOCROUTE_BATCH.split(','),
        deadlineMs: Math.round(e.DOCROUTE_BATCH_DEADLINE_MINUTES * 60_000),
        pollMs: Math.round(e.DOCROUTE_BATCH_POLL_SECONDS * 1000),
      },
      timeoutMs: e.GEMINI_TIMEOUT_MS,
      minOutputTokensPerSecond: e.DOCROUTE_MODEL_MIN_OUTPUT_TOKENS_PER_SECOND,
      maxAttempts: e.DOCROUTE_GEMINI_MAX_ATTEMPTS,
      limits: {
        flash: { rpm: e.DOCROUTE_FLASH_RPM, tpm: e.DOCROUTE_FLASH_TPM },
        pro: { rpm: e.DOCROUTE_PRO_RPM, tpm: e.DOCROUTE_PRO_TPM },
      },
    },
    api: {
      port: e.PORT,
      host: e.DOCROUTE_API_HOST,
      rateLimitPerMinute: e.DOCROUTE_API_RATE_LIMIT,
      requestTimeoutMs: Math.round(e.DOCROUTE_API_REQUEST_TIMEOUT_S * 1000),
      minUploadBytesPerSecond: Math.round(e.DOCROUTE_API_MIN_UPLOAD_KBPS * 1024),
    },
    console: {
      sessionHours: e.DOCROUTE_CONSOLE_SESSION_HOURS,
      idleMinutes: e.DOCROUTE_CONSOLE_IDLE_MINUTES,
      claimMinutes: e.DOCROUTE_CONSOLE_CLAIM_MINUTES,
      maxFailedSignIns: e.DOCROUTE_CONSOLE_MAX_FAILED_SIGNINS,
      lockoutMinutes: e.DOCROUTE_CONSOLE_LOCKOUT_MINUTES,
    },
    prices,
    webhooks: {
      publicUrl: (e.DOCROUTE_PUBLIC_URL ?? `http://${e.DOCROUTE_API_HOST.includes(':') ? `[${e.DOCROUTE_API_HOST}]` : e.DOCROUTE_API_HOST}:${e.PORT}`).replace(/\/+$/, ''),
      allowPrivate: e.DOCROUTE_WEBHOOK_ALLOW_PRIVATE,
      timeoutMs: e.DOCROUTE_WEBHOOK_TIMEOUT_MS,
      retryForMs: Math.round(e.DOCROUTE_WEBHOOK_RETRY_HOURS * 3600_000),
    },
  };
}

export type TemporalConnectTls =
  | boolean
  | { serverNameOverride?: string; serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer } };

/**
 * A Temporal cluster's connection, read by `@temporalio/envconfig` as the
 * Temporal CLI and SDKs read it: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH / _KEY_PATH,
 * TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME,
 * TEMPORAL_GRPC_META_<NAME>, and with TEMPORAL_PROFILE or TEMPORAL_CONFIG_FILE a
 * profile of the TOML config file. Undefined without any of them: local mode.
 * The config file is read only when one of those two is set, so a profile made
 * for the Temporal CLI never switches docroute out of local mode by surprise.
 */
function clusterConnection(env: Record<string, string | undefined>):
  | { address: string | undefined; namespace: string | undefined; tls: TemporalConnectTls | undefined; apiKey: Secret | undefined; metadata: Record<string, string> | undefined }
  | undefined {
  const has = (k: string) => Boolean(env[k]?.trim());
  const useFile = has('TEMPORAL_PROFILE') || has('TEMPORAL_CONFIG_FILE');
  if (!has('TEMPORAL_ADDRESS') && !useFile) return undefined;
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (k.startsWith('TEMPORAL_') && v !== undefined && v.trim() !== '') vars[k] = v;
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: vars, disableFile: !useFile, ...(env.TEMPORAL_PROFILE ? { profile: env.TEMPORAL_PROFILE } : {}) });
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  Temporal connection (TEMPORAL_* / TEMPORAL_PROFILE): ${error instanceof Error ? error.message : String(error)}`);
  }
  const c = loaded.connectionOptions;
  if (c.address !== undefined && !/^[^\s:]+:\d+$/.test(c.address)) {
    throw new ConfigError('invalid configuration:\n  TEMPORAL_ADDRESS: must be host:port, e.g. localhost:7233');
  }
  const apiKey = typeof c.apiKey === 'string' && c.apiKey ? new Secret(c.apiKey) : undefined;
  const metadata = c.metadata && Object.keys(c.metadata).length ? (c.metadata as Record<string, string>) : undefined;
  return {
    address: c.address,
    namespace: loaded.namespace,
    tls: asBuffers(c.tls),
    apiKey,
    metadata,
  };
}

/** envconfig reads certificates as Uint8Array; the client's gRPC layer insists on Buffers. */
function asBuffers(tls: unknown): TemporalConnectTls | undefined {
  if (tls === undefined || tls === null) return undefined;
  if (typeof tls === 'boolean') return tls;
  const t = tls as { serverNameOverride?: string; serverRootCACertificate?: Uint8Array; clientCertPair?: { crt: Uint8Array; key: Uint8Array } };
  const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return {
    ...(t.serverNameOverride ? { serverNameOverride: t.serverNameOverride } : {}),
    ...(t.serverRootCACertificate ? { serverRootCACertificate: buf(t.serverRootCACertificate) } : {}),
    ...(t.clientCertPair ? { clientCertPair: { crt: buf(t.clientCertPair.crt), key: buf(t.clientCertPair.key) } } : {}),
  };
}

/** The project's root directory (where package.json, migrations/ and samples/ are). */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * Database connections a process running a worker needs: one per activity and
 * local activity that may run at once (each holds at most one: a query, or a
 * transaction), and a few for what runs beside them (the run reconciler, ingest,
 * the API of `serve`). Fewer makes activities queue for a connection inside their
 * own timeouts; many more only holds idle server processes.
 */
export function workerPoolSize(worker: Config['worker']): number {
  return worker.activities + worker.localActivities + 4;
}
