import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { buildApi } from '../../src/api/app.ts';
import { BEARER, MAX_FAILED_AUTH_PER_MINUTE, requireScope } from '../../src/api/auth.ts';
import type { ApiApp, RouteModule } from '../../src/api/types.ts';
import { keysRevokeCommand } from '../../src/cli/commands/keys.ts';
import { createDb } from '../../src/db/database.ts';
import { createApiKey, type ApiScope } from '../../src/db/api-keys.ts';
import { createLogger, silentLogger } from '../../src/logger.ts';
import { startHarness, type Harness } from '../support/harness.ts';

/**
 * Authentication, scopes, rate limiting and error bodies over real HTTP, on
 * probe routes of this test's own (so it does not depend on the API's other
 * route modules): /v1/_probe needs "read", /v1/_probe/review needs "review",
 * /v1/_probe/boom fails with an error full of internals.
 */
const probes: RouteModule = (app, deps) => {
  const Ok = z.object({ ok: z.literal(true), keyId: z.string() });
  app.get(
    '/v1/_probe',
    { preHandler: requireScope(deps.db, 'read'), schema: { security: BEARER, response: { 200: Ok } } },
    async (request) => ({ ok: true as const, keyId: request.apiKey?.id ?? '' }),
  );
  app.get(
    '/v1/_probe/review',
    { preHandler: requireScope(deps.db, 'review'), schema: { security: BEARER, response: { 200: Ok } } },
    async (request) => ({ ok: true as const, keyId: request.apiKey?.id ?? '' }),
  );
  app.get('/v1/_probe/boom', { preHandler: requireScope(deps.db, 'read'), schema: { security: BEARER } }, async (request) => {
    throw new Error(
      `relation "secret_table" does not exist: select key_hash from api_keys where key = '${request.headers.authorization ?? ''}'`,
    );
  });
};

interface Api {
  app: ApiApp;
  call(path: string, key?: string, headers?: Record<string, string>): Promise<Response>;
}

async function startApi(h: Harness, options: { rateLimitPerMinute?: number; log?: ReturnType<typeof createLogger> } = {}): Promise<Api> {
  const app = await buildApi(
    { db: h.db, client: h.client, config: h.config, log: options.log ?? silentLogger, temporalReady: async () => true },
    { routes: [probes], rateLimitPerMinute: options.rateLimitPerMinute ?? 10_000 },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    app,
    call: (path, key, headers = {}) => fetch(baseUrl + path, { headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } }),
  };
}

