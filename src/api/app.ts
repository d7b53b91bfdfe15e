import { createHash, randomUUID } from 'node:crypto';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { pinoOf } from '../logger.ts';
import { openApiTransform, openApiTransformObject } from './openapi.ts';
import { problemHandler, sendProblem } from './problem.ts';
import type { ApiApp, ApiDeps, RouteModule } from './types.ts';

export interface ApiOptions {
  /** Requests per minute per API key (per client address without one). */
  rateLimitPerMinute?: number;
  /** The route modules to mount. */
  routes: readonly RouteModule[];
}

/**
 * Builds the HTTP API: zod schemas validate requests and responses and generate
 * the OpenAPI document (/openapi.json, browsable at /docs); errors are problem
 * details; /v1 routes need an API key (see auth.ts) and are rate-limited per key.
 */
/** A caller's X-Request-Id kept as the request id: short, and nothing a log line could be forged with. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildApi(deps: ApiDeps, options: ApiOptions): Promise<ApiApp> {
  // Request logging through the app's pino logger: one line when a request comes in and one
  // when it is answered (status, time), each with the request id. The id is the caller's
  // X-Request-Id when it sends a sane one (a proxy's), a new UUID otherwise, and is returned
  // in X-Request-Id, so a client's report can be found in the log.
  const pino = pinoOf(deps.log);
  const app = Fastify({
    ...(pino ? { loggerInstance: pino as FastifyBaseLogger } : { logger: false }),
    // The id is chosen before Fastify makes the request's logger (which carries it), so the
    // log and the X-Request-Id answered always agree.
    requestIdHeader: false,
    genReqId: (request) => {
      const sent = request.headers['x-request-id'];
      // Only ids that cannot carry log injection or unbounded text are kept.
      return typeof sent === 'string' && SAFE_REQUEST_ID.test(sent) ? sent : randomUUID();
    },
    // Uploads are limited by multipart's own limits; JSON bodies stay small.
    bodyLimit: 1024 * 1024,
    trustProxy: false,
    // A request (headers and body) must arrive within this time (408 otherwise); slow uploads
    // are cut off sooner by the upload route's minimum rate.
    requestTimeout: deps.config.api.requestTimeoutMs,
  }).withTypeProvider<ZodTypeProvider>();
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(problemHandler(deps.log));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, {
      type: 'https://docroute.dev/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: `No route ${request.method} ${request.url.split('?')[0]}.`,
    }),
  );

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'docroute API',
        version: '1.0.0',
        description:
          'Upload invoices and contracts (PDF), follow their processing, query the extracted records with their evidence, and resolve the review queue.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key from `docroute keys create`.' } },
      },
    },
    transform: openApiTransform,
    transformObject: openApiTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(fastifyMultipart, {
    limits: { fileSize: deps.config.limits.maxFileBytes, files: 20, fields: 10, parts: 30 },
  });
  await app.register(fastifyRateLimit, {
    global: true,
    // Only the versioned API is limited; health checks, metrics and docs are not.
    // Decided on the matched route's pattern, not the raw URL: the router decodes
    // percent-escapes, so `/%761/…` reaches a /v1 route but does not start with "/v1/".
    allowList: (request) => !(request.routeOptions.url ?? request.url).startsWith('/v1/'),
    max: options.rateLimitPerMinute ?? 600,
    timeWindow: '1 minute',
    // Per key: the presented credential, hashed (never kept as is); per address without one.
    // The token, not the whole header: auth accepts "Bearer" in any case and spacing,
    // and each spelling must not get a budget of its own.
    keyGenerator: (request) => {
      const auth = request.headers.authorization?.trim();
      if (!auth) return `ip:${request.ip}`;
      const credential = /^Bearer\s+(\S+)$/i.exec(auth)?.[1] ?? auth;
      return `key:${createHash('sha256').update(credential).digest('hex').slice(0, 32)}`;
    },
    errorResponseBuilder: (_request, context) => {
      const error = new Error(`Rate limit of ${context.max} requests per ${context.after} exceeded; retry later.`) as Error & {
        statusCode: number;
      };
      error.statusCode = 429;
      return error;
    },
  });

  for (const routes of options.routes) await routes(app, deps);
  return app;
}
