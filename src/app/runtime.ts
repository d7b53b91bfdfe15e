import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { workerPoolSize, type Config } from '../config/config.ts';
import { createDb, type Db } from '../db/database.ts';
import { migrateToLatest, schemaIsCurrent } from '../db/migrate.ts';
import type { Logger } from '../logger.ts';
import { startPostgres, type PostgresService } from '../services/postgres.ts';
import type { TemporalService } from '../services/temporal.ts';
import { retryThroughOutages } from '../ingest/transient.ts';
import { onShutdown } from './shutdown.ts';

/** Everything a command needs, opened in order and closed in reverse. */
export interface AppRuntime {
  config: Config;
  log: Logger;
  db: Db;
  client: Client;
  postgres: PostgresService;
  temporal: TemporalService;
  /** The in-process worker, when this process runs one. */
  worker: Worker | null;
  /** Where the SDK serves this process's worker metrics (Prometheus text), when it does. */
  workerMetricsUrl: string | null;
  close(): Promise<void>;
}

/** A runtime without Temporal: for the commands that only read Postgres. */
export type DbRuntime = Pick<AppRuntime, 'config' | 'log' | 'db' | 'postgres' | 'close'>;

export interface OpenOptions {
  /** Run a worker in this process. In local mode commands that process documents do. */
  worker: boolean;
  /** Serve the Temporal web UI when we start the dev server. */
  ui?: boolean;
  /**
   * Have the SDK serve worker metrics (on DOCROUTE_WORKER_METRICS_ADDRESS, or a
   * free loopback port for the API's /metrics to merge).
   */
  workerMetrics?: boolean;
}

/**
 * Opens Postgres (external, this data dir's running embedded server, or one it
 * starts), migrates it, opens Temporal (cluster or this data dir's local dev
 * server), a client, and optionally an in-process worker. Everything opened is
 * registered with the shutdown handler, so a signal in the middle of a command
 * still closes it.
 */
export async function openRuntime(config: Config, log: Logger, options: OpenOptions): Promise<AppRuntime> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) {
      await fn().catch((error: unknown) => log.warn('error while closing', { error: String(error) }));
    }
    closers.length = 0;
    unregister();
  };
  const unregister = onShutdown(close);
  try {
    const [{ installTemporalRuntime }, { startTemporal }, { Client }, { connectTemporalClient }] = await Promise.all([
      import('../worker/worker.ts'),
      import('../services/temporal.ts'),
      import('@temporalio/client'),
      import('../services/temporal-client.ts'),
    ]);
    let metricsAddress = config.metrics.workerAddress;
    if (options.worker && options.workerMetrics && !metricsAddress) {
      const { freePort } = await import('../services/free-port.ts');
      metricsAddress = `127.0.0.1:${await freePort()}`;
    }
    // The worker's native runtime (log forwarding, metrics) only when this process runs a worker:
    // installed without one, its log forwarding would keep the process alive after the command.
    const installed = options.worker
      ? installTemporalRuntime(log, { ...(metricsAddress ? { metricsAddress } : {}), debug: config.logLevel === 'debug' })
      : { metricsAddress: null };

    // A worker or API started while Postgres or Temporal is restarting (a deploy, an outage)
    // waits for them, saying so, instead of exiting: nothing else would start it again.
    const patiently = <T>(what: string, work: () => Promise<T>) =>
      retryThroughOutages(work, {
        onRetry: (error, attempt) => log.warn(`${what} is not reachable yet; waiting`, { attempt, error: String(error) }),
      });
    // A worker's pool has a connection for each activity and local activity it may run at once.
    const { postgres, db } = await patiently('PostgreSQL', () =>
      openDatabase(config, log, closers, options.worker ? { max: workerPoolSize(config.worker) } : {}),
    );

    const temporal = await startTemporal(config, log, { ui: options.ui ?? false });
    closers.push(() => temporal.stop());
    const connection = await patiently('Temporal', () => connectTemporalClient(temporal.connect));
    closers.push(() => connection.close());
    const client = new Client({ connection, namespace: temporal.namespace });

    let worker: Worker | null = null;
    if (options.worker) {
      const [{ createDocrouteWorker }, { createTiers }, { verifyModelsAtStart }] = await Promise.all([
        import('../worker/worker.ts'),
        import('../extraction/tiers.ts'),
        import('../extraction/gemini/check-models.ts'),
      ]);
      // With a key: every configured model is served and priced before the worker polls (a ConfigError names the fix).
      const verified = await verifyModelsAtStart(config);
      for (const warning of verified.warnings) log.warn('gemini model not checked at start', { problem: warning });
      const tiers = createTiers(config, log, { httpAttempts: 1, db });
      const created = await patiently('Temporal', () => createDocrouteWorker({
        address: temporal.address,
        connect: temporal.connect,
        namespace: temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        deps: { db, tiers, config, secrets: [config.gemini.apiKey, config.temporal.apiKey] },
        tuning: config.worker,
      }));
      worker = created.worker;
      const running = created.worker.run();
      closers.push(async () => {
        if (created.worker.getState() === 'RUNNING') created.worker.shutdown();
        await running.catch((error: unknown) => log.error('worker stopped with an error', { error: String(error) }));
        await created.connection.close();
      });
      // Documents whose runs were terminated or timed out (no workflow code ran to record it): at start, then every few minutes.
      const { startRunReconciler } = await import('../ingest/reconcile.ts');
      const reconciler = startRunReconciler({ db, client, taskQueue: config.temporal.taskQueue, log });
      closers.push(() => reconciler.stop());
    }
    const workerMetricsUrl = worker && installed.metricsAddress ? `http://${installed.metricsAddress}/metrics` : null;
    return { config, log, db, client, postgres, temporal, worker, workerMetricsUrl, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Only Postgres: the external one, this data dir's embedded server when it runs
 * (no start-up cost), or one started for the command. No Temporal, no worker:
 * what `show`, `list`, `costs`, `export` and `keys` need.
 */
export async function openDbRuntime(config: Config, log: Logger): Promise<DbRuntime> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) await fn().catch(() => undefined);
    closers.length = 0;
    unregister();
  };
  const unregister = onShutdown(close);
  try {
    const { postgres, db } = await openDatabase(config, log, closers, { max: 2 });
    return { config, log, db, postgres, close };
  } catch (error) {
    await close();
    throw error;
  }
}