/** A problem+json response with the given status; returns its body (and the raw text, for leak checks). */
async function expectProblem(res: Response, status: number): Promise<{ body: Record<string, unknown>; text: string }> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const text = await res.text();
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(body).toMatchObject({ status, type: expect.stringMatching(/^https:\/\/docroute\.dev\/problems\//), title: expect.any(String) });
  expect(typeof body.detail).toBe('string');
  return { body, text };
}

/** Nothing in an error body a client should not see: stack frames, SQL, file paths, keys or their hashes. */
function expectNoInternals(text: string, ...secrets: string[]) {
  expect(text).not.toMatch(/\bat .+:\d+:\d+/); // stack frames
  expect(text).not.toMatch(/\b(select|insert|update|delete)\b.+\bfrom\b|api_keys|key_hash|secret_table|relation "/i);
  expect(text).not.toMatch(/node_modules|\.ts\b|\/src\//);
  expect(text).not.toMatch(/dr_[0-9a-f]{12}_/);
  for (const s of secrets) expect(text).not.toContain(s);
}

describe('the database is down', () => {
  it('a request is answered 503 with Retry-After, not 500', async () => {
    const h = await startHarness({ startWorker: false });
    // A pool aimed at a port where nothing listens: every query is refused, as during an outage.
    const down = createDb('postgres://nobody@127.0.0.1:1/none', { max: 1 });
    const app = await buildApi(
      { db: down, client: h.client, config: h.config, log: silentLogger, temporalReady: async () => true },
      { routes: [probes], rateLimitPerMinute: 10_000 },
    );
    try {
      const res = await app.inject({ method: 'GET', url: '/v1/_probe', headers: { authorization: `Bearer dr_${'a'.repeat(12)}_${'b'.repeat(43)}` } });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 503, title: 'Service unavailable' });
      expect(res.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    } finally {
      await app.close();
      await down.destroy();
      await h.close();
    }
  });
});

describe('API authentication, scopes, rate limit and error bodies', () => {
  let h: Harness;
  let api: Api;
  const logged: string[] = [];
  let readKey: string;
  let reviewKey: string;
  let readKeyId: string;

  beforeAll(async () => {
    h = await startHarness({ startWorker: false });
    api = await startApi(h, { log: createLogger('error', (line) => logged.push(line)) });
    const read = await createApiKey(h.db, 'reader', ['read']);
    readKey = read.key;
    readKeyId = read.id;
    reviewKey = (await createApiKey(h.db, 'reviewer', ['read', 'review'])).key;
  });
  afterAll(async () => {
    await api?.app.close();
    await h?.close();
  });

  it('without Authorization: 401 problem with WWW-Authenticate', async () => {
    const res = await api.call('/v1/_probe');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="docroute"/);
    const { body, text } = await expectProblem(res, 401);
    expect(body).toMatchObject({ title: 'Unauthorized', instance: '/v1/_probe' });
    expect(body.detail).toMatch(/Authorization: Bearer/);
    expectNoInternals(text);
  });

  it('a malformed Authorization header: 401', async () => {
    const malformed = [
      `Basic ${Buffer.from('user:pass').toString('base64')}`,
      'Bearer',
      'Bearer ',
      `Bearer ${readKey} extra`,
      readKey, // no scheme
      'Bearer not-a-docroute-key',
      `Bearer ${readKey.slice(0, 20)}`, // truncated
      `Bearer dr_ZZZZZZZZZZZZ_${'a'.repeat(43)}`,
    ];
    for (const authorization of malformed) {
      const res = await api.call('/v1/_probe', undefined, { authorization });
      expect(res.headers.get('www-authenticate'), authorization).toMatch(/^Bearer /);
      const { text } = await expectProblem(res, 401);
      expectNoInternals(text, readKey);
    }
  });

  it('a well-formed but wrong key: 401, whether its id exists or not', async () => {
    const secret = readKey.slice(16);
    const wrongSecret = `dr_${readKeyId}_${secret.split('').reverse().join('')}`;
    const unknownId = `dr_000000000000_${secret}`;
    for (const key of [wrongSecret, unknownId]) {
      const { body, text } = await expectProblem(await api.call('/v1/_probe', key), 401);
      expect(body.detail).toMatch(/not valid or has been revoked/);
      expectNoInternals(text, key, readKey);
    }
  });

  it('the right scope: 200; a key without the scope: 403', async () => {
    const ok = await api.call('/v1/_probe', readKey);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, keyId: readKeyId });

    const { body, text } = await expectProblem(await api.call('/v1/_probe/review', readKey), 403);
    expect(body).toMatchObject({ title: 'Forbidden' });
    expect(body.detail).toMatch(/"review" scope/);
    expectNoInternals(text, readKey);

    const review = await api.call('/v1/_probe/review', reviewKey);
    expect(review.status).toBe(200);
  });

  it('a key that worked stops working once revoked (docroute keys revoke)', async () => {
    const { id, key } = await createApiKey(h.db, 'short-lived', ['read', 'write', 'review'] satisfies ApiScope[]);
    expect((await api.call('/v1/_probe', key)).status).toBe(200);
    // last_used_at is written in the background, after the response.
    await vi.waitFor(async () =>
      expect((await h.db.selectFrom('api_keys').select('last_used_at').where('id', '=', id).executeTakeFirstOrThrow()).last_used_at).not.toBeNull(),
    );

    await keysRevokeCommand({ config: h.config, log: silentLogger }, id);

    const res = await api.call('/v1/_probe', key);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const { text } = await expectProblem(res, 401);
    expectNoInternals(text, key);
    // Other keys are untouched.
    expect((await api.call('/v1/_probe', readKey)).status).toBe(200);
  });

  it('an unknown route: 404 problem', async () => {
    for (const path of ['/v1/nothing-here', '/nothing-here', '/v1/_probe/boom/deeper']) {
      const { body, text } = await expectProblem(await api.call(path, readKey), 404);
      expect(body).toMatchObject({ title: 'Not found', instance: path });
      expectNoInternals(text, readKey);
    }
  });

  it('an internal error: 500 problem with a generic message; the details go to the log only', async () => {
    logged.length = 0;
    const { body, text } = await expectProblem(await api.call('/v1/_probe/boom', readKey), 500);
    expect(body).toMatchObject({ title: 'Internal error', type: 'https://docroute.dev/problems/internal' });
    expect(body.detail).toMatch(/could not complete the request/);
    expectNoInternals(text, readKey);
    // One structured log line (pino JSON) carries the failure and its details.
    expect(logged.find((line) => line.includes('request failed'))).toMatch(/secret_table/);
  });

  it('request logging: a pino JSON line per request answered, with the request id it returns in X-Request-Id; no key in the log', async () => {
    const lines: string[] = [];
    const logging = await startApi(h, { log: createLogger('info', (line) => lines.push(line)) });
    try {
      // A proxy's sane id is kept; one that could inject into the log is replaced with a UUID.
      const traced = await logging.call('/v1/_probe', readKey, { 'x-request-id': 'edge-7f3a.42' });
      expect(traced.status).toBe(200);
      expect(traced.headers.get('x-request-id')).toBe('edge-7f3a.42');
      const odd = await logging.call('/v1/_probe', readKey, { 'x-request-id': 'a b"}{' });
      const oddId = odd.headers.get('x-request-id')!;
      expect(oddId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      await logging.app.close();
      const entries = lines.map((line) => JSON.parse(line) as Record<string, any>);
      const answered = (id: string) => entries.find((e) => e.reqId === id && e.res?.statusCode === 200 && typeof e.responseTime === 'number');
      expect(answered('edge-7f3a.42'), lines.join('\n')).toBeDefined();
      expect(answered(oddId)).toBeDefined();
      expect(entries.find((e) => e.reqId === 'edge-7f3a.42' && e.req?.url === '/v1/_probe')).toBeDefined();
      expect(lines.join('\n')).not.toContain(readKey);
    } finally {
      await logging.app.close().catch(() => undefined);
    }
  });

  it('rate limit per key: the 6th request in a minute gets 429; another key is unaffected', async () => {
    const limited = await startApi(h, { rateLimitPerMinute: 5 });
    try {
      const a = await createApiKey(h.db, 'a', ['read']);
      const b = await createApiKey(h.db, 'b', ['read']);
      for (let i = 0; i < 5; i++) expect((await limited.call('/v1/_probe', a.key)).status).toBe(200);

      const res = await limited.call('/v1/_probe', a.key);
      const { body, text } = await expectProblem(res, 429);
      expect(body).toMatchObject({ title: 'Too many requests' });
      expect(body.detail).toMatch(/Rate limit of 5 requests/);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expectNoInternals(text, a.key);

      // The same key cannot slip past the limit by spelling the path differently.
      for (const path of ['/%761/_probe', '/v1/%5Fprobe', '/v1/_probe?x=1']) {
        expect((await limited.call(path, a.key)).status, path).not.toBe(200);
      }

      // Nor by spelling the Authorization header differently (auth accepts any case and spacing of "Bearer").
      for (const authorization of [`bearer ${a.key}`, `BEARER  ${a.key}`, `Bearer\t${a.key} `]) {
        expect((await limited.call('/v1/_probe', undefined, { authorization })).status, JSON.stringify(authorization)).toBe(429);
      }

      // Another key has its own budget.
      expect((await limited.call('/v1/_probe', b.key)).status).toBe(200);
      // Outside /v1 nothing is limited (the 404 is the not-found problem, not 429).
      expect((await limited.call('/elsewhere', a.key)).status).toBe(404);
    } finally {
      await limited.app.close();
    }
  });

  it('an address that keeps presenting invented keys is refused (429), but its valid keys still pass', async () => {
    // A database handle of its own, so this app's failure count is its own.
    const db = createDb(h.config.database.url as string, { max: 2 });
    const app = await buildApi(
      { db, client: h.client, config: h.config, log: silentLogger, temporalReady: async () => true },
      { routes: [probes], rateLimitPerMinute: 10_000 },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const get = (key: string) => fetch(`${baseUrl}/v1/_probe`, { headers: { authorization: `Bearer ${key}` } });
    try {
      for (let i = 0; i < MAX_FAILED_AUTH_PER_MINUTE; i++) {
        expect((await get(`dr_${i.toString(16).padStart(12, '0')}_${'x'.repeat(43)}`)).status).toBe(401);
      }
      const blocked = await get(`dr_${'f'.repeat(12)}_${'y'.repeat(43)}`);
      const { body } = await expectProblem(blocked, 429);
      expect(body.detail).toMatch(/invalid API keys from this address/);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      await expectProblem(await get('not-even-shaped-like-a-key'), 429);
      // The lockout never blocks a valid key from the same address.
      const ok = await get(readKey);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ ok: true });
    } finally {
      await app.close();
      await db.destroy();
    }
  });
});
