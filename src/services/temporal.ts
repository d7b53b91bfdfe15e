import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Connection as ClientConnection } from '@temporalio/client';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../workflows/search-attributes.ts';
import { connectOptionsOf, type TemporalConnectOptions } from './temporal-connection.ts';
import { dataDirOwnerId, describeOwner, ForeignServiceError, readServiceState, recordService } from './ownership.ts';
import { freePort } from './free-port.ts';

/**
 * The Temporal CLI we install with `go install` when it is not on PATH. Later
 * versions cannot be installed that way (their go.mod has a replace directive).
 */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/** How long a dev server that is alive and starting is waited for, at most. */
export const DEV_SERVER_START_LIMIT_MS = 15 * 60_000;
/** How often a wait that takes long says that it is still waiting. */
const STILL_WAITING_EVERY_MS = 15_000;

export interface TemporalService {
  address: string;
  namespace: string;
  /** How to connect (address, TLS, API key): what the client and the worker pass to `connect`. */
  connect: TemporalConnectOptions;
  /** A cluster from TEMPORAL_ADDRESS, a dev server we started, or one another docroute process of the same data dir runs. */
  origin: 'external' | 'local' | 'shared-local';
  stop(): Promise<void>;
}

export interface LocalTemporalOptions {
  port: number;
  /** SQLite file that keeps histories across restarts; undefined keeps them in memory (tests). */
  dbFilename: string | undefined;
  /** Serve the web UI on port + 1000. */
  ui?: boolean;
  /**
   * A namespace created on the server that marks it as this data dir's own
   * (see ownership.ts); a later command reuses a server only when it has it.
   */
  ownerNamespace?: string;
}

/**
 * Gives a Temporal server: the cluster of TEMPORAL_ADDRESS (or a Temporal
 * environment profile) when set; otherwise a local dev server (`temporal server
 * start-dev`) with its history in a SQLite file under the data dir. A dev server
 * is reused only when it belongs to this data dir (it carries the data dir's
 * owner namespace); a foreign one on the port is refused with a message saying
 * what to do, never used: its workers would take this setup's documents.
 */
export async function startTemporal(config: Config, log: Logger, options: { ui?: boolean } = {}): Promise<TemporalService> {
  const namespace = config.temporal.namespace;
  if (config.temporal.address) {
    return {
      address: config.temporal.address,
      namespace,
      connect: connectOptionsOf(config),
      origin: 'external',
      stop: async () => undefined,
    };
  }
  const port = config.temporal.localPort;
  const address = `127.0.0.1:${port}`;
  const owner = await dataDirOwnerId(config.dataDir);
  const found = await probeLocalTemporal(address, owner);
  if (found === 'ours') {
    return { address, namespace, connect: { address }, origin: 'shared-local', stop: async () => undefined };
  }
  if (found === 'foreign') throw await foreignTemporalError(config, port);
  if (await isPortTaken(port)) {
    throw new ForeignServiceError(
      `port ${port} (DOCROUTE_TEMPORAL_PORT) is taken by something that is not a Temporal server of data dir ${config.dataDir}. ` +
        `Stop it, or set DOCROUTE_TEMPORAL_PORT to a free port (e.g. ${await freePort()}).`,
    );
  }
  await fs.mkdir(config.dataDir, { recursive: true });
  const server = await startLocalTemporal(config.dataDir, namespace, log, {
    port,
    dbFilename: path.join(config.dataDir, 'temporal.sqlite'),
    ui: options.ui ?? false,
    ownerNamespace: owner,
  });
  await recordService(config.dataDir, 'temporal', { port, pid: server.pid });
  return { address, namespace, connect: { address }, origin: 'local', stop: server.stop };
}

async function foreignTemporalError(config: Config, port: number): Promise<ForeignServiceError> {
  const state = await readServiceState(config.dataDir);
  return new ForeignServiceError(
    `a Temporal server already runs on 127.0.0.1:${port} (DOCROUTE_TEMPORAL_PORT), but it does not belong to data dir ${config.dataDir}` +
      ` (it is another docroute setup's or someone's own dev server). docroute never uses it: its workers would take this setup's documents. ` +
      `Stop that server, or give this setup its own port: DOCROUTE_TEMPORAL_PORT=${await freePort()}` +
      (state.temporal ? ` (this data dir last ran its server on port ${state.temporal.port}, ${describeOwner(state.temporal)})` : '') +
      '.',
  );
}

