import { z } from 'zod';
import { createApiMetrics } from '../metrics.ts';
import type { RouteModule } from '../types.ts';

/**
 * Prometheus metrics (see ../metrics.ts for what they are).
 *
 * Not behind an API key, like /healthz and /readyz: the exposition carries only
 * counts, sums and latencies (documents by status and kind, attempts, costs and
 * latencies by tier, routing decisions by stage and action, the review queue's
 * depth) and process metrics; never a document's id, name, content or a record.
 * Prometheus scrapers rarely carry bearer tokens well, and keys are for clients
 * of the document API. Deployments keep /metrics (with /healthz and /readyz) on
 * the internal network: block it at the ingress or load balancer. It is outside
 * /v1, so not rate-limited; each scrape costs a handful of grouped queries.
 */
export const metricsRoutes: RouteModule = (app, deps) => {
  const metrics = createApiMetrics(deps.db, deps.log, {
    cacheSeconds: deps.config.metrics.databaseCacheSeconds,
    workerMetricsUrl: deps.workerMetricsUrl ?? null,
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest({
      method: request.method,
      // The pattern (/v1/documents/:id), so that ids and probes of unknown paths never become label values.
      route: request.routeOptions.url ?? 'unmatched',
      statusCode: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
    });
  });
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getMetrics',
        summary: 'Prometheus metrics',
        description:
          'Prometheus text exposition format (version 0.0.4). Node process metrics (stock names), HTTP requests by route and ' +
          'status, the in-process Temporal worker\'s metrics (`temporal_*`, when this process runs a worker), and global ' +
          '`docroute_*` document, attempt, token, cost, latency, routing and review-queue figures read from Postgres (cached ' +
          'for DOCROUTE_METRICS_CACHE_SECONDS; the same in every replica: aggregate with max()); `docroute_metrics_database_up` is 0 when it could not be read. ' +
          'No key needed: it carries no document data; restrict it at the network level.',
        produces: ['text/plain'],
        response: { 200: z.string().describe('Prometheus text exposition format') },
      },
    },
    async (_request, reply) => {
      const body = await metrics.scrape();
      return reply.type(metrics.contentType).send(body);
    },
  );
};
