import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { buildApi } from '../../src/api/app.ts';
import { BEARER, requireScope } from '../../src/api/auth.ts';
import { ROUTES } from '../../src/api/routes/index.ts';
import type { ApiApp, ApiDeps, RouteModule } from '../../src/api/types.ts';
import { hashKey } from '../../src/db/api-keys.ts';
import { createDb, type Db } from '../../src/db/database.ts';
import { silentLogger } from '../../src/logger.ts';
import { isTemporalReachable } from '../../src/services/temporal.ts';
import { freePort } from '../../src/services/free-port.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'docroute.js');

/** A /v1 route of the test's own, so the OpenAPI checks always have one bearer-protected route to find. */
const probe: RouteModule = (app, deps) => {
  app.get(
    '/v1/_probe',
    { preHandler: requireScope(deps.db, 'read'), schema: { security: BEARER, response: { 200: z.object({ ok: z.literal(true) }) } } },
    async () => ({ ok: true as const }),
  );
};

interface Api {
  app: ApiApp;
  /** Every route the app registered (from an onRoute hook installed before the route modules). */
  routes: { method: string; url: string; hide: boolean }[];
  call(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
}

/** The API with the real route modules (plus the probe) over real HTTP, with overridable dependencies. */
async function startApi(h: Harness, overrides: Partial<ApiDeps> = {}): Promise<Api> {
  const routes: Api['routes'] = [];
  const collect: RouteModule = (app) => {
    app.addHook('onRoute', (r) => {
      for (const method of [r.method].flat()) {
        if (method !== 'HEAD') routes.push({ method, url: r.url, hide: Boolean((r.schema as { hide?: boolean } | undefined)?.hide) });
      }
    });
  };
  const app = await buildApi(
    {
      db: h.db,
      client: h.client,
      config: h.config,
      log: silentLogger,
      temporalReady: () => isTemporalReachable(inject('temporalAddress')),
      ...overrides,
    },
    { routes: [collect, probe, ...ROUTES] },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    app,
    routes,
    call: (p, init = {}) => {
      const { key, headers, ...rest } = init;
      return fetch(baseUrl + p, { ...rest, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(headers as Record<string, string>) } });
    },
  };
}

/** A sample of the Prometheus text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (0.0.4), strictly enough to catch malformed output. */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string>; help: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === 'TYPE') {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped'], line).toContain(rest);
        types.set(name, rest);
      } else help.set(name, rest);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: -?\d+)?$/.exec(line);
    expect(m, `not a Prometheus sample line: ${line}`).not.toBeNull();
    const [, name, labelText, value] = m as unknown as [string, string, string | undefined, string];
    const labels: Record<string, string> = {};
    if (labelText) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
      let consumed = 0;
      for (let lm = re.exec(labelText); lm; lm = re.exec(labelText)) {
        labels[lm[1] as string] = (lm[2] as string).replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
        consumed = re.lastIndex;
      }
      expect(consumed, `malformed labels: ${line}`).toBe(labelText.length);
    }
    // Values are Go floats: NaN in any case (prom-client writes "Nan"), +Inf, -Inf.
    const number = value === '+Inf' ? Infinity : value === '-Inf' ? -Infinity : /^nan$/i.test(value) ? NaN : Number(value);
    expect(Number.isNaN(number) && !/^nan$/i.test(value), `bad value: ${line}`).toBe(false);
    samples.push({ name, labels, value: number });
  }
  // Every sample belongs to a family with a TYPE (histogram samples by their _bucket/_sum/_count suffix).
  for (const s of samples) {
    const family = types.has(s.name) ? s.name : s.name.replace(/_(bucket|sum|count)$/, '');
    expect(types.has(family), `no # TYPE for ${s.name}`).toBe(true);
  }
  return { samples, types, help };
}

