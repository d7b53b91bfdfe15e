/**
 * Memory bounds, measured: does a big upload batch stay out of the API's and the
 * worker's memory?
 *
 * Starts its own stack (embedded PostgreSQL + Temporal dev server, scripts/lib/stack.ts),
 * one `docroute serve` (the API only: cluster mode) and one `docroute worker`, as
 * separate processes. Makes --files PDFs of --mib MiB each (a sample invoice carrying
 * an incompressible attachment, so each file really is that big for the parser too),
 * uploads them all in ONE multipart request, waits until every document has settled,
 * and reads each process's peak resident set (VmHWM from /proc) — the peak over the
 * whole run, not a sample. Prints JSON; exits 1 when a bound is exceeded.
 *
 *   node scripts/memory.ts                     (20 × 49 MiB; bounds: API < 512 MiB, worker < 1 GiB)
 *   node scripts/memory.ts --files 4 --mib 20  (smaller)
 *
 * Every process it starts is stopped before it exits (also on failure).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs, openAsBlob } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PDFDocument } from 'pdf-lib';
import { createApiKey } from '../src/db/api-keys.ts';
import { createDb } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { freePort } from '../src/services/free-port.ts';
import { createLogger } from '../src/logger.ts';
import { startStack } from './lib/stack.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    files: { type: 'string', default: '20' },
    mib: { type: 'string', default: '49' },
    'api-bound-mib': { type: 'string', default: '512' },
    'worker-bound-mib': { type: 'string', default: '1024' },
  },
});
const FILES = Number(args.files);
const MIB = Number(args.mib);
const log = createLogger('warn');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A process's resident set now and at its peak, in MiB (Linux /proc). */
async function memoryOf(pid: number): Promise<{ rssMiB: number; peakMiB: number }> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: Math.round(kib('VmRSS') / 1024), peakMiB: Math.round(kib('VmHWM') / 1024) };
}

async function makeFiles(dir: string): Promise<string[]> {
  const base = await PDFDocument.load(await fs.readFile(path.join(ROOT, 'samples', 'invoice-en-usd.pdf')));
  // Random bytes do not compress: the file is as big as asked, inside and out.
  const payload = randomBytes(Math.max(0, MIB * 1024 * 1024 - 64 * 1024));
  await base.attach(payload, 'scanned-appendix.bin', { mimeType: 'application/octet-stream', description: 'bulk' });
  const bytes = await base.save({ useObjectStreams: false });
  const out: string[] = [];
  for (let i = 0; i < FILES; i++) {
    const file = path.join(dir, `big-${String(i).padStart(2, '0')}.pdf`);
    // Each file distinct (a comment after %%EOF), so none is a duplicate of another.
    await fs.writeFile(file, Buffer.concat([bytes, Buffer.from(`\n% variant ${i}\n`)]));
    out.push(file);
  }
  return out;
}

const children: ChildProcess[] = [];
let stopStack: (() => Promise<void>) | null = null;
// Interrupted: what it started still stops (the finally below does not run on a signal).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    void (stopStack?.() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  const stack = await startStack('memory', log);
  stopStack = stack.stop;
  try {
    const url = await stack.database('docroute_memory');
    const db = createDb(url, { max: 2 });
    await migrateToLatest(db);
    const { key } = await createApiKey(db, 'memory', ['read', 'write']);
    const files = await makeFiles(stack.dir);
    const fileMiB = Math.round(((await fs.stat(files[0]!)).size / 1024 / 1024) * 10) / 10;

    const apiPort = await freePort();
    const env = {
      ...process.env,
      DATABASE_URL: url,
      TEMPORAL_ADDRESS: stack.temporalAddress,
      DOCROUTE_TASK_QUEUE: 'memory',
      DOCROUTE_LOG_LEVEL: 'error',
      PORT: String(apiPort),
    };
    const start = (command: string) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'docroute.js'), command], { env, stdio: ['ignore', 'ignore', 'inherit'] });
      children.push(child);
      return child;
    };
    const api = start('serve');
    const worker = start('worker');
    for (let i = 0; ; i++) {
      if ((await fetch(`http://127.0.0.1:${apiPort}/healthz`).catch(() => null))?.ok) break;
      if (i > 600 || api.exitCode !== null) throw new Error('the API did not start');
      await sleep(250);
    }
    await sleep(2000); // let the worker finish starting too
    const apiBefore = await memoryOf(api.pid!);
    const workerBefore = await memoryOf(worker.pid!);

    const body = new FormData();
    for (const file of files) body.append('file', await openAsBlob(file, { type: 'application/pdf' }), path.basename(file));
    const uploadStarted = Date.now();
    const response = await fetch(`http://127.0.0.1:${apiPort}/v1/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body,
    });
    const uploadSeconds = (Date.now() - uploadStarted) / 1000;
    if (response.status !== 202) throw new Error(`upload answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
    const { documents } = (await response.json()) as { documents: { documentId: string }[] };
    const apiAfterUpload = await memoryOf(api.pid!);

    const settleStarted = Date.now();
    let statuses: Record<string, number> = {};
    for (;;) {
      const rows = await db.selectFrom('documents').select(['status']).where('id', 'in', documents.map((d) => d.documentId)).execute();
      statuses = {};
      for (const r of rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (rows.every((r) => !['received', 'processing'].includes(r.status))) break;
      if (Date.now() - settleStarted > 30 * 60_000) throw new Error(`documents did not settle: ${JSON.stringify(statuses)}`);
      await sleep(1000);
    }
    const apiEnd = await memoryOf(api.pid!);
    const workerEnd = await memoryOf(worker.pid!);
    await db.destroy();

    const bounds = { apiMiB: Number(args['api-bound-mib']), workerMiB: Number(args['worker-bound-mib']) };
    const figures = {
      files: files.length,
      fileMiB,
      batchMiB: Math.round(fileMiB * files.length),
      uploadSeconds,
      settleSeconds: Math.round((Date.now() - settleStarted) / 1000),
      statuses,
      api: { beforeMiB: apiBefore.rssMiB, afterUploadMiB: apiAfterUpload.rssMiB, endMiB: apiEnd.rssMiB, peakMiB: apiEnd.peakMiB },
      worker: { beforeMiB: workerBefore.rssMiB, endMiB: workerEnd.rssMiB, peakMiB: workerEnd.peakMiB },
      bounds,
      ratios: {
        apiPeakVsBatch: Math.round((apiEnd.peakMiB / (fileMiB * files.length)) * 1000) / 1000,
        apiPeakVsBound: Math.round((apiEnd.peakMiB / bounds.apiMiB) * 1000) / 1000,
        workerPeakVsBound: Math.round((workerEnd.peakMiB / bounds.workerMiB) * 1000) / 1000,
      },
    };
    process.stdout.write(JSON.stringify(figures, null, 2) + '\n');
    return apiEnd.peakMiB < bounds.apiMiB && workerEnd.peakMiB < bounds.workerMiB ? 0 : 1;
  } finally {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await Promise.race([new Promise((r) => child.once('exit', r)), sleep(15_000)]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }
    await stack.stop();
  }
}

let code = 1;
try {
  code = await main();
} catch (error) {
  process.stderr.write(`memory run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
}
process.exit(code);
