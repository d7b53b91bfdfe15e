import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logger.ts';
import { freePort } from '../../src/services/free-port.ts';
import { startPostgres } from '../../src/services/postgres.ts';
import { findOrInstallTemporalCli, startLocalTemporal } from '../../src/services/temporal.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin connection string of the test Postgres: each test file makes (and drops) its own database there. */
    adminDatabaseUrl: string;
    /** host:port of this run's Temporal dev server. */
    temporalAddress: string;
    /** Directory holding the `temporal` CLI, for tests that run docroute in local mode. */
    temporalCliDir: string | null;
  }
}


/**
 * Real services for the whole test run: a Temporal dev server (in memory, on a
 * free port) and a Postgres server: the one from DATABASE_URL, or an embedded
 * PostgreSQL when there is none. Test files make their own databases on it and
 * drop them; nothing else on the server is touched.
 */
export default async function setup(project: TestProject) {
  const projectRoot = path.resolve(import.meta.dirname, '..', '..');
  const log = createLogger('warn');
  // The app's data dir holds the Temporal CLI (installed once, reused by every run).
  const config = loadConfig(process.env, { cwd: projectRoot });
  // An embedded cluster of this run's own (fresh data dir, free port), so that runs never share one.
  const pgDir = await mkdtemp(path.join(tmpdir(), 'docroute-test-pg-'));
  const pgConfig = loadConfig(
    { ...process.env, DOCROUTE_DATA_DIR: pgDir, DOCROUTE_EMBEDDED_PG_PORT: String(await freePort()) },
    { cwd: projectRoot },
  );
  const postgres = await startPostgres(pgConfig, log);
  const adminUrl = withDatabase(postgres.url, 'postgres');

  const cli = await findOrInstallTemporalCli(config.dataDir, createLogger('info'));
  const temporal = await startLocalTemporal(config.dataDir, 'default', log, { port: await freePort(), dbFilename: undefined });

  project.provide('adminDatabaseUrl', adminUrl);
  project.provide('temporalAddress', temporal.address);
  project.provide('temporalCliDir', cli && existsSync(cli) ? path.dirname(cli) : null);

  return async () => {
    await temporal.stop().catch(() => undefined);
    await postgres.stop();
    await rm(pgDir, { recursive: true, force: true });
  };
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
