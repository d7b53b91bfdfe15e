import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { loadConfig, workerPoolSize, type Config } from '../../src/config/config.ts';
import pg from 'pg';
import { promisify } from 'node:util';
import { createDb, type Db } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { ensureDatabase } from '../../src/services/postgres.ts';
import { createTiers, type Tiers } from '../../src/extraction/tiers.ts';
import { createLogger } from '../../src/logger.ts';
import { createDocrouteWorker, installTemporalRuntime } from '../../src/worker/worker.ts';

export const DATASETS_DIR = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'datasets');
export const HAVE_DATASETS = existsSync(DATASETS_DIR);
export const DATASETS_SKIP_MESSAGE = `../shared/datasets not found at ${DATASETS_DIR}: tests on real documents are skipped`;

/** A database of the test's own, migrated; `drop()` removes it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = inject('adminDatabaseUrl');
  const name = `docroute_t_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await ensureDatabase(adminUrl, name);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = createDb(url, { max: 1 });
  await migrateToLatest(db);
  await db.destroy();
  return {
    url,
    async drop() {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
      } finally {
        await admin.end();
      }
    },
  };
}

export interface Harness {
  config: Config;
  db: Db;
  client: Client;
  /** The worker started with the harness (unless `startWorker: false`). */
  worker: Worker;
  taskQueue: string;
  /** Starts another worker on the harness's task queue; closed with the harness. */
  startWorker(tiers?: Tiers): Promise<Worker>;
  close(): Promise<void>;
}

/**
 * A worker on its own task queue, against this run's Temporal server and
 * database (see global-setup.ts), with the given tiers (default: what the
 * configuration provides, i.e. the offline tier). The worker runs until close().
 */
export async function startHarness(
  options: { tiers?: Tiers; env?: Record<string, string>; startWorker?: boolean } = {},
): Promise<Harness> {
  const id = randomUUID().slice(0, 8);
  const taskQueue = `test-${id}`;
  const database = await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DOCROUTE_TASK_QUEUE: taskQueue,
    DOCROUTE_WORKFLOW_PREFIX: `test-${id}`,
    DOCROUTE_LOG_LEVEL: 'warn',
    // The second reading (a Flash-Lite call per fast-tier document) only where a test asks for it:
    // the other tests' call counts, costs and confidences stay those of the first reading.
    DOCROUTE_CHECK_MODEL: 'none',
    // The value floor sends every offline sample to review (their optional values sit below it): the
    // tests that need an accepted record test the machinery, not the acceptance policy, which
    // routing-policy.test.ts and eval-runner.test.ts test with the floor on.
    DOCROUTE_VALUE_FLOOR: 'off',
    ...options.env,
  });
  const log = createLogger('warn');
  installTemporalRuntime(log);
  const db = createDb(database.url, { max: workerPoolSize(config.worker) });
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection, namespace: 'default' });
  const workers: { worker: Worker; running: Promise<void>; close(): Promise<void> }[] = [];
  const startWorker = async (tiers?: Tiers): Promise<Worker> => {
    const created = await createDocrouteWorker({
      address: inject('temporalAddress'),
      namespace: 'default',
      taskQueue,
      deps: { db, tiers: tiers ?? options.tiers ?? createTiers(config, undefined, { httpAttempts: 1 }), config },
      tuning: config.worker,
    });
    workers.push({ worker: created.worker, running: created.worker.run(), close: () => created.connection.close() });
    return created.worker;
  };
  const worker = options.startWorker === false ? null : await startWorker();
  return {
    config,
    db,
    client,
    get worker() {
      if (!worker) throw new Error('this harness was started without a worker');
      return worker;
    },
    taskQueue,
    startWorker,
    async close() {
      for (const w of workers) {
        if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
        await w.running;
        await w.close();
      }
      await connection.close();
      await db.destroy();
      await database.drop();
    },
  };
}

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const execFileAsync = promisify(execFile);

/**
 * The environment `docroute` runs with against a harness, as a user's shell would give
 * it: PATH with the project's binaries (and the Temporal CLI of this run), HOME, and the
 * harness's database, Temporal server, task queue and workflow id prefix; nothing else
 * inherited.
 */
export function harnessCliEnv(h: Harness): Record<string, string> {
  const cliDir = inject('temporalCliDir');
  return {
    PATH: [path.join(ROOT, 'node_modules', '.bin'), ...(cliDir ? [cliDir] : []), process.env.PATH ?? ''].join(path.delimiter),
    HOME: process.env.HOME ?? '/tmp',
    DATABASE_URL: h.config.database.url as string,
    TEMPORAL_ADDRESS: h.config.temporal.address as string,
    DOCROUTE_TASK_QUEUE: h.taskQueue,
    DOCROUTE_WORKFLOW_PREFIX: h.config.temporal.workflowIdPrefix,
    DOCROUTE_LOG_LEVEL: 'warn',
  };
}

/**
 * `docroute <args>` as a user runs it (a child process of bin/docroute.js), with
 * `harnessCliEnv`. Rejects on a non-zero exit (the error carries `code`, `stdout` and `stderr`).
 */
export function docrouteCli(
  h: Harness,
  args: readonly string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(process.execPath, [path.join(ROOT, 'bin', 'docroute.js'), ...args], {
    cwd: ROOT,
    env: { ...harnessCliEnv(h), ...options.env },
    timeout: options.timeoutMs ?? 150_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}
