import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { Config } from '../config/config.ts';
import { createDb, type Db } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { createTiers } from '../extraction/tiers.ts';
import type { Logger } from '../logger.ts';
import { startPostgres, type PostgresService } from '../services/postgres.ts';
import { startTemporal, type TemporalService } from '../services/temporal.ts';
import { createDocrouteWorker, installTemporalRuntime } from '../worker/worker.ts';

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
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Run a worker in this process. In local mode commands that process documents do. */
  worker: boolean;
  /** Serve the Temporal web UI when we start the dev server. */
  ui?: boolean;
}

/**
 * Opens Postgres (external or embedded), migrates it, opens Temporal (cluster or
 * local dev server), a client, and optionally an in-process worker.
 */
export async function openRuntime(config: Config, log: Logger, options: OpenOptions): Promise<AppRuntime> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) {
      await fn().catch((error: unknown) => log.warn('error while closing', { error: String(error) }));
    }
    closers.length = 0;
  };
  try {
    installTemporalRuntime(log);
    const postgres = await startPostgres(config, log);
    closers.push(() => postgres.stop());
    const db = createDb(postgres.url);
    closers.push(() => db.destroy());
    await migrateToLatest(db);

    const temporal = await startTemporal(config, log, { ui: options.ui ?? false });
    closers.push(() => temporal.stop());
    const connection = await Connection.connect({ address: temporal.address });
    closers.push(() => connection.close());
    const client = new Client({ connection, namespace: temporal.namespace });

    let worker: Worker | null = null;
    if (options.worker) {
      const tiers = createTiers(config, log, { httpAttempts: 1 });
      const created = await createDocrouteWorker({
        address: temporal.address,
        namespace: temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        deps: { db, tiers, config, secrets: [config.gemini.apiKey] },
      });
      worker = created.worker;
      const running = created.worker.run();
      closers.push(async () => {
        if (created.worker.getState() === 'RUNNING') created.worker.shutdown();
        await running.catch((error: unknown) => log.error('worker stopped with an error', { error: String(error) }));
        await created.connection.close();
      });
    }
    return { config, log, db, client, postgres, temporal, worker, close };
  } catch (error) {
    await close();
    throw error;
  }
}
