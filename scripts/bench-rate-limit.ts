/**
 * Do the Gemini rate limits hold for a whole deployment? Three `docroute worker`
 * processes (a real Temporal dev server and PostgreSQL, throw-away) extract the
 * real datasets through the project's fake Gemini server, which enforces a
 * per-model quota as Google does (requests per minute over a sliding minute,
 * refused with 429 RESOURCE_EXHAUSTED beyond it). Printed: how much of the
 * quota the deployment used while it had more work than quota, and how many
 * requests the server refused.
 *
 *   npx node scripts/bench-rate-limit.ts [--rpm 60] [--workers 3] [--minutes 3] [--copies 3] [--json]
 *
 * The datasets must be beside the project (../shared/datasets); every process
 * and server started here is stopped however the run ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createDb } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { DEFAULT_FLASH_MODEL, DEFAULT_PRO_MODEL } from '../src/extraction/gemini/catalog.ts';
import { createLogger } from '../src/logger.ts';
import { readingModel } from '../test/support/oracle-model.ts';
import { reply, startFakeGemini, type FakeRequest } from '../test/support/fake-gemini.ts';
import { startStack } from './lib/stack.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DATASETS = path.resolve(ROOT, '..', 'shared', 'datasets');
const { values: args } = parseArgs({
  options: {
    rpm: { type: 'string', default: '60' },
    workers: { type: 'string', default: '3' },
    minutes: { type: 'string', default: '3' },
    copies: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const RPM = Number(args.rpm);
const WORKERS = Number(args.workers);
const MEASURE_MS = Number(args.minutes) * 60_000;
const COPIES = Number(args.copies);
const QUOTA_WINDOW_MS = 60_000;

const spawned = new Set<ChildProcess>();
const cleanups: (() => Promise<unknown>)[] = [];
async function cleanup(): Promise<void> {
  for (const child of spawned) child.kill('SIGKILL');
  for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  cleanups.length = 0;
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => void cleanup().finally(() => process.exit(130)));
}

/** Google's side of the quota: per model, at most RPM requests in any sliding minute; the rest are refused. */
function quota() {
  const accepted = new Map<string, number[]>();
  const refused = new Map<string, number>();
  return {
    accepted,
    refused,
    admit(request: FakeRequest): boolean {
      const times = accepted.get(request.model) ?? [];
      accepted.set(request.model, times);
      const inWindow = times.filter((t) => request.at - t < QUOTA_WINDOW_MS).length;
      if (inWindow >= RPM) {
        refused.set(request.model, (refused.get(request.model) ?? 0) + 1);
        return false;
      }
      times.push(request.at);
      return true;
    },
  };
}

/**
 * The datasets' PDFs, each COPIES times (a comment line after the end of the
 * file makes each copy a document of its own: more work than quota for the
 * whole measured period).
 */
async function datasetFiles(dir: string): Promise<string[]> {
  const sources: string[] = [];
  for (const folder of ['invoice2data', 'kleister-nda-dev']) {
    for (const entry of await fs.readdir(path.join(DATASETS, folder), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && /\.pdf$/i.test(entry.name)) sources.push(path.join(entry.parentPath, entry.name));
    }
  }
  await fs.mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (let copy = 0; copy < COPIES; copy++) {
    for (const source of sources.sort()) {
      const target = path.join(dir, `${copy}-${path.basename(source)}`);
      await fs.writeFile(target, Buffer.concat([await fs.readFile(source), Buffer.from(`\n%docroute-bench-copy-${copy}\n`)]));
      out.push(target);
    }
  }
  return out;
}

