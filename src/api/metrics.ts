import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import type { AttemptOutcome, DocumentKindColumn, DocumentStatusColumn, TierColumn } from '../db/schema.ts';
import type { Db } from '../db/database.ts';
import { readMetricsSnapshot, type MetricsSnapshot } from '../db/metrics.ts';
import type { Logger } from '../logger.ts';

/**
 * Prometheus metrics for the API process, three kinds:
 * - this process's own: Node's default metrics under their stock names
 *   (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, … as stock
 *   dashboards expect them), and HTTP requests (`http_requests_total`,
 *   `http_request_duration_seconds`, by method, route pattern and status);
 * - the in-process worker's, when `serve` runs one (local mode): the Temporal
 *   SDK's Prometheus exporter (`temporal_*`: task slots, poll and
 *   schedule-to-start latencies, workflow and activity outcomes), appended;
 * - global ones, `docroute_*`, read from Postgres (the source of truth shared
 *   by every worker and API process): every replica reports the same whole-system
 *   value, so aggregate them with max() (or scrape one replica), never sum(). They
 *   are read at most once per DOCROUTE_METRICS_CACHE_SECONDS per process, so
 *   frequent scrapes by several Prometheus servers cost one set of grouped
 *   queries per interval.
 *
 * A registry of our own, never prom-client's global one: two apps in one process
 * (tests) never clash, and nothing a library registers globally leaks out.
 */
export interface ApiMetrics {
  registry: Registry;
  /** The exposition: queries Postgres once (or reuses the cached read) and renders every metric, then the worker's. */
  scrape(): Promise<string>;
  /** Counts an answered HTTP request (route: the matched pattern, never the raw URL, so ids do not become labels). */
  observeRequest(request: { method: string; route: string; statusCode: number; seconds: number }): void;
  contentType: string;
}

/** Every document status, each reported (0 when none): a record lists them all, so a new status cannot be left out. */
const STATUS_SET: Record<DocumentStatusColumn, true> = {
  received: true,
  processing: true,
  extracted: true,
  needs_review: true,
  failed: true,
  cancelled: true,
  stalled: true,
};
const STATUSES = Object.keys(STATUS_SET) as DocumentStatusColumn[];
const KINDS: readonly (DocumentKindColumn | 'unknown')[] = ['invoice', 'contract', 'other', 'unknown'];
const TIERS: readonly TierColumn[] = ['xml', 'flash', 'pro'];
const OUTCOMES: readonly AttemptOutcome[] = ['ok', 'invalid', 'failed'];
/** Upper bounds (seconds) of the extraction latency histogram's buckets. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300];

/**
 * A histogram whose buckets, sum and count come from stored rows rather than
 * from observations made in this process (prom-client's Histogram can only
 * observe). Exposed with `# TYPE … histogram`, so `histogram_quantile()` works.
 */
interface StoredHistogramSeries {
  labels: Record<string, string>;
  /** Cumulative counts, one per bound of `bounds`. */
  buckets: number[];
  count: number;
  sum: number;
}

function storedHistogram(
  name: string,
  help: string,
  bounds: readonly number[],
  read: () => Promise<StoredHistogramSeries[]>,
): Metric {
  const metric = {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    reset: () => undefined,
    get: async () => {
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
      for (const s of await read()) {
        bounds.forEach((le, i) => values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le }, value: s.buckets[i] ?? 0 }));
        values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
        values.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
        values.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  // prom-client's registry only needs name, help, type, get() and reset(); its types list its own classes.
  return metric as unknown as Metric;
}

export interface ApiMetricsOptions {
  /** Seconds a database snapshot is reused (0: read on every scrape). */
  cacheSeconds?: number;
  /** The in-process worker's SDK metrics endpoint, appended to each scrape. */
  workerMetricsUrl?: string | null;
}

