import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { silentLogger } from '../../src/logger.ts';
import { freePort } from '../../src/services/free-port.ts';
import { dataDirOwnerId, ForeignServiceError } from '../../src/services/ownership.ts';
import { probeLocalTemporal, startTemporal } from '../../src/services/temporal.ts';
import { createTestDatabase } from '../support/harness.ts';

/*
 * Local mode's services belong to one data dir: a foreign Temporal server on
 * the port is never used, and nothing docroute started outlives it, even when
 * the signal reaches only the `npx` in front of it. Real processes throughout.
 */
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'docroute.js');
const SAMPLE = path.join(ROOT, 'samples', 'invoice-en-usd.pdf');

function cliPath(): string {
  const cliDir = inject('temporalCliDir');
  return [path.join(ROOT, 'node_modules', '.bin'), ...(cliDir ? [cliDir] : []), process.env.PATH ?? ''].join(path.delimiter);
}

const dirs: string[] = [];
async function tempDir(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `docroute-${label}-`));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('a local Temporal server belongs to its data dir', () => {
  it('the CLI refuses a foreign dev server on DOCROUTE_TEMPORAL_PORT (exit 3, naming the port), and starts nothing on it', async () => {
    // The test run's dev server is not any data dir's: for docroute in local mode it is foreign.
    const foreign = inject('temporalAddress');
    const port = foreign.split(':')[1]!;
    const database = await createTestDatabase();
    const prefix = `foreign-${Date.now()}`;
    try {
      const dataDir = await tempDir('foreign');
      const outcome = await run(process.execPath, [BIN, 'ingest', SAMPLE], {
        cwd: ROOT,
        env: {
          PATH: cliPath(),
          HOME: process.env.HOME ?? '/tmp',
          DOCROUTE_LOG_LEVEL: 'warn',
          DATABASE_URL: database.url,
          DOCROUTE_DATA_DIR: dataDir,
          DOCROUTE_TEMPORAL_PORT: port,
          DOCROUTE_WORKFLOW_PREFIX: prefix,
        },
        timeout: 120_000,
      }).then(
        () => ({ code: 0, stderr: '' }),
        (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
      );
      expect(outcome.code, outcome.stderr).toBe(3);
      expect(outcome.stderr).toContain(`127.0.0.1:${port}`);
      expect(outcome.stderr).toMatch(/does not belong to data dir/);
      expect(outcome.stderr).toMatch(/DOCROUTE_TEMPORAL_PORT=\d+/);

      const connection = await Connection.connect({ address: foreign });
      try {
        const client = new Client({ connection, namespace: 'default' });
        const started = [];
        for await (const w of client.workflow.list({ query: `WorkflowId STARTS_WITH '${prefix}'` })) started.push(w);
        expect(started).toHaveLength(0);
      } finally {
        await connection.close();
      }
    } finally {
      await database.drop();
    }
  });

  it("a data dir reuses its own running server, and another data dir's command is refused by it", async () => {
    const port = await freePort();
    const dirA = await tempDir('owner-a');
    const dirB = await tempDir('owner-b');
    const configOf = (dataDir: string) =>
      loadConfig({ DOCROUTE_DATA_DIR: dataDir, DOCROUTE_TEMPORAL_PORT: String(port), PATH: cliPath() }, { cwd: ROOT });
    const previousPath = process.env.PATH;
    process.env.PATH = cliPath(); // the CLI lookup reads PATH
    const a = await startTemporal(configOf(dirA), silentLogger);
    try {
      expect(a.origin).toBe('local');
      expect(await probeLocalTemporal(a.address, await dataDirOwnerId(dirA))).toBe('ours');
      expect(await probeLocalTemporal(a.address, await dataDirOwnerId(dirB))).toBe('foreign');

      const again = await startTemporal(configOf(dirA), silentLogger);
      expect(again.origin).toBe('shared-local');
      await again.stop(); // stops nothing: not its own

      const refused = await startTemporal(configOf(dirB), silentLogger).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(ForeignServiceError);
      expect(String(refused)).toContain(`127.0.0.1:${port}`);

      const state = JSON.parse(readFileSync(path.join(dirA, 'services.json'), 'utf8'));
      expect(state.temporal).toMatchObject({ port, startedBy: process.pid });
    } finally {
      await a.stop();
      process.env.PATH = previousPath;
    }
  });
});

/** The pids of a process's descendants (children, grandchildren, …), from ps. */
async function descendants(pid: number): Promise<number[]> {
  const { stdout } = await run('ps', ['-e', '-o', 'pid=,ppid=']);
  const children = new Map<number, number[]>();
  for (const line of stdout.trim().split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number) as [number, number];
    children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/**
 * Whether a process still runs. A zombie (exited, not yet reaped: its parent is gone and
 * this sandbox's pid 1 does not reap) runs nothing and holds nothing, so it counts as gone.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface ServeTree {
  /** The `npx` process in front of docroute. */
  npx: ReturnType<typeof spawn>;
  output: () => string;
  exited: Promise<number | null>;
  apiPort: number;
  temporalPort: number;
  pgPort: number;
}

/** `npx docroute serve` on its own data dir and free ports, as a supervisor would start it. */
async function startServe(label: string, apiPort?: number): Promise<ServeTree> {
  const dataDir = await tempDir(label);
  const ports = { apiPort: apiPort ?? (await freePort()), temporalPort: await freePort(), pgPort: await freePort() };
  const npx = spawn('npx', ['--no-install', 'docroute', 'serve'], {
    cwd: ROOT,
    env: {
      PATH: cliPath(),
      HOME: process.env.HOME ?? '/tmp',
      DOCROUTE_LOG_LEVEL: 'warn',
      DOCROUTE_DATA_DIR: dataDir,
      DOCROUTE_TEMPORAL_PORT: String(ports.temporalPort),
      DOCROUTE_EMBEDDED_PG_PORT: String(ports.pgPort),
      PORT: String(ports.apiPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  npx.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  npx.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => npx.once('exit', (code) => resolve(code)));
  return { npx, output: () => output, exited, ...ports };
}

/** The command lines of some pids (empty for those that are gone). */
async function commandsOf(pids: number[]): Promise<string[]> {
  return Promise.all(
    pids.map(async (pid) => (await run('ps', ['-o', 'args=', '-p', String(pid)]).catch(() => ({ stdout: '' }))).stdout.trim()),
  );
}

/** Waits until none of `tree` lives and no port of the run answers; kills what is left at the end either way. */
async function expectAllGone(t: ServeTree, tree: number[]): Promise<void> {
  const left = await until(
    'every process docroute started to exit',
    async () => (tree.filter(alive).length === 0 ? ('none' as const) : null),
    60_000,
  ).catch(async () => (await commandsOf(tree.filter(alive))).join(' | '));
  expect(left).toBe('none');
  for (const port of [t.temporalPort, t.pgPort]) {
    expect(await fetch(`http://127.0.0.1:${port}/`).then(() => 'answered', () => 'closed')).toBe('closed');
  }
}

describe('no orphans', () => {
  it('SIGTERM to the npx of `npx docroute serve` stops its node, the dev server, the embedded PostgreSQL and the worker', async () => {
    const t = await startServe('orphans');
    let tree: number[] = [];
    try {
      await until(
        `the API on ${t.apiPort} (output so far: ${t.output().slice(-500)})`,
        async () => (await fetch(`http://127.0.0.1:${t.apiPort}/healthz`).catch(() => null))?.ok,
        240_000,
      );
      tree = await descendants(t.npx.pid!);
      const commands = await commandsOf(tree);
      // What it started is there: the node running docroute, the dev server, the postmaster.
      expect(commands.some((c) => c.includes('docroute'))).toBe(true);
      expect(commands.some((c) => /temporal.*start-dev/.test(c))).toBe(true);
      expect(commands.some((c) => /postgres/.test(c))).toBe(true);
      const metrics = await (await fetch(`http://127.0.0.1:${t.apiPort}/metrics`)).text();
      expect(metrics).toMatch(/^process_cpu_user_seconds_total /m);
      expect(metrics).toMatch(/^temporal_\w+/m);
      expect(metrics).toMatch(/^http_requests_total\{.*route="\/healthz".*\} 1$/m);

      t.npx.kill('SIGTERM'); // only the npx process
      await t.exited;
      await expectAllGone(t, tree);
      expect(await fetch(`http://127.0.0.1:${t.apiPort}/`).then(() => 'answered', () => 'closed')).toBe('closed');
    } finally {
      for (const pid of [...tree, t.npx.pid!]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 360_000);

  // SIGINT (Ctrl-C in a terminal reaches the whole group, here only docroute's node) and SIGHUP
  // (the terminal closed) go to the node process itself: it stops what it started and exits.
  for (const signal of ['SIGINT', 'SIGHUP'] as const) {
    it(`${signal} to docroute's node process stops the dev server, the embedded PostgreSQL and the worker`, async () => {
      const t = await startServe(`orphans-${signal.toLowerCase()}`);
      let tree: number[] = [];
      try {
        await until(
          `the API on ${t.apiPort} (output so far: ${t.output().slice(-500)})`,
          async () => (await fetch(`http://127.0.0.1:${t.apiPort}/healthz`).catch(() => null))?.ok,
          240_000,
        );
        tree = await descendants(t.npx.pid!);
        const commands = await commandsOf(tree);
        const nodePid = tree[commands.findIndex((c) => c.includes('docroute') && /\bnode\b/.test(c) && c.includes('serve'))];
        expect(nodePid, commands.join('\n')).toBeDefined();
        process.kill(nodePid!, signal);
        await t.exited;
        await expectAllGone(t, tree);
      } finally {
        for (const pid of [...tree, t.npx.pid!]) if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
    }, 360_000);
  }

  it('an error at start (the API port is taken) stops the PostgreSQL and dev server already started, and exits non-zero', async () => {
    const blocker = createServer(() => undefined);
    const busyPort = await freePort();
    await new Promise<void>((resolve) => blocker.listen(busyPort, '127.0.0.1', () => resolve()));
    const t = await startServe('orphans-error', busyPort);
    let tree: number[] = [];
    try {
      // Record the tree while it starts, so that what it started is known even after it exits.
      const seen = new Set<number>();
      const started = new Set<string>();
      const watcher = setInterval(() => {
        void descendants(t.npx.pid!).then(async (pids) => {
          pids.forEach((p) => seen.add(p));
          for (const c of await commandsOf(pids)) if (c) started.add(c);
        }, () => undefined);
      }, 200);
      const code = await Promise.race([t.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 240_000))]);
      clearInterval(watcher);
      tree = [...seen];
      expect(code, t.output().slice(-1000)).not.toBe('hung');
      expect(code).not.toBe(0);
      expect(t.output()).toMatch(new RegExp(`${busyPort}`));
      // It had started both services before it met the taken port.
      expect([...started].some((c) => /temporal.*start-dev/.test(c)), [...started].join('\n')).toBe(true);
      expect([...started].some((c) => /postgres/.test(c))).toBe(true);
      expect((await commandsOf(tree.filter(alive))).filter((c) => c !== '')).toEqual([]); // nothing it started lives on
      await expectAllGone(t, tree);
    } finally {
      blocker.close();
      for (const pid of [...tree, t.npx.pid!]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 360_000);
});