async function main(): Promise<number> {
  if (!(await fs.stat(DATASETS).catch(() => null))) {
    process.stderr.write(`bench-rate-limit: ${DATASETS} is missing (the real documents this benchmark sends)\n`);
    return 2;
  }
  const log = createLogger('warn');
  const stack = await startStack('ratelimit', log);
  cleanups.push(() => stack.stop());
  const fake = await startFakeGemini();
  cleanups.push(() => fake.close());
  const limit = quota();
  for (const model of [DEFAULT_FLASH_MODEL, DEFAULT_PRO_MODEL]) {
    fake.on(model, 'generateContent', (request) =>
      limit.admit(request) ? readingModel(request) : reply.error(429, { message: 'Resource has been exhausted (e.g. check quota).', retryDelay: '20s' }),
    );
  }

  const url = await stack.database('docroute_ratelimit');
  const db = createDb(url, { max: 4 });
  cleanups.push(() => db.destroy());
  await migrateToLatest(db);
  const env = {
    ...process.env,
    DATABASE_URL: url,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    DOCROUTE_TASK_QUEUE: 'ratelimit',
    DOCROUTE_WORKFLOW_PREFIX: 'ratelimit',
    DOCROUTE_LOG_LEVEL: 'error',
    GEMINI_API_KEY: 'bench-key-not-a-secret',
    GEMINI_BASE_URL: fake.url,
    DOCROUTE_CHECK_MODEL: 'none',
    // Every worker is configured with the project's whole quota, as an operator would.
    DOCROUTE_FLASH_RPM: String(RPM),
    DOCROUTE_PRO_RPM: String(RPM),
  };
  for (let i = 0; i < WORKERS; i++) {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'docroute.js'), 'worker'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    spawned.add(child);
    child.once('exit', () => spawned.delete(child));
  }

  const files = await datasetFiles(path.join(stack.dir, 'docs'));
  const ingest = spawn(process.execPath, [path.join(ROOT, 'bin', 'docroute.js'), 'ingest', '--json', ...files], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  spawned.add(ingest);
  const ingestCode = await new Promise<number | null>((resolve) => ingest.once('exit', resolve));
  spawned.delete(ingest);
  if (ingestCode !== 0) throw new Error(`docroute ingest exited ${ingestCode}`);

  // Measured from the moment the quota is first used up (the workers have started and have more
  // requests than quota), for MEASURE_MS; the run says whether work was still waiting at the end.
  const busiest = () => Math.max(0, ...[...limit.accepted.values()].map((times) => times.length));
  while (busiest() < RPM) await new Promise((r) => setTimeout(r, 200));
  const start = Math.min(...[...limit.accepted.values()].filter((times) => times.length >= RPM).map((times) => times[RPM - 1]!));
  // On a terminal one line, rewritten; in a log a line every 30 s.
  const tty = process.stderr.isTTY === true;
  const progress = setInterval(() => {
    if (args.json) return;
    const done = Math.round((Date.now() - start) / 1000);
    const line = `bench-rate-limit: ${done}/${MEASURE_MS / 1000} s, ${[...limit.accepted.values()].flat().length} requests answered`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  }, tty ? 5000 : 30_000);
  await new Promise((r) => setTimeout(r, Math.max(0, start + MEASURE_MS - Date.now())));
  clearInterval(progress);
  if (!args.json && tty) process.stderr.write('\n');
  const unsettled = await db
    .selectFrom('documents')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('status', 'in', ['received', 'processing'])
    .executeTakeFirstOrThrow();

  const perModel = [DEFAULT_FLASH_MODEL, DEFAULT_PRO_MODEL].map((model) => {
    // Requests answered after the one that used up the quota first.
    const answered = (limit.accepted.get(model) ?? []).filter((t) => t > start && t <= start + MEASURE_MS).length;
    return { model, answered, refused: limit.refused.get(model) ?? 0 };
  });
  const flash = perModel[0]!;
  const quotaInPeriod = (RPM * MEASURE_MS) / QUOTA_WINDOW_MS;
  const figures = {
    workers: WORKERS,
    rpmLimit: RPM,
    measuredSeconds: MEASURE_MS / 1000,
    documents: files.length,
    documentsStillWaitingAtEnd: Number(unsettled.n),
    perModel,
    // The busy model's share of the quota used over the period (only meaningful while work was waiting).
    quotaUsed: Math.round((flash.answered / quotaInPeriod) * 1000) / 1000,
    refusedForExceedingQuota: perModel.reduce((sum, m) => sum + m.refused, 0),
  };
  if (args.json) {
    process.stdout.write(JSON.stringify(figures, null, 2) + '\n');
  } else {
    process.stdout.write(
      [
        `${WORKERS} workers, quota ${RPM} requests/min per model (the fake Gemini refuses beyond it), measured ${MEASURE_MS / 1000} s`,
        `${flash.model}: ${flash.answered} requests answered of ${quotaInPeriod} allowed = ${(figures.quotaUsed * 100).toFixed(1)}% of the quota used`,
        `refused for exceeding the quota: ${figures.refusedForExceedingQuota} (${perModel.map((m) => `${m.model} ${m.refused}`).join(', ')})`,
        `documents still waiting at the end: ${figures.documentsStillWaitingAtEnd} of ${files.length}${figures.documentsStillWaitingAtEnd === 0 ? ' (work ran out: the figure understates)' : ''}`,
      ].join('\n') + '\n',
    );
  }
  return figures.refusedForExceedingQuota === 0 && figures.documentsStillWaitingAtEnd > 0 ? 0 : 1;
}

main()
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    process.stderr.write(`bench-rate-limit: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await cleanup();
    process.exit(1);
  });
