import type { AddressInfo } from 'node:net';
import { inject } from 'vitest';
import { buildApi } from '../../src/api/app.ts';
import { ROUTES } from '../../src/api/routes/index.ts';
import type { ApiApp } from '../../src/api/types.ts';
import { createApiKey, type ApiScope } from '../../src/db/api-keys.ts';
import { createLogger } from '../../src/logger.ts';
import { isTemporalReachable } from '../../src/services/temporal.ts';
import { startHarness, type Harness } from './harness.ts';

export interface ApiHarness extends Harness {
  app: ApiApp;
  /** http://127.0.0.1:<port> of the running API. */
  baseUrl: string;
  /** Makes an API key with the given scopes and returns it. */
  key(scopes: ApiScope[], name?: string): Promise<string>;
  /** fetch against the API with an optional key. */
  call(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
}

/**
 * The API over real HTTP on a free port, on top of a test harness (its own
 * database, a worker on its own task queue, the shared Temporal server).
 */
export async function startApiHarness(
  options: Parameters<typeof startHarness>[0] & { rateLimitPerMinute?: number } = {},
): Promise<ApiHarness> {
  const h = await startHarness(options);
  const app = await buildApi(
    {
      db: h.db,
      client: h.client,
      config: h.config,
      log: createLogger('error'),
      temporalReady: () => isTemporalReachable(inject('temporalAddress')),
    },
    { routes: ROUTES, rateLimitPerMinute: options.rateLimitPerMinute ?? 10_000 },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const close = h.close;
  return Object.assign(h, {
    app,
    baseUrl,
    key: async (scopes: ApiScope[], name = 'test') => (await createApiKey(h.db, name, scopes)).key,
    call: (path: string, init: RequestInit & { key?: string } = {}) => {
      const { key, headers, ...rest } = init;
      return fetch(baseUrl + path, {
        ...rest,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(headers as Record<string, string> | undefined) },
      });
    },
    close: async () => {
      await app.close();
      await close();
    },
  });
}