async function openDatabase(
  config: Config,
  log: Logger,
  closers: (() => Promise<unknown>)[],
  pool: { max?: number } = {},
): Promise<{ postgres: PostgresService; db: Db }> {
  // What this attempt opened is closed when it fails, so that a retry does not pile up pools.
  const opened: (() => Promise<unknown>)[] = [];
  try {
    const postgres = await startPostgres(config, log);
    opened.push(() => postgres.stop());
    const db = createDb(postgres.url, pool);
    opened.push(() => db.destroy());
    // Most runs find the schema current: a name comparison, without loading every migration file.
    if (!(await schemaIsCurrent(db))) await migrateToLatest(db);
    closers.push(...opened);
    return { postgres, db };
  } catch (error) {
    for (const fn of opened.reverse()) await fn().catch(() => undefined);
    throw error;
  }
}

/**
 * The Temporal client of this data dir's running dev server, or of the cluster;
 * null in local mode when no dev server of ours runs (nothing is started).
 * For `audit`, whose history part is optional.
 */
export async function connectTemporalIfRunning(config: Config): Promise<{ client: Client; close(): Promise<void> } | null> {
  const [{ Client }, { probeLocalTemporal }, { dataDirOwnerId }, { connectOptionsOf }, { connectTemporalClient }] = await Promise.all([
    import('@temporalio/client'),
    import('../services/temporal.ts'),
    import('../services/ownership.ts'),
    import('../services/temporal-connection.ts'),
    import('../services/temporal-client.ts'),
  ]);
  let connect;
  if (config.temporal.address) {
    connect = connectOptionsOf(config);
  } else {
    const address = `127.0.0.1:${config.temporal.localPort}`;
    if ((await probeLocalTemporal(address, await dataDirOwnerId(config.dataDir))) !== 'ours') return null;
    connect = { address };
  }
  const connection = await connectTemporalClient({ ...connect, connectTimeout: 5000 });
  return { client: new Client({ connection, namespace: config.temporal.namespace }), close: () => connection.close() };
}