/**
 * What answers on a local address: nothing, a Temporal server of this data dir
 * (it has the owner namespace), or a foreign one.
 */
export async function probeLocalTemporal(address: string, ownerNamespace: string): Promise<'none' | 'ours' | 'foreign'> {
  const { Connection } = await import('@temporalio/client');
  let connection: ClientConnection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1500 });
    await connection.workflowService.getSystemInfo({});
  } catch {
    await connection?.close().catch(() => undefined);
    return 'none';
  }
  try {
    await connection.workflowService.describeNamespace({ namespace: ownerNamespace });
    return 'ours';
  } catch {
    return 'foreign';
  } finally {
    await connection.close().catch(() => undefined);
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

/**
 * Starts a dev server on the given port and waits until it serves. The wait is
 * bounded by the server's own state: while the process lives it is starting
 * (the first start creates its SQLite schema, slow on a busy machine), and we
 * say so every 15 s; when it exits, the error says why (its last output). A
 * generous upper bound (DEV_SERVER_START_LIMIT_MS) catches a server that hangs.
 */
export async function startLocalTemporal(
  dataDir: string,
  namespace: string,
  log: Logger,
  options: LocalTemporalOptions,
): Promise<{ address: string; namespace: string; pid: number | null; stop(): Promise<void> }> {
  const address = `127.0.0.1:${options.port}`;
  const cli = await findOrInstallTemporalCli(dataDir, log);
  log.info('starting Temporal dev server', {
    port: options.port,
    persistence: options.dbFilename ?? 'memory',
    executable: cli ?? 'SDK download',
  });
  if (!cli) {
    // Last resort on machines without the CLI and without Go: the SDK downloads a dev server and runs it.
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download', downloadDir: path.join(dataDir, 'bin') },
        ip: '127.0.0.1',
        port: options.port,
        namespace,
        ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
        ui: options.ui ?? false,
        log: { format: 'pretty', level: 'error' },
        extraArgs: options.ownerNamespace ? ['--namespace', options.ownerNamespace] : [],
      },
    });
    return { address, namespace, pid: null, stop: () => env.teardown() };
  }
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--namespace', namespace];
  if (options.ownerNamespace) args.push('--namespace', options.ownerNamespace);
  args.push('--log-level', 'error', ...SEARCH_ATTRIBUTE_FLAGS);
  if (options.dbFilename) args.push('--db-filename', options.dbFilename);
  if (options.ui) args.push('--ui-port', String(options.port + 1000));
  else args.push('--headless');
  // Our own child, with its output captured: the CLI's banner must not mix with our stdout (--json).
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    }),
  );
  child.once('error', (error) => {
    output += `\n${error.message}`;
  });
  const stop = async () => {
    if (exit) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  // Never leave a dev server behind when this process exits (see shutdown.ts for signals).
  const onExit = () => {
    if (!exit) child.kill('SIGTERM');
  };
  process.once('exit', onExit);
  const tail = () => output.trim().slice(-800) || '(no output)';
  try {
    await waitUntil(() => isTemporalReachable(address), {
      what: `the Temporal dev server on ${address}`,
      log,
      limitMs: DEV_SERVER_START_LIMIT_MS,
      gone: () =>
        exit &&
        `the Temporal dev server exited during start-up (${exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`}; ` +
          `port ${options.port} in use, or a damaged ${options.dbFilename ?? 'state'}?): ${tail()}`,
      timedOut: (seconds) => `the Temporal dev server was still not answering on ${address} after ${seconds} s (its process is alive): ${tail()}`,
    });
  } catch (error) {
    await stop();
    process.removeListener('exit', onExit);
    throw error;
  }
  return {
    address,
    namespace,
    pid: child.pid ?? null,
    stop: async () => {
      await stop();
      process.removeListener('exit', onExit);
    },
  };
}

/**
 * Polls `ready` until it is true. Fails at once when `gone` says the service's
 * process has gone (with its message), and after `limitMs` otherwise; logs
 * every 15 s that it is still waiting, with the time elapsed.
 */
export async function waitUntil(
  ready: () => Promise<boolean>,
  options: {
    what: string;
    log: Logger;
    limitMs: number;
    gone: () => string | null | false;
    timedOut: (seconds: number) => string;
    pollMs?: number;
  },
): Promise<void> {
  const started = Date.now();
  let nextNote = started + STILL_WAITING_EVERY_MS;
  for (;;) {
    if (await ready()) return;
    const gone = options.gone();
    if (gone) throw new Error(gone);
    const now = Date.now();
    if (now - started > options.limitMs) throw new Error(options.timedOut(Math.round((now - started) / 1000)));
    if (now >= nextNote) {
      options.log.info(`still waiting for ${options.what}: it is starting`, { elapsedSeconds: Math.round((now - started) / 1000) });
      nextNote = now + STILL_WAITING_EVERY_MS;
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 250));
  }
}

/**
 * The Temporal CLI: on PATH, else in the data dir, else installed there with
 * `go install`. Returns null when neither the CLI nor Go is available (then the
 * SDK downloads its own dev server).
 */
export async function findOrInstallTemporalCli(dataDir: string, log: Logger): Promise<string | null> {
  const onPath = await which('temporal');
  if (onPath) return onPath;
  const binDir = path.join(dataDir, 'bin');
  const local = path.join(binDir, 'temporal');
  if (existsSync(local)) return local;
  const go = await which('go');
  if (!go) return null;
  await fs.mkdir(binDir, { recursive: true });
  const ok = await goInstall(go, binDir, log);
  return ok && existsSync(local) ? local : null;
}

/**
 * `go install` of the Temporal CLI, with signs of life: it says once that this
 * happens on the first run only, then every 15 s the time elapsed and what Go is
 * doing (downloading modules, compiling packages: `go install -v` names each).
 */
async function goInstall(go: string, binDir: string, log: Logger): Promise<boolean> {
  log.info(
    'the Temporal CLI is not installed: installing it with `go install` into the data dir. This happens on the first run only ' +
      '(later runs start in seconds); on a cold Go cache it takes several minutes. Put a `temporal` on PATH to skip it.',
    { module: TEMPORAL_CLI_MODULE, into: binDir },
  );
  const started = Date.now();
  const child = spawn(go, ['install', '-v', TEMPORAL_CLI_MODULE], {
    env: { ...process.env, GOBIN: binDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let last = '';
  let lines = 0;
  let downloads = 0;
  let tail: string[] = [];
  let pending = '';
  child.stderr.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.trim()) continue;
      lines += 1;
      if (line.startsWith('go: downloading')) downloads += 1;
      last = line.trim();
      tail = [...tail.slice(-9), line];
    }
  });
  const timer = setInterval(() => {
    const doing = last.startsWith('go: downloading')
      ? `downloading modules (${downloads} so far): ${last.slice('go: downloading '.length)}`
      : last
        ? `compiling (${lines - downloads} packages so far): ${last}`
        : 'resolving modules';
    log.info('installing the Temporal CLI (first run only)', {
      elapsed: `${Math.round((Date.now() - started) / 1000)} s`,
      doing,
    });
  }, STILL_WAITING_EVERY_MS);
  timer.unref();
  // Ctrl-C during the install: the child is ours, it goes too.
  const onExit = () => child.kill('SIGTERM');
  process.once('exit', onExit);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (c) => resolve(c));
    child.once('error', () => resolve(-1));
  });
  clearInterval(timer);
  process.removeListener('exit', onExit);
  const seconds = Math.round((Date.now() - started) / 1000);
  if (code !== 0) {
    log.warn('go install of the Temporal CLI failed; falling back to the SDK download', {
      seconds,
      error: tail.slice(-5).join(' ').trim(),
    });
    return false;
  }
  log.info('Temporal CLI installed', { seconds, into: binDir });
  return true;
}

async function which(command: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      await fs.access(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** True when a Temporal frontend answers at the address (with the connection options of a cluster, when given). */
export async function isTemporalReachable(address: string | TemporalConnectOptions): Promise<boolean> {
  const { Connection } = await import('@temporalio/client');
  const options = typeof address === 'string' ? { address } : address;
  let connection: ClientConnection | undefined;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: 1500 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