export function createApiMetrics(db: Db, log: Logger, options: ApiMetricsOptions = {}): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const cacheMs = (options.cacheSeconds ?? 0) * 1000;

  // One database read per scrape (or per cache period), shared by every metric's
  // collect(). A direct registry.metrics() (without scrape()) still works.
  let current: Promise<MetricsSnapshot | null> | undefined;
  let cached: { at: number; value: Promise<MetricsSnapshot | null> } | undefined;
  const load = async (): Promise<MetricsSnapshot | null> => {
    if (cached && Date.now() - cached.at < cacheMs) return cached.value;
    const value = readMetricsSnapshot(db, LATENCY_BUCKETS_SECONDS).catch((error: unknown) => {
      // The scrape still answers (process metrics, database_up 0); the reason stays in the log.
      log.warn('metrics: the database did not answer', { error: String(error) });
      cached = undefined;
      return null;
    });
    if (cacheMs > 0) cached = { at: Date.now(), value };
    return value;
  };
  const snapshot = () => current ?? load();
  const GLOBAL = ' Global: read from the database, the same in every replica; aggregate with max(), not sum().';

  new Gauge({
    name: 'docroute_metrics_database_up',
    help: '1 when the last scrape could read the database, 0 when it could not (then the document metrics are absent).',
    registers: [registry],
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });

  new Gauge({
    name: 'docroute_documents',
    help: 'Documents by processing status and kind (kind "unknown" until classified).' + GLOBAL,
    labelNames: ['status', 'kind'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      for (const status of STATUSES) for (const kind of KINDS) this.set({ status, kind }, 0);
      for (const row of s.documents) this.set({ status: row.status, kind: row.kind }, row.n);
    },
  });

  new Gauge({
    name: 'docroute_documents_by_tier',
    help:
      'Documents by the tier that read them last (the last step of their route): xml = read exactly from an e-invoice\'s XML (no model, cost 0), flash, pro; none = not read by any tier (yet).' +
      GLOBAL,
    labelNames: ['tier'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      for (const tier of [...TIERS, 'none'] as const) this.set({ tier }, 0);
      for (const row of s.byTier) this.set({ tier: row.tier }, row.documents);
    },
  });

  new Gauge({
    name: 'docroute_review_queue_depth',
    help: 'Documents waiting for a human (status needs_review).' + GLOBAL,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await snapshot();
      if (s) this.set(s.review.depth);
    },
  });

  new Gauge({
    name: 'docroute_review_queue_oldest_age_seconds',
    help: 'Seconds since the longest-waiting document in review last changed (0 when the queue is empty).' + GLOBAL,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await snapshot();
      if (s) this.set(Math.max(0, s.review.oldestSeconds ?? 0));
    },
  });

  new Counter({
    name: 'docroute_extraction_attempts_total',
    help: 'Model calls (extraction attempts) by tier and outcome.' + GLOBAL,
    labelNames: ['tier', 'outcome'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      for (const tier of TIERS) for (const outcome of OUTCOMES) this.inc({ tier, outcome }, 0);
      for (const row of s.attempts) this.inc({ tier: row.tier, outcome: row.outcome }, row.n);
    },
  });

  new Counter({
    name: 'docroute_extraction_cost_usd_total',
    help: 'What the model calls cost, in US dollars, by tier (every attempt, whatever its outcome).' + GLOBAL,
    labelNames: ['tier'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      const byTier = new Map<string, number>(TIERS.map((t) => [t, 0]));
      for (const row of s.attempts) byTier.set(row.tier, (byTier.get(row.tier) ?? 0) + row.cost);
      for (const [tier, cost] of byTier) this.inc({ tier }, cost);
    },
  });

  registry.registerMetric(
    storedHistogram(
      'docroute_extraction_latency_seconds',
      'How long model calls took, by tier.' + GLOBAL,
      LATENCY_BUCKETS_SECONDS,
      async () => {
        const s = await snapshot();
        if (!s) return [];
        return TIERS.map((tier) => {
          const row = s.latency.find((r) => r.tier === tier);
          return {
            labels: { tier },
            buckets: row?.buckets ?? LATENCY_BUCKETS_SECONDS.map(() => 0),
            count: row?.count ?? 0,
            sum: (row?.sumMs ?? 0) / 1000,
          };
        });
      },
    ),
  );

  new Counter({
    name: 'docroute_routing_decisions_total',
    help: 'Routing decisions by stage and action.' + GLOBAL,
    labelNames: ['stage', 'action'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      for (const row of s.decisions) this.inc({ stage: row.stage, action: row.action }, row.n);
    },
  });

  new Counter({
    name: 'docroute_model_tokens_total',
    help: 'Tokens sent to and received from the models, by tier, model and direction (input, output, cached input; model "rules-v1" is the offline rules tier, which costs nothing).' + GLOBAL,
    labelNames: ['tier', 'model', 'direction'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      for (const row of s.tokens) {
        this.inc({ tier: row.tier, model: row.model, direction: 'input' }, row.input);
        this.inc({ tier: row.tier, model: row.model, direction: 'output' }, row.output);
        this.inc({ tier: row.tier, model: row.model, direction: 'cached' }, row.cached);
      }
    },
  });

  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests this process answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'How long this process took to answer HTTP requests, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const workerMetrics = async (): Promise<string> => {
    if (!options.workerMetricsUrl) return '';
    try {
      const res = await fetch(options.workerMetricsUrl, { signal: AbortSignal.timeout(2000) });
      return res.ok ? await res.text() : '';
    } catch (error) {
      log.warn('metrics: the worker metrics endpoint did not answer', { error: String(error) });
      return '';
    }
  };

  return {
    registry,
    contentType: registry.contentType,
    observeRequest(request) {
      const labels = { method: request.method, route: request.route, status_code: String(request.statusCode) };
      httpRequests.inc(labels);
      httpDuration.observe(labels, request.seconds);
    },
    async scrape() {
      const pending = load();
      current = pending;
      try {
        const [own, worker] = await Promise.all([registry.metrics(), workerMetrics()]);
        return worker ? `${own}\n${worker.trimEnd()}\n` : own;
      } finally {
        if (current === pending) current = undefined;
      }
    },
  };
}
