import type { Client } from '@temporalio/client';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import type { Logger } from '../logger.ts';

/** What the API's routes need: the database, a Temporal client, the configuration. */
export interface ApiDeps {
  db: Db;
  client: Client;
  config: Config;
  log: Logger;
  /** Checks that Temporal answers (for /readyz). */
  temporalReady: () => Promise<boolean>;
  /** The in-process worker's SDK metrics endpoint (local-mode serve), appended to /metrics. */
  workerMetricsUrl?: string | null;
}

/** The Fastify instance with zod schemas for validation, serialisation and OpenAPI. */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** A route module: registers its routes on the app. */
export type RouteModule = (app: ApiApp, deps: ApiDeps) => Promise<void> | void;