/** The value of the one sample with this name and (at least) these labels. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(found.length, `${name}${JSON.stringify(labels)} matches ${found.length} samples`).toBeLessThanOrEqual(1);
  return found[0]?.value;
}

let counter = 0;
async function insertDocument(db: Db, status: 'received' | 'processing' | 'extracted' | 'needs_review' | 'failed', kind: 'invoice' | 'contract' | 'other' | null) {
  counter += 1;
  const sha256 = counter.toString(16).padStart(64, '0');
  const row = await db
    .insertInto('documents')
    .values({ sha256, file_name: `doc-${counter}.pdf`, size_bytes: 1000, kind, status, workflow_id: `wf-${counter}` })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function insertAttempt(db: Db, documentId: string, tier: 'flash' | 'pro', outcome: 'ok' | 'invalid' | 'failed', latencyMs: number, costUsd: string) {
  counter += 1;
  await db
    .insertInto('extraction_attempts')
    .values({
      document_id: documentId,
      workflow_id: 'wf',
      run_id: 'run',
      activity_id: `a-${counter}`,
      activity_attempt: 1,
      tier,
      model: tier === 'flash' ? 'gemini-flash' : 'gemini-pro',
      page_from: 1,
      page_to: 1,
      input_tokens: 100,
      output_tokens: 10,
      tokens_estimated: false,
      cost_usd: costUsd,
      latency_ms: latencyMs,
      outcome,
    })
    .execute();
}

async function insertDecision(db: Db, documentId: string, stage: string, action: string) {
  counter += 1;
  await db
    .insertInto('routing_decisions')
    .values({ document_id: documentId, workflow_id: 'wf', run_id: 'run', sequence: counter, stage, action, reason: 'test', inputs: '{}' })
    .execute();
}

describe('operations endpoints: health, readiness, metrics, OpenAPI, docs', () => {
  let h: Harness;
  let api: Api;
  beforeAll(async () => {
    // Metrics read the database on every scrape here (the default caches for 15 s).
    h = await startHarness({ startWorker: false, env: { DOCROUTE_METRICS_CACHE_SECONDS: '0' } });
    api = await startApi(h);
  });
  afterAll(async () => {
    await api?.app.close();
    await h?.close();
  });

  it('/healthz answers 200 without a key', async () => {
    const res = await api.call('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 when Postgres and Temporal answer', async () => {
    const res = await api.call('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { database: 'up', temporal: 'up' } });
  });

  it('/readyz answers 503 naming Temporal when Temporal does not answer', async () => {
    const down = await startApi(h, { temporalReady: async () => false });
    try {
      const res = await down.call('/readyz');
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 503, title: 'Not ready', errors: [{ path: 'temporal', message: 'down' }] });
      expect(body.detail).toMatch(/Temporal/);
      expect(body.detail).not.toMatch(/database|Postgres/);
      expect((await down.call('/healthz')).status).toBe(200);
    } finally {
      await down.app.close();
    }
  });

  it('without Postgres: /readyz 503 naming the database (no internals), /metrics still answers with database_up 0', async () => {
    const port = await freePort(); // nothing listens there
    const deadDb = createDb(`postgres://docroute:secret-password@127.0.0.1:${port}/nowhere`, { max: 1 });
    const down = await startApi(h, { db: deadDb, temporalReady: async () => { throw new Error('boom at 10.1.2.3:7233'); } });
    try {
      const res = await down.call('/readyz');
      expect(res.status).toBe(503);
      const text = await res.text();
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(body.detail).toMatch(/database \(Postgres\) and Temporal do not answer/);
      expect(text).not.toMatch(new RegExp(`${port}|secret-password|ECONNREFUSED|10\\.1\\.2\\.3|boom|127\\.0\\.0\\.1`));

      const metrics = await down.call('/metrics');
      expect(metrics.status).toBe(200);
      const { samples } = parsePrometheus(await metrics.text());
      expect(value(samples, 'docroute_metrics_database_up')).toBe(0);
      expect(samples.some((s) => s.name.startsWith('docroute_documents'))).toBe(false);
      expect(value(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    } finally {
      await down.app.close();
      await deadDb.destroy();
    }
  });

  it('/metrics: Prometheus text whose numbers are the database rows, read at scrape time', async () => {
    const db = h.db;
    const extracted = [];
    for (let i = 0; i < 3; i++) extracted.push(await insertDocument(db, 'extracted', 'invoice'));
    const waiting = [await insertDocument(db, 'needs_review', 'invoice'), await insertDocument(db, 'needs_review', null)];
    // The older of the two has waited an hour, the other a minute: the gauge is the older one's age.
    await db.updateTable('documents').set({ updated_at: sql`now() - interval '1 hour'` }).where('id', '=', waiting[0]!).execute();
    await db.updateTable('documents').set({ updated_at: sql`now() - interval '1 minute'` }).where('id', '=', waiting[1]!).execute();
    const failed = await insertDocument(db, 'failed', 'contract');
    const doc = extracted[0] as string;
    await insertAttempt(db, doc, 'flash', 'ok', 100, '0.001000');
    await insertAttempt(db, doc, 'flash', 'ok', 800, '0.001000');
    await insertAttempt(db, doc, 'flash', 'ok', 3000, '0.001000');
    await insertAttempt(db, failed, 'flash', 'invalid', 500, '0.000500');
    await insertAttempt(db, doc, 'pro', 'ok', 20_000, '0.050000');
    await insertAttempt(db, failed, 'pro', 'ok', 40_000, '0.025000');
    await insertDecision(db, doc, 'classify', 'flash');
    await insertDecision(db, failed, 'classify', 'flash');
    await insertDecision(db, failed, 'validate', 'escalate');

    const res = await api.call('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parsePrometheus(await res.text());

    expect(types.get('docroute_documents')).toBe('gauge');
    expect(types.get('docroute_extraction_attempts_total')).toBe('counter');
    expect(types.get('docroute_extraction_latency_seconds')).toBe('histogram');
    expect(value(samples, 'docroute_metrics_database_up')).toBe(1);

    // Documents by status and kind; every status/kind pair is present (0 when none).
    expect(value(samples, 'docroute_documents', { status: 'extracted', kind: 'invoice' })).toBe(3);
    expect(value(samples, 'docroute_documents', { status: 'needs_review', kind: 'invoice' })).toBe(1);
    expect(value(samples, 'docroute_documents', { status: 'needs_review', kind: 'unknown' })).toBe(1);
    expect(value(samples, 'docroute_documents', { status: 'failed', kind: 'contract' })).toBe(1);
    expect(value(samples, 'docroute_documents', { status: 'received', kind: 'invoice' })).toBe(0);
    expect(samples.filter((s) => s.name === 'docroute_documents').reduce((n, s) => n + s.value, 0)).toBe(6);
    expect(value(samples, 'docroute_review_queue_depth')).toBe(2);
    const oldest = value(samples, 'docroute_review_queue_oldest_age_seconds');
    expect(oldest).toBeGreaterThanOrEqual(3600);
    expect(oldest).toBeLessThan(3600 + 60);

    // Attempts by tier and outcome; cost by tier.
    expect(value(samples, 'docroute_extraction_attempts_total', { tier: 'flash', outcome: 'ok' })).toBe(3);
    expect(value(samples, 'docroute_extraction_attempts_total', { tier: 'flash', outcome: 'invalid' })).toBe(1);
    expect(value(samples, 'docroute_extraction_attempts_total', { tier: 'pro', outcome: 'ok' })).toBe(2);
    expect(value(samples, 'docroute_extraction_attempts_total', { tier: 'pro', outcome: 'failed' })).toBe(0);
    expect(value(samples, 'docroute_extraction_cost_usd_total', { tier: 'flash' })).toBeCloseTo(0.0035, 9);
    expect(value(samples, 'docroute_extraction_cost_usd_total', { tier: 'pro' })).toBeCloseTo(0.075, 9);

    // Latency per tier: a histogram in seconds with cumulative buckets.
    const lat = (name: string, labels: Record<string, string>) => value(samples, `docroute_extraction_latency_seconds${name}`, labels);
    expect(lat('_count', { tier: 'flash' })).toBe(4);
    expect(lat('_sum', { tier: 'flash' })).toBeCloseTo(4.4, 9);
    expect(lat('_bucket', { tier: 'flash', le: '0.5' })).toBe(2);
    expect(lat('_bucket', { tier: 'flash', le: '1' })).toBe(3);
    expect(lat('_bucket', { tier: 'flash', le: '5' })).toBe(4);
    expect(lat('_bucket', { tier: 'flash', le: '+Inf' })).toBe(4);
    expect(lat('_count', { tier: 'pro' })).toBe(2);
    expect(lat('_sum', { tier: 'pro' })).toBeCloseTo(60, 9);
    expect(lat('_bucket', { tier: 'pro', le: '10' })).toBe(0);
    expect(lat('_bucket', { tier: 'pro', le: '30' })).toBe(1);
    expect(lat('_bucket', { tier: 'pro', le: '60' })).toBe(2);
    const flashBuckets = samples.filter((s) => s.name === 'docroute_extraction_latency_seconds_bucket' && s.labels.tier === 'flash');
    expect(flashBuckets.map((s) => s.value)).toEqual([...flashBuckets.map((s) => s.value)].sort((a, b) => a - b));

    // Routing decisions by stage and action.
    expect(value(samples, 'docroute_routing_decisions_total', { stage: 'classify', action: 'flash' })).toBe(2);
    expect(value(samples, 'docroute_routing_decisions_total', { stage: 'validate', action: 'escalate' })).toBe(1);

    // The process's own metrics, under the stock names dashboards expect.
    expect(value(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);
    expect(samples.some((s) => s.name.startsWith('docroute_process_') || s.name.startsWith('docroute_nodejs_'))).toBe(false);
    // HTTP requests by route pattern and status (the /readyz and /healthz calls above, on this app).
    expect(types.get('http_request_duration_seconds')).toBe('histogram');
    expect(value(samples, 'http_requests_total', { method: 'GET', route: '/healthz', status_code: '200' })).toBeGreaterThanOrEqual(1);
    // Tokens by tier and model (global, from the attempts).
    expect(types.get('docroute_model_tokens_total')).toBe('counter');
    expect(value(samples, 'docroute_model_tokens_total', { tier: 'flash', model: 'gemini-flash', direction: 'input' })).toBe(400);
    expect(value(samples, 'docroute_model_tokens_total', { tier: 'pro', model: 'gemini-pro', direction: 'output' })).toBe(20);

    // Read at scrape time: a change in the database shows in the next scrape.
    await insertDocument(db, 'needs_review', 'contract');
    await db.updateTable('documents').set({ status: 'needs_review' }).where('id', '=', extracted[1] as string).execute();
    const again = parsePrometheus(await (await api.call('/metrics')).text()).samples;
    expect(value(again, 'docroute_review_queue_depth')).toBe(4);
    expect(value(again, 'docroute_documents', { status: 'extracted', kind: 'invoice' })).toBe(2);
  });

  it('/metrics: documents by tier, from the last step of each route (xml = read exactly from an e-invoice)', async () => {
    const db = h.db;
    const byTier = async () => {
      const { samples, types } = parsePrometheus(await (await api.call('/metrics')).text());
      expect(types.get('docroute_documents_by_tier')).toBe('gauge');
      return Object.fromEntries(['xml', 'flash', 'pro', 'none'].map((tier) => [tier, value(samples, 'docroute_documents_by_tier', { tier })]));
    };
    const before = await byTier();
    const routed = async (route: string[], status: 'extracted' | 'needs_review' | 'failed') => {
      const id = await insertDocument(db, status, route.length > 0 ? 'invoice' : null);
      await db.updateTable('documents').set({ route }).where('id', '=', id).execute();
    };
    await routed(['xml'], 'extracted');
    await routed(['xml'], 'extracted');
    await routed(['xml'], 'needs_review');
    await routed(['flash'], 'extracted');
    await routed(['flash', 'pro'], 'needs_review');
    await routed([], 'failed');
    const after = await byTier();
    expect({
      xml: after.xml! - before.xml!,
      flash: after.flash! - before.flash!,
      pro: after.pro! - before.pro!,
      none: after.none! - before.none!,
    }).toEqual({ xml: 3, flash: 1, pro: 1, none: 1 });
    // Every document is counted once.
    const { samples } = parsePrometheus(await (await api.call('/metrics')).text());
    const total = samples.filter((s) => s.name === 'docroute_documents').reduce((n, s) => n + s.value, 0);
    expect(Object.values(after).reduce<number>((n, v) => n + (v ?? 0), 0)).toBe(total);
  });

  it('/metrics reads the database at most once per DOCROUTE_METRICS_CACHE_SECONDS: scrapes in between reuse it', async () => {
    const cached = await startApi(h, { config: { ...h.config, metrics: { ...h.config.metrics, databaseCacheSeconds: 3600 } } });
    try {
      const depth = async () => value(parsePrometheus(await (await cached.call('/metrics')).text()).samples, 'docroute_review_queue_depth');
      const before = (await depth()) ?? 0;
      await insertDocument(h.db, 'needs_review', 'invoice');
      expect(await depth()).toBe(before);
      expect(await (await api.call('/metrics')).text()).toMatch(new RegExp(`^docroute_review_queue_depth ${before + 1}$`, 'm'));
    } finally {
      await cached.app.close();
    }
  });

  it('/openapi.json is a valid OpenAPI 3.1 document listing every /v1 route with bearer security', async () => {
    const res = await api.call('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { security?: Record<string, string[]>[]; tags?: string[] }>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    await SwaggerParser.validate(structuredClone(doc) as never);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });

    const v1 = api.routes.filter((r) => r.url.startsWith('/v1/') && !r.hide);
    expect(v1.map((r) => r.url)).toContain('/v1/_probe');
    for (const r of v1) {
      const openapiPath = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const op = doc.paths[openapiPath]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.url} is not in the OpenAPI document`).toBeDefined();
      expect(op?.security, `${r.method} ${r.url} has no bearer security`).toEqual(expect.arrayContaining([{ bearerAuth: [] }]));
    }
    // The operations endpoints are documented, tagged, and need no key.
    for (const p of ['/healthz', '/readyz', '/metrics']) {
      expect(doc.paths[p]?.get?.tags, p).toEqual(['operations']);
      expect(doc.paths[p]?.get?.security, p).toBeUndefined();
    }
  });

  it('/docs serves the API documentation as HTML', async () => {
    const res = await api.call('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/swagger/i);
  });

  describe('docroute keys (the CLI, in a child process)', () => {
    const docroute = async (args: string[]) => {
      const PATH = [path.join(ROOT, 'node_modules', '.bin'), process.env.PATH ?? ''].join(path.delimiter);
      try {
        const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
          cwd: ROOT,
          env: { PATH, HOME: process.env.HOME ?? '/tmp', DOCROUTE_LOG_LEVEL: 'warn', DATABASE_URL: h.config.database.url as string },
          timeout: 60_000,
        });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    };

    it('create --json prints exactly {id, key}; the key works; list never shows it or its hash; revoke makes it 401', async () => {
      const created = await docroute(['keys', 'create', '--name', 'ci robot', '--scopes', 'read,review', '--json']);
      expect(created, created.stderr).toMatchObject({ code: 0 });
      const out = JSON.parse(created.stdout) as { id: string; key: string };
      expect(Object.keys(out)).toEqual(['id', 'key']);
      expect(out.key).toMatch(new RegExp(`^dr_${out.id}_[A-Za-z0-9_-]{43}$`));
      const row = await h.db.selectFrom('api_keys').selectAll().where('id', '=', out.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ name: 'ci robot', scopes: ['read', 'review'], key_hash: hashKey(out.key), revoked_at: null });

      expect((await api.call('/v1/_probe', { key: out.key })).status).toBe(200);

      for (const args of [['keys', 'list', '--json'], ['keys', 'list']]) {
        const listed = await docroute(args);
        expect(listed.code, listed.stderr).toBe(0);
        expect(listed.stdout).toContain(out.id);
        expect(listed.stdout).toContain('ci robot');
        expect(listed.stdout).not.toContain(out.key.slice(16));
        expect(listed.stdout).not.toContain(row.key_hash);
        expect(listed.stdout).not.toMatch(/key_hash|[0-9a-f]{64}/);
      }
      const list = JSON.parse((await docroute(['keys', 'list', '--json'])).stdout) as Record<string, unknown>[];
      expect(list.find((k) => k.id === out.id)).toEqual({
        id: out.id,
        name: 'ci robot',
        scopes: ['read', 'review'],
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        revokedAt: null,
      });

      const revoked = await docroute(['keys', 'revoke', out.id]);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toMatch(/Revoked API key/);
      expect((await api.call('/v1/_probe', { key: out.key })).status).toBe(401);
      const after = JSON.parse((await docroute(['keys', 'list', '--json'])).stdout) as Record<string, unknown>[];
      expect(after.find((k) => k.id === out.id)?.revokedAt).toEqual(expect.any(String));

      // Revoking again changes nothing and says so; an unknown id is an error.
      const twice = await docroute(['keys', 'revoke', out.id]);
      expect(twice.code).toBe(0);
      expect(twice.stdout).toMatch(/already revoked/);
      const unknown = await docroute(['keys', 'revoke', '000000000000']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/no API key has id 000000000000/);
    });

    it('create without --json shows the key once with its id; unknown scopes are refused with the valid ones', async () => {
      const shown = await docroute(['keys', 'create', '--name', 'person', '--scopes', 'write']);
      expect(shown.code, shown.stderr).toBe(0);
      expect(shown.stdout).toMatch(/Created API key [0-9a-f]{12} \("person", scopes write\)/);
      expect(shown.stdout).toMatch(/^ {2}dr_[0-9a-f]{12}_\S{43}$/m);

      const before = await h.db.selectFrom('api_keys').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      const bad = await docroute(['keys', 'create', '--name', 'x', '--scopes', 'read,admin', '--json']);
      expect(bad.code).not.toBe(0);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toMatch(/unknown scope "admin"; scopes are read, write, review/);
      const empty = await docroute(['keys', 'create', '--name', 'x', '--scopes', ',']);
      expect(empty.code).not.toBe(0);
      expect(empty.stderr).toMatch(/at least one scope/);
      const missing = await docroute(['keys', 'create', '--name', 'x']);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/--scopes/);
      const after = await h.db.selectFrom('api_keys').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      expect(after.n).toBe(before.n);
    });
  });
});
