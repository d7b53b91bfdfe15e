import { execFile, spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../workflows/search-attributes.ts';

const execFileAsync = promisify(execFile);

/**
 * The Temporal CLI we install with `go install` when it is not on PATH. Later
 * versions cannot be installed that way (their go.mod has a replace directive).
 */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export interface TemporalService {
  address: string;
  namespace: string;
  /** A cluster from TEMPORAL_ADDRESS, a dev server we started, or one another docroute process runs. */
  origin: 'external' | 'local' | 'shared-local';
  stop(): Promise<void>;
}

export interface LocalTemporalOptions {
  port: number;
  /** SQLite file that keeps histories across restarts; undefined keeps them in memory (tests). */
  dbFilename: string | undefined;
  /** Serve the web UI on port + 1000. */
  ui?: boolean;
}

/**
 * Gives a Temporal server: TEMPORAL_ADDRESS when set; otherwise a local dev server
 * (`temporal server start-dev`) with its history in a SQLite file under the data
 * dir, reused when another docroute process already runs it.
 */
export async function startTemporal(config: Config, log: Logger, options: { ui?: boolean } = {}): Promise<TemporalService> {
  const namespace = config.temporal.namespace;
  if (config.temporal.address) {
    return { address: config.temporal.address, namespace, origin: 'external', stop: async () => undefined };
  }
  const address = `127.0.0.1:${config.temporal.localPort}`;
  if (await isTemporalReachable(address)) {
    return { address, namespace, origin: 'shared-local', stop: async () => undefined };
  }
  await fs.mkdir(config.dataDir, { recursive: true });
  const server = await startLocalTemporal(config.dataDir, namespace, log, {
    port: config.temporal.localPort,
    dbFilename: path.join(config.dataDir, 'temporal.sqlite'),
    ui: options.ui ?? false,
  });
  return { ...server, origin: 'local' };
}

/** Starts a dev server on the given port and waits until it serves. */
export async function startLocalTemporal(
  dataDir: string,
  namespace: string,
  log: Logger,
  options: LocalTemporalOptions,
): Promise<{ address: string; namespace: string; stop(): Promise<void> }> {
  const address = `127.0.0.1:${options.port}`;
  const cli = await findOrInstallTemporalCli(dataDir, log);
  log.info('starting Temporal dev server', {
    port: options.port,
    persistence: options.dbFilename ?? 'memory',
    executable: cli ?? 'SDK download',
  });
  if (!cli) {
    // Last resort on machines without the CLI and without Go: the SDK downloads a dev server and runs it.
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download', downloadDir: path.join(dataDir, 'bin') },
        ip: '127.0.0.1',
        port: options.port,
        namespace,
        ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
        ui: options.ui ?? false,
        log: { format: 'pretty', level: 'error' },
      },
    });
    return { address, namespace, stop: () => env.teardown() };
  }
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--namespace', namespace];
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
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => {
    running = false;
  });
  const stop = async () => {
    if (!running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  while (!(await isTemporalReachable(address))) {
    if (!running) {
      throw new Error(`the Temporal dev server exited during start-up (port ${options.port} in use?): ${output.trim().slice(-800)}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the Temporal dev server did not answer on ${address} within 60 s: ${output.trim().slice(-800)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  // Never leave a dev server behind when this process exits.
  const onExit = () => child.kill('SIGTERM');
  process.once('exit', onExit);
  return {
    address,
    namespace,
    stop: async () => {
      process.removeListener('exit', onExit);
      await stop();
    },
  };
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
  log.info('installing the Temporal CLI with go install (first run only; takes a few minutes)', {
    module: TEMPORAL_CLI_MODULE,
    into: binDir,
  });
  await fs.mkdir(binDir, { recursive: true });
  try {
    await execFileAsync(go, ['install', TEMPORAL_CLI_MODULE], {
      env: { ...process.env, GOBIN: binDir },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    log.warn('go install of the Temporal CLI failed; falling back to the SDK download', {
      error: stderr.split('\n').slice(-5).join(' ').trim(),
    });
    return null;
  }
  return existsSync(local) ? local : null;
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

/** True when a Temporal frontend answers at the address. */
export async function isTemporalReachable(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1500 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
