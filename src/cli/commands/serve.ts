import { buildApi } from '../../api/app.ts';
import { ROUTES } from '../../api/routes/index.ts';
import { openRuntime, type AppRuntime } from '../../app/runtime.ts';
import type { ApiApp } from '../../api/types.ts';
import { isTemporalReachable } from '../../services/temporal.ts';
import type { CliContext } from '../main.ts';
import { isLocalMode } from './ingest.ts';
import { untilSignal } from '../until-signal.ts';

/**
 * `docroute serve`: the HTTP API on PORT. In local mode it also runs the local
 * services and a worker, so uploads are processed; against a cluster it only
 * serves (workers run elsewhere).
 */
export async function serveCommand(ctx: CliContext): Promise<void> {
  const runtime = await openRuntime(ctx.config, ctx.log, { worker: isLocalMode(ctx), workerMetrics: true });
  try {
    const app = await startApi(runtime, ctx);
    process.stdout.write(
      `docroute API on http://${ctx.config.api.host}:${ctx.config.api.port} (docs /docs, OpenAPI /openapi.json); Ctrl-C stops it\n`,
    );
    await untilSignal();
    await app.close();
  } finally {
    await runtime.close();
  }
}

/** Builds the API over an open runtime and listens on the configured host and port. */
export async function startApi(runtime: AppRuntime, ctx: CliContext): Promise<ApiApp> {
  const app = await buildApi(
    {
      db: runtime.db,
      client: runtime.client,
      config: ctx.config,
      log: ctx.log,
      temporalReady: () => isTemporalReachable(runtime.temporal.connect),
      workerMetricsUrl: runtime.workerMetricsUrl,
    },
    { routes: ROUTES, rateLimitPerMinute: ctx.config.api.rateLimitPerMinute },
  );
  try {
    await app.listen({ host: ctx.config.api.host, port: ctx.config.api.port });
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}
