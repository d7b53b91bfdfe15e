/**
 * Benchmarks: speed and memory of the extraction path, in process and (with
 * --e2e) end to end through the project's own local services.
 *
 *   node --expose-gc scripts/bench.ts [--rounds 3] [--warmup 1] [--leak-rounds 10]
 *                                     [--big 100,1000|none] [--over-limit-pages 10000]
 *                                     [--e2e] [--docs 20] [--concurrency 4] [--json]
 *
 * The ratios the parse work is judged by close the report (`ratios` in --json):
 * guarded parse ÷ pdftotext per page, guarded ÷ in-process parse, and end to end
 * p50 latency and throughput ÷ the in-process path (null when not measured).
 *   npm run bench -- --e2e --json
 *
 * 1. In process, on ../shared/datasets (invoice2data + kleister-nda-dev), one
 *    document at a time: parsePdf in its guarded worker thread, parsePdf
 *    in process (for the cost of the guard), offline OCR of scanned pages (in the
 *    timed rounds, when parseDocument would run it: Tesseract installed, a tier
 *    that cannot read images), classifyDocument, the rules tier's
 *    extract (chunk by chunk as the workflow does, output checked with the
 *    kind's zod schema) and scoreReadings. Warm-up rounds first, then --rounds
 *    timed rounds; the spread is over rounds. The in-process path the e2e is
 *    compared with is guarded parse + OCR + classify + extract + score: the work
 *    the workflow's activities do, without Temporal and Postgres.
 * 2. Memory (run first, before any worker thread): the in-process path alone
 *    (in-process parse → classify → extract → score) for --leak-rounds rounds, process.memoryUsage() sampled every 10 ms,
 *    a full GC after each round: peak RSS and heap, and the heap retained after
 *    round 1 vs after the last round (a leak shows as growth per document).
 * 3. Engines, per page over the same documents: poppler's pdftotext (a process
 *    per file; skipped, and its ratios null, when it is not installed), pdf.js in
 *    process and guarded (from stage 1), PDFium compiled to WebAssembly doing the
 *    same work in process (scripts/lib/pdfium-engine.ts), with the agreement of
 *    its text and of the rules tier's fields on it with pdf.js's; page-1 rendering
 *    with both. Big documents (--big, default 100 and 1,000 text pages): guarded
 *    parse time, ms/page and RSS, each in a process of its own; a
 *    --over-limit-pages PDF (10,000) against the configured page limit.
 * 4. --e2e: a temporary data dir, free ports, openRuntime (embedded PostgreSQL,
 *    Temporal dev server, in-process worker) as the CLI opens it; the invoices
 *    and the first --docs NDAs ingested with ingestFile + waitForDocument, at
 *    most --concurrency at a time (the CLI's 4); services stopped and the temp
 *    dir removed at the end.
 *
 * No GEMINI_API_KEY is used (it is removed from the configuration): the fast
 * tier is the offline rules extractor and there is no deep tier.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ContractExtraction, InvoiceExtraction } from '../schemas/index.ts';
import { chunkPages } from '../src/chunking/chunk-pages.ts';
import { classifyDocument } from '../src/classify/classify.ts';
import { loadConfig, PROJECT_ROOT, type Config } from '../src/config/config.ts';
import { scoreReadings, type Reading } from '../src/extraction/candidate.ts';
import type { ModelTier, PageText } from '../src/extraction/model-tier.ts';
import { estimateTokens } from '../src/extraction/rules/tokens.ts';
import { createTiers } from '../src/extraction/tiers.ts';
import { createLogger } from '../src/logger.ts';
import { freePort } from '../src/services/free-port.ts';
import { readServiceState } from '../src/services/ownership.ts';
import { mapLimit } from '../src/util/map-limit.ts';
import { ocrScannedPages } from '../src/ocr/ocr-pages.ts';
import { parsePdf } from '../src/pdf/parse-pdf.ts';
import { selfCpuMs, treeCpuMs } from './lib/proc-cpu.ts';
import { benchBigDocuments, benchEngines, textPdf, type BigDocReport, type EngineReport } from './lib/bench-parse.ts';

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

interface Options {
  rounds: number;
  warmup: number;
  leakRounds: number;
  e2e: boolean;
  docs: number;
  concurrency: number;
  json: boolean;
  /** Page counts of the big text PDFs (empty: skip the big-document section). */
  big: number[];
  /** Pages of the PDF that must be refused by the page limit. */
  overLimitPages: number;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { rounds: 3, warmup: 1, leakRounds: 10, e2e: false, docs: 20, concurrency: 4, json: false, big: [100, 1000], overLimitPages: 10_000 };
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) fail(`${name} needs an integer ≥ ${min} (got ${v ?? 'nothing'})`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--rounds': o.rounds = int(flag, value(), 1); break;
      case '--warmup': o.warmup = int(flag, value(), 0); break;
      case '--leak-rounds': o.leakRounds = int(flag, value(), 2); break;
      case '--docs': o.docs = int(flag, value(), 0); break;
      case '--concurrency': o.concurrency = int(flag, value(), 1); break;
      case '--e2e': o.e2e = true; break;
      case '--json': o.json = true; break;
      case '--big': {
        const v = value() ?? '';
        o.big = v === 'none' ? [] : v.split(',').map((x) => int(flag, x, 1));
        break;
      }
      case '--over-limit-pages': o.overLimitPages = int(flag, value(), 2); break;
      case '--help': case '-h':
        process.stdout.write('usage: node --expose-gc scripts/bench.ts [--rounds N] [--warmup N] [--leak-rounds N] [--big 100,1000|none] [--over-limit-pages N] [--e2e] [--docs N] [--concurrency N] [--json]\n');
        process.exit(0);
        break;
      default: fail(`unknown option ${a} (see --help)`);
    }
  }
  return o;
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------
// Small statistics
// ---------------------------------------------------------------------------

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
const mean = (v: readonly number[]) => (v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN);
const sum = (v: readonly number[]) => v.reduce((s, x) => s + x, 0);
const r = (x: number, d = 2) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);
const mb = (bytes: number) => r(bytes / 1048576, 1);

// ---------------------------------------------------------------------------
// Datasets
// ---------------------------------------------------------------------------

interface Doc {
  set: 'invoice2data' | 'kleister-nda';
  file: string;
  name: string;
  bytes: Uint8Array;
}

const DATASETS = path.resolve(PROJECT_ROOT, '..', 'shared', 'datasets');

async function loadDocs(): Promise<Doc[]> {
  const sets = [
    { set: 'invoice2data' as const, dir: path.join(DATASETS, 'invoice2data') },
    { set: 'kleister-nda' as const, dir: path.join(DATASETS, 'kleister-nda-dev', 'documents') },
  ];
  const docs: Doc[] = [];
  for (const { set, dir } of sets) {
    if (!existsSync(dir)) {
      fail(`dataset folder ${dir} is missing: the benchmark reads ../shared/datasets/invoice2data/*.pdf and ../shared/datasets/kleister-nda-dev/documents/*.pdf`);
    }
    const names = (await fs.readdir(dir)).filter((n) => /\.pdf$/i.test(n)).sort();
    if (names.length === 0) fail(`no PDF files in ${dir}`);
    for (const name of names) {
      const file = path.join(dir, name);
      docs.push({ set, file, name, bytes: new Uint8Array(await fs.readFile(file)) });
    }
  }
  return docs;
}

// ---------------------------------------------------------------------------
// The in-process path, stage by stage
// ---------------------------------------------------------------------------

const STAGES = ['parse (worker thread)', 'parse (in process)', 'ocr (scanned pages)', 'classify', 'extract (rules tier)', 'score'] as const;
type Stage = (typeof STAGES)[number];

interface Sample {
  doc: string;
  ms: number;
  pages: number;
}

interface PathContext {
  config: Config;
  fast: ModelTier;
  today: string;
}

/** Runs the path on one document; `time` is called with each stage's duration. */
async function runPath(
  doc: Doc,
  ctx: PathContext,
  stages: { workerParse: boolean; ocr?: boolean },
  time: (stage: Stage, ms: number, pages: number) => void,
): Promise<void> {
  let t = performance.now();
  const lap = (stage: Stage, pages: number) => {
    const now = performance.now();
    time(stage, now - t, pages);
    t = now;
  };
  const limits = { maxPages: ctx.config.limits.maxPages };
  if (stages.workerParse) {
    const guarded = await parsePdf(doc.bytes, limits);
    lap('parse (worker thread)', guarded.pageCount);
  }
  let parsed = await parsePdf(doc.bytes, limits, { inProcess: true });
  lap('parse (in process)', parsed.pageCount);
  // As parseDocument does (the e2e runs it): scanned pages become text by offline OCR when
  // the tier cannot read images and DOCROUTE_OCR is auto (Tesseract installed).
  if (stages.ocr && parsed.imageOnlyPages.length > 0 && !ctx.fast.readsImages && ctx.config.ocr === 'auto') {
    parsed = (await ocrScannedPages(doc.bytes, parsed)).parsed;
  }
  lap('ocr (scanned pages)', parsed.pageCount);
  const pages: PageText[] = parsed.pages;
  const classification = classifyDocument(pages);
  lap('classify', parsed.pageCount);
  if (classification.kind === 'other') return;
  const kind = classification.kind;
  const schema = kind === 'invoice' ? InvoiceExtraction : ContractExtraction;
  const chunks = chunkPages(
    pages.map((p) => ({ pageNumber: p.pageNumber, tokens: estimateTokens(p.text) })),
    ctx.config.routing.chunkTokens,
  );
  const readings: Reading[] = [];
  for (const c of chunks) {
    const slice = pages.filter((p) => p.pageNumber >= c.pageFrom && p.pageNumber <= c.pageTo);
    const result = await ctx.fast.extract({ kind, pages: slice, pageCount: parsed.pageCount });
    const checked = schema.safeParse(result.fields);
    if (checked.success) readings.push({ tier: ctx.fast.tier, pages: { from: c.pageFrom, to: c.pageTo }, fields: result.fields });
  }
  lap('extract (rules tier)', parsed.pageCount);
  scoreReadings(kind, readings, pages, ctx.today);
  lap('score', parsed.pageCount);
}

interface StageReport {
  stage: Stage;
  documents: number;
  pages: number;
  docsPerSec: { median: number | null; min: number | null; max: number | null };
  pagesPerSec: { median: number | null; min: number | null; max: number | null };
  msPerDoc: { mean: number | null; p50: number | null; p95: number | null; max: number | null };
  /** The document with the highest mean time over the rounds. */
  slowest: { doc: string; meanMs: number | null };
  /** (max − min) / median of the per-round throughput. */
  spreadPct: number | null;
}

function stageReport(stage: Stage, rounds: readonly Sample[][]): StageReport {
  const docsPerSec = rounds.map((s) => s.length / (sum(s.map((x) => x.ms)) / 1000));
  const pagesPerSec = rounds.map((s) => sum(s.map((x) => x.pages)) / (sum(s.map((x) => x.ms)) / 1000));
  const all = rounds.flat().map((s) => s.ms);
  const byDoc = new Map<string, number[]>();
  for (const x of rounds.flat()) byDoc.set(x.doc, [...(byDoc.get(x.doc) ?? []), x.ms]);
  const [slowDoc, slowMs] = [...byDoc.entries()].map(([d, v]) => [d, mean(v)] as const).sort((a, b) => b[1] - a[1])[0] ?? ['', NaN];
  const span = (v: number[]) => ({ median: r(quantile(v, 0.5), 1), min: r(Math.min(...v), 1), max: r(Math.max(...v), 1) });
  return {
    stage,
    documents: rounds[0]?.length ?? 0,
    pages: sum((rounds[0] ?? []).map((s) => s.pages)),
    docsPerSec: span(docsPerSec),
    pagesPerSec: span(pagesPerSec),
    msPerDoc: { mean: r(mean(all), 3), p50: r(quantile(all, 0.5), 3), p95: r(quantile(all, 0.95), 3), max: r(Math.max(...all), 1) },
    slowest: { doc: path.basename(slowDoc), meanMs: r(slowMs, 1) },
    spreadPct: r(((Math.max(...docsPerSec) - Math.min(...docsPerSec)) / quantile(docsPerSec, 0.5)) * 100, 1),
  };
}

// ---------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------

function getGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  // Not started with --expose-gc: enable it now and take the function from a fresh context.
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function fullGc(gc: () => void): void {
  gc();
  gc();
}

/** Samples process.memoryUsage() every `ms` and keeps the peaks. */
function memorySampler(ms = 10) {
  const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };
  const take = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
    peak.external = Math.max(peak.external, m.external);
  };
  take();
  const timer = setInterval(take, ms);
  return {
    take,
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

// ---------------------------------------------------------------------------
// End to end
// ---------------------------------------------------------------------------



interface E2eReport {
  documents: number;
  invoices: number;
  ndas: number;
  concurrency: number;
  startupSec: number | null;
  warmupDocSec: number | null;
  wallSec: number | null;
  docsPerMinute: number | null;
  latencySec: { mean: number | null; p50: number | null; p95: number | null; max: number | null };
  statuses: Record<string, number>;
  inProcessMsPerDoc: number | null;
  /** Wall time per document (throughput) ÷ in-process extraction time per document. */
  throughputOverhead: number | null;
  /** Mean ingest→settled latency ÷ in-process extraction time per document. */
  latencyOverhead: number | null;
  /** p50 of ingest→settled ÷ p50 of the in-process path, same documents. */
  latencyP50VsInProcessP50: number | null;
  /** Documents per second end to end ÷ documents per second of the in-process path on one thread. */
  throughputVsInProcess: number | null;
  shutdownSec: number | null;
  /**
   * CPU milliseconds per document during the timed set, by process (Linux /proc; null elsewhere):
   * the Temporal dev server, the embedded PostgreSQL (postmaster and backends), and this
   * process (worker, client, pdf.js threads); total ÷ the in-process path's ms per document.
   */
  cpuMsPerDoc: { temporal: number | null; postgres: number | null; docroute: number; total: number | null; totalVsInProcess: number | null };
  /** The largest --big text PDF, ingested alone after the timed set (DOCROUTE_MAX_PAGES raised to fit it). */
  bigDocument: { pages: number; latencySec: number | null; status: string; historyEvents: number; historyKiB: number | null } | null;
}

async function runE2e(
  docs: readonly Doc[],
  opts: Options,
  inProcessMsByDoc: ReadonlyMap<string, number>,
  progress: (line: string) => void,
): Promise<E2eReport> {
  const { openRuntime } = await import('../src/app/runtime.ts');
  const { ingestFile, waitForDocument } = await import('../src/ingest/ingest.ts');
  const selected = [...docs.filter((d) => d.set === 'invoice2data'), ...docs.filter((d) => d.set === 'kleister-nda').slice(0, opts.docs)];
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'docroute-bench-'));
  // The Temporal CLI installed for the project, so that the temp data dir does not install its own.
  process.env.PATH = [path.join(PROJECT_ROOT, '.docroute', 'bin'), process.env.PATH ?? ''].join(path.delimiter);
  const config = loadConfig({
    ...process.env,
    GEMINI_API_KEY: undefined,
    DATABASE_URL: undefined,
    TEMPORAL_ADDRESS: undefined,
    DOCROUTE_DATA_DIR: dataDir,
    DOCROUTE_TEMPORAL_PORT: String(await freePort()),
    DOCROUTE_EMBEDDED_PG_PORT: String(await freePort()),
    DOCROUTE_WORKFLOW_PREFIX: 'bench',
    // The big text document (--big) must pass the page limit; the dataset's documents are far below either.
    DOCROUTE_MAX_PAGES: String(Math.max(loadConfig({ ...process.env, GEMINI_API_KEY: undefined }).limits.maxPages, ...opts.big)),
  });
  const log = createLogger('warn');
  let runtime: Awaited<ReturnType<typeof openRuntime>> | null = null;
  const cleanup = async () => {
    const rt = runtime;
    runtime = null;
    if (rt) await rt.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  };
  const onSignal = () => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    progress(`e2e: starting embedded PostgreSQL, Temporal dev server and a worker in ${dataDir}`);
    const t0 = performance.now();
    runtime = await openRuntime(config, log, { worker: true });
    const startupMs = performance.now() - t0;
    const rt = runtime;
    const workflowIds: string[] = [];
    const settle = async (file: string) => {
      const started = performance.now();
      const ingested = await ingestFile(rt, file, 'bench');
      workflowIds.push(ingested.workflowId);
      const result = await waitForDocument(rt, ingested.workflowId).catch((error: unknown) => ({ status: `error: ${String(error)}` }));
      return { file, ms: performance.now() - started, status: result.status };
    };
    // One warm-up document that is not measured (the worker's first workflow task and activities).
    let warmupMs: number | null = null;
    const sample = path.join(PROJECT_ROOT, 'samples', 'invoice-en-usd.pdf');
    if (existsSync(sample)) {
      progress('e2e: warm-up document samples/invoice-en-usd.pdf');
      warmupMs = (await settle(sample)).ms;
    }
    progress(`e2e: ${selected.length} documents, ${opts.concurrency} at a time`);
    const services = await readServiceState(dataDir);
    const cpu = () => ({ temporal: treeCpuMs(services.temporal?.pid), postgres: treeCpuMs(services.postgres?.pid), docroute: selfCpuMs() });
    const cpuBefore = cpu();
    const t1 = performance.now();
    let done = 0;
    const results = await mapLimit(selected, opts.concurrency, async (d) => {
      const res = await settle(d.file);
      done++;
      if (done % 5 === 0 || done === selected.length) progress(`e2e: ${done}/${selected.length} settled`);
      return res;
    });
    const wallMs = performance.now() - t1;
    const cpuAfter = cpu();
    // A 1,000-page text document alone, after the timed set: its latency and the size of its workflow history
    // (activities pass ids, so the history should not grow with the text).
    let bigDoc: E2eReport['bigDocument'] = null;
    if (opts.big.length > 0) {
      const pages = Math.max(...opts.big);
      const file = path.join(dataDir, `bench-${pages}-pages.pdf`);
      await fs.writeFile(file, await textPdf(pages, 40));
      progress(`e2e: a ${pages}-page text PDF alone`);
      const res = await settle(file);
      const history = await rt.client.workflow.getHandle(workflowIds[workflowIds.length - 1]!).fetchHistory();
      bigDoc = {
        pages,
        latencySec: r(res.ms / 1000, 2),
        status: res.status,
        historyEvents: history.events?.length ?? 0,
        historyKiB: r(Buffer.byteLength(JSON.stringify(history)) / 1024, 1),
      };
    }
    // Documents in review have workflows waiting (durably) for a reviewer; the data dir is
    // thrown away, so end those workflows rather than leave them open.
    await Promise.all(
      workflowIds.map(async (id) => {
        const handle = rt.client.workflow.getHandle(id);
        await handle.terminate('benchmark finished').catch(() => undefined);
        await handle.result().catch(() => undefined);
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const t2 = performance.now();
    await cleanup();
    const shutdownMs = performance.now() - t2;

    const latencies = results.map((x) => x.ms / 1000);
    const statuses: Record<string, number> = {};
    for (const x of results) statuses[x.status] = (statuses[x.status] ?? 0) + 1;
    const inProc = mean(selected.map((d) => inProcessMsByDoc.get(d.file) ?? NaN));
    const perDocWall = wallMs / selected.length;
    return {
      documents: selected.length,
      invoices: selected.filter((d) => d.set === 'invoice2data').length,
      ndas: selected.filter((d) => d.set === 'kleister-nda').length,
      concurrency: opts.concurrency,
      startupSec: r(startupMs / 1000, 1),
      warmupDocSec: warmupMs === null ? null : r(warmupMs / 1000, 2),
      wallSec: r(wallMs / 1000, 1),
      docsPerMinute: r((selected.length / wallMs) * 60_000, 1),
      latencySec: {
        mean: r(mean(latencies), 2),
        p50: r(quantile(latencies, 0.5), 2),
        p95: r(quantile(latencies, 0.95), 2),
        max: r(Math.max(...latencies), 2),
      },
      statuses,
      inProcessMsPerDoc: r(inProc, 1),
      throughputOverhead: r(perDocWall / inProc, 1),
      latencyOverhead: r((mean(latencies) * 1000) / inProc, 1),
      latencyP50VsInProcessP50: r((quantile(latencies, 0.5) * 1000) / quantile(selected.map((d) => inProcessMsByDoc.get(d.file) ?? NaN), 0.5), 2),
      throughputVsInProcess: r(inProc / perDocWall, 3),
      shutdownSec: r(shutdownMs / 1000, 1),
      cpuMsPerDoc: cpuPerDoc(cpuBefore, cpuAfter, selected.length, inProc),
      bigDocument: bigDoc,
    };
  } finally {
    await cleanup().catch((error: unknown) => progress(`e2e: cleanup failed: ${String(error)}`));
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

type CpuReading = { temporal: number | null; postgres: number | null; docroute: number };

function cpuPerDoc(before: CpuReading, after: CpuReading, docs: number, inProcessMs: number): E2eReport['cpuMsPerDoc'] {
  const per = (a: number | null, b: number | null) => (a === null || b === null ? null : r((b - a) / docs, 1));
  const temporal = per(before.temporal, after.temporal);
  const postgres = per(before.postgres, after.postgres);
  const docroute = r((after.docroute - before.docroute) / docs, 1)!;
  const total = temporal === null || postgres === null ? null : r(temporal + postgres + docroute, 1);
  return { temporal, postgres, docroute, total, totalVsInProcess: total === null ? null : r(total / inProcessMs, 2) };
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  const gc = getGc();
  const docs = await loadDocs();
  const config = loadConfig({ ...process.env, GEMINI_API_KEY: undefined });
  const tiers = createTiers(config);
  const ctx: PathContext = { config, fast: tiers.fast, today: new Date().toISOString().slice(0, 10) };
  const cpus = os.cpus();
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout
  }
  const machine = {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: r(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    commit,
    loadAvg1mAtStart: r(os.loadavg()[0] ?? NaN, 2),
  };
  const invoices = docs.filter((d) => d.set === 'invoice2data').length;
  progress(`bench: ${docs.length} documents (${invoices} invoices, ${docs.length - invoices} NDAs), ${machine.cpus} cpus, node ${machine.node}, tier ${tiers.fast.model}`);

  // 1. Memory and retained heap, in-process path only, before any worker thread has run
  //    (so that RSS is that of this path alone; round 1 also pays for loading pdf.js and JIT).
  progress(`memory: ${opts.leakRounds} rounds of the in-process path`);
  fullGc(gc);
  const baseline = process.memoryUsage();
  const sampler = memorySampler(10);
  const retained: { heapUsed: number; rss: number; external: number }[] = [];
  const leakStart = performance.now();
  for (let i = 0; i < opts.leakRounds; i++) {
    for (const d of docs) await runPath(d, ctx, { workerParse: false }, () => undefined);
    fullGc(gc);
    const m = process.memoryUsage();
    retained.push({ heapUsed: m.heapUsed, rss: m.rss, external: m.external });
    sampler.take();
  }
  const leakMs = performance.now() - leakStart;
  const peak = sampler.stop();
  const first = retained[0]!;
  const last = retained[retained.length - 1]!;
  const growthPerDoc = (last.heapUsed - first.heapUsed) / ((opts.leakRounds - 1) * docs.length);
  const memory = {
    phase: `in-process path (parse in process → classify → extract → score), ${opts.leakRounds} rounds × ${docs.length} documents, sampled every 10 ms`,
    baselineMiB: { rss: mb(baseline.rss), heapUsed: mb(baseline.heapUsed) },
    peakMiB: { rss: mb(peak.rss), heapUsed: mb(peak.heapUsed), heapTotal: mb(peak.heapTotal), external: mb(peak.external) },
    maxRssMiB: mb(process.resourceUsage().maxRSS * 1024),
    retainedHeapMiB: retained.map((x) => mb(x.heapUsed)),
    retainedRssMiB: retained.map((x) => mb(x.rss)),
    heapAfterRound1MiB: mb(first.heapUsed),
    heapAfterLastRoundMiB: mb(last.heapUsed),
    heapRatioLastVsFirst: r(last.heapUsed / first.heapUsed, 3),
    heapGrowthBytesPerDoc: r(growthPerDoc, 0),
    rssRatioLastVsFirst: r(last.rss / first.rss, 3),
    secondsPerRound: r(leakMs / 1000 / opts.leakRounds, 2),
  };

  // 2. Throughput per stage, one document at a time.
  for (let w = 0; w < opts.warmup; w++) {
    progress(`warm-up round ${w + 1}/${opts.warmup}`);
    for (const d of docs) await runPath(d, ctx, { workerParse: true }, () => undefined);
  }
  const rounds: Record<Stage, Sample[][]> = Object.fromEntries(STAGES.map((s) => [s, []])) as unknown as Record<Stage, Sample[][]>;
  const kinds = { invoice: 0, contract: 0, other: 0 };
  for (let i = 0; i < opts.rounds; i++) {
    progress(`timed round ${i + 1}/${opts.rounds}`);
    for (const s of STAGES) rounds[s].push([]);
    fullGc(gc);
    for (const d of docs) {
      await runPath(d, ctx, { workerParse: true, ocr: true }, (stage, ms, pages) => rounds[stage][i]!.push({ doc: d.file, ms, pages }));
    }
  }
  for (const d of docs) {
    const c = classifyDocument((await parsePdf(d.bytes, { maxPages: config.limits.maxPages }, { inProcess: true })).pages);
    kinds[c.kind]++;
  }
  const stages = STAGES.map((s) => stageReport(s, rounds[s]));
  const msOf = (stage: Stage) => mean(rounds[stage].flat().map((x) => x.ms));
  const parseGuardRatio = msOf('parse (worker thread)') / msOf('parse (in process)');
  const parseGuardMs = msOf('parse (worker thread)') - msOf('parse (in process)');
  // Per document, mean over rounds: the path as the workflow's activities run it (worker-thread parse).
  const inProcessMsByDoc = new Map<string, number>();
  for (const d of docs) {
    const per = (stage: Stage) => mean(rounds[stage].flat().filter((x) => x.doc === d.file).map((x) => x.ms)) || 0;
    inProcessMsByDoc.set(d.file, per('parse (worker thread)') + per('ocr (scanned pages)') + per('classify') + per('extract (rules tier)') + per('score'));
  }
  const pathMsPerDoc = mean([...inProcessMsByDoc.values()]);
  const totalPages = stages[0]!.pages;

  // 3. The engines per page beside poppler's pdftotext, and big documents (guarded parse, pooled threads).
  const roundMs = (stage: Stage) => quantile(rounds[stage].map((round) => sum(round.map((x) => x.ms))), 0.5);
  const engines = await benchEngines(
    docs,
    opts.rounds,
    { inProcessMs: roundMs('parse (in process)'), guardedMs: roundMs('parse (worker thread)'), pages: totalPages },
    tiers.fast,
    { maxPages: config.limits.maxPages, chunkTokens: config.routing.chunkTokens },
    progress,
  );
  const bigDocuments = opts.big.length > 0 ? await benchBigDocuments(opts.big, opts.overLimitPages, config.limits.maxPages, progress) : null;

  // 4. End to end.
  const e2e = opts.e2e ? await runE2e(docs, opts, inProcessMsByDoc, progress) : null;

  const ratios = {
    /** Guarded parse (pooled pdf.js thread) per page ÷ pdftotext (a process per file) per page, same documents. */
    guardedParseVsPdftotextPerPage:
      engines.pdftotext?.msPerPage && engines.pdfjs.guardedMsPerPage ? r(engines.pdfjs.guardedMsPerPage / engines.pdftotext.msPerPage, 2) : null,
    /** Guarded parse ÷ in-process parse, per document (the cost of the hang/heap guard). */
    guardedVsInProcessParse: r(parseGuardRatio, 2),
    /** e2e ingest → settled p50 ÷ the in-process path's p50 on the same documents. */
    e2eLatencyVsInProcess: e2e?.latencyP50VsInProcessP50 ?? null,
    /** e2e documents per second ÷ the in-process path's documents per second (one thread), same documents. */
    e2eThroughputVsInProcess: e2e?.throughputVsInProcess ?? null,
  };

  const report = {
    command: `node --expose-gc scripts/bench.ts ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    tier: tiers.fast.model,
    dataset: { documents: docs.length, invoices, ndas: docs.length - invoices, pages: totalPages, kinds },
    rounds: opts.rounds,
    warmupRounds: opts.warmup,
    stages,
    pathMsPerDoc: r(pathMsPerDoc, 1),
    pathDocsPerSec: r(1000 / pathMsPerDoc, 1),
    parseGuardRatio: r(parseGuardRatio, 2),
    parseGuardMsPerDoc: r(parseGuardMs, 1),
    memory,
    engines,
    bigDocuments,
    e2e,
    ratios,
  };
  const out = opts.json ? JSON.stringify(report, null, 2) + '\n' : renderText(report);
  await new Promise<void>((resolve) => process.stdout.write(out, () => resolve()));
  // The Temporal SDK's native runtime can keep the event loop alive after the services are closed.
  process.exit(0);
}

type Report = {
  command: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number | null; node: string; platform: string; commit: string | null; loadAvg1mAtStart: number | null };
  tier: string;
  dataset: { documents: number; invoices: number; ndas: number; pages: number; kinds: Record<string, number> };
  rounds: number;
  warmupRounds: number;
  stages: StageReport[];
  pathMsPerDoc: number | null;
  pathDocsPerSec: number | null;
  parseGuardRatio: number | null;
  parseGuardMsPerDoc: number | null;
  memory: {
    phase: string;
    baselineMiB: { rss: number | null; heapUsed: number | null };
    peakMiB: { rss: number | null; heapUsed: number | null; heapTotal: number | null; external: number | null };
    maxRssMiB: number | null;
    retainedHeapMiB: (number | null)[];
    heapAfterRound1MiB: number | null;
    heapAfterLastRoundMiB: number | null;
    heapRatioLastVsFirst: number | null;
    heapGrowthBytesPerDoc: number | null;
    rssRatioLastVsFirst: number | null;
    secondsPerRound: number | null;
  };
  engines: EngineReport;
  bigDocuments: BigDocReport | null;
  e2e: E2eReport | null;
  ratios: {
    guardedParseVsPdftotextPerPage: number | null;
    guardedVsInProcessParse: number | null;
    e2eLatencyVsInProcess: number | null;
    e2eThroughputVsInProcess: number | null;
  };
};

function table(header: string[], rows: (string | number | null)[][]): string {
  const cells = [header, ...rows.map((row) => row.map((c) => (c === null ? '–' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells
    .map((row, n) => {
      const line = row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
      return n === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

function renderText(rep: Report): string {
  const m = rep.machine;
  const lines: string[] = [];
  lines.push(`docroute benchmark — ${rep.command}`);
  lines.push(`machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, node ${m.node}, ${m.platform}${m.commit ? `, commit ${m.commit}` : ''}, load average ${m.loadAvg1mAtStart} at start`);
  lines.push(
    `data: ${rep.dataset.documents} documents (${rep.dataset.invoices} invoices, ${rep.dataset.ndas} NDAs), ${rep.dataset.pages} pages; ` +
      `classified ${rep.dataset.kinds['invoice']} invoice / ${rep.dataset.kinds['contract']} contract / ${rep.dataset.kinds['other']} other; tier ${rep.tier}`,
  );
  lines.push(`${rep.warmupRounds} warm-up round(s), ${rep.rounds} timed round(s), one document at a time; docs/s and pages/s: median [min–max] over rounds`);
  lines.push('');
  lines.push(
    table(
      ['stage', 'docs', 'docs/s', '[min–max]', 'pages/s', 'mean ms', 'p50 ms', 'p95 ms', 'max ms', 'spread'],
      rep.stages.map((s) => [
        s.stage,
        s.documents,
        s.docsPerSec.median,
        `${s.docsPerSec.min}–${s.docsPerSec.max}`,
        s.pagesPerSec.median,
        s.msPerDoc.mean,
        s.msPerDoc.p50,
        s.msPerDoc.p95,
        s.msPerDoc.max,
        `${s.spreadPct}%`,
      ]),
    ),
  );
  lines.push('');
  lines.push(`slowest document per stage (mean ms): ${rep.stages.map((s) => `${s.stage} ${s.slowest.doc} ${s.slowest.meanMs}`).join('; ')}`);
  lines.push(`parse in worker thread ÷ parse in process (cost of the hang/heap guard): ${rep.parseGuardRatio}×, +${rep.parseGuardMsPerDoc} ms per document`);
  lines.push(`whole path per document (worker parse + classify + extract + score): ${rep.pathMsPerDoc} ms mean → ${rep.pathDocsPerSec} docs/s on one thread`);
  lines.push('');
  const mem = rep.memory;
  lines.push(`memory — ${mem.phase}`);
  lines.push(
    table(
      ['', 'RSS MiB', 'heap used MiB', 'heap total MiB', 'external MiB'],
      [
        ['baseline (after GC)', mem.baselineMiB.rss, mem.baselineMiB.heapUsed, null, null],
        ['peak (sampled)', mem.peakMiB.rss, mem.peakMiB.heapUsed, mem.peakMiB.heapTotal, mem.peakMiB.external],
        ['process max RSS (kernel high-water mark)', mem.maxRssMiB, null, null, null],
      ],
    ),
  );
  lines.push(`retained heap after each round (after GC), MiB: ${mem.retainedHeapMiB.join(', ')}`);
  lines.push(
    `leak check: heap after last round ÷ after round 1 = ${mem.heapRatioLastVsFirst} (${mem.heapAfterLastRoundMiB} vs ${mem.heapAfterRound1MiB} MiB), ` +
      `${mem.heapGrowthBytesPerDoc} bytes retained per document processed; RSS ratio ${mem.rssRatioLastVsFirst}; ${mem.secondsPerRound} s per round`,
  );
  const en = rep.engines;
  lines.push('');
  lines.push(`engines — ${en.documents} documents, ${en.pages} pages, one at a time, median of ${en.rounds} round(s) after a warm-up; ms per page`);
  const perPoppler = (ms: number | null) => (ms !== null && en.pdftotext?.msPerPage ? `${r(ms / en.pdftotext.msPerPage, 2)}×` : null);
  lines.push(
    table(
      ['engine', 'ms/page', '÷ pdftotext', 'text with positions'],
      [
        [`pdftotext (${en.pdftotext?.version ?? 'not installed'}), a process per file`, en.pdftotext?.msPerPage ?? null, en.pdftotext ? '1×' : null, 'no (plain text)'],
        ['pdf.js, in process', en.pdfjs.inProcessMsPerPage, perPoppler(en.pdfjs.inProcessMsPerPage), 'yes (text runs)'],
        ['pdf.js, guarded (pooled thread: CPU budget, heap cap, kill + replace)', en.pdfjs.guardedMsPerPage, perPoppler(en.pdfjs.guardedMsPerPage), 'yes (text runs)'],
        [`PDFium WebAssembly (${en.pdfium.package}), in process, unguarded`, en.pdfium.msPerPage, perPoppler(en.pdfium.msPerPage), 'yes (words from char boxes)'],
      ],
    ),
  );
  if (en.pdfium.error) lines.push(`PDFium failed: ${en.pdfium.error}`);
  else {
    const f = en.pdfium.rulesFieldsEqual;
    lines.push(
      `PDFium vs pdf.js text: median word agreement ${en.pdfium.wordAgreementMedian}, same page count ${en.pdfium.samePageCount}/${en.documents}, ` +
        `same kind ${en.pdfium.sameKind}/${en.documents}; rules tier on PDFium's text: ${f.equal}/${f.of} fields equal to those on pdf.js's text (${f.share}); ` +
        `runs with boxes per page: pdf.js ${en.pdfium.runsPerPage.pdfjs}, PDFium ${en.pdfium.runsPerPage.pdfium}; PDFium WebAssembly memory ${en.pdfium.wasmMemoryMiB} MiB`,
    );
    lines.push(`rendering page 1 at 1024 px to PNG, in process, ${en.render.pages} pages: pdf.js ${en.render.pdfjsMsPerPage} ms/page, PDFium ${en.render.pdfiumMsPerPage} ms/page`);
  }
  const big = rep.bigDocuments;
  if (big) {
    lines.push('');
    lines.push('big documents — generated text PDFs (40 lines a page), guarded parse on a warm pooled thread, each in a process of its own');
    lines.push(
      table(
        ['pages', 'file MiB', 'guarded parse ms', 'ms/page', 'pdftotext ms/page'],
        big.sizes.map((b) => [b.pages, b.fileMiB, b.guardedMs, b.guardedMsPerPage, b.pdftotextMsPerPage]),
      ),
    );
    lines.push(
      `linearity (ms/page at ${big.sizes[big.sizes.length - 1]?.pages} pages ÷ at ${big.sizes[0]?.pages}): ${big.linearity}; ` +
        `RSS of a process parsing the largest (guarded, cold then warm): ${big.rssMiB.peak} MiB peak (${big.rssMiB.before} at its start); ` +
        `its result (text + boxes) ${big.resultMiB} MiB as JSON`,
    );
    lines.push(
      `${big.overLimit.pages}-page PDF against the page limit of ${big.overLimit.maxPages}: ${big.overLimit.code ?? 'NOT refused'} after ${big.overLimit.refusedMs} ms (generating it took ${big.overLimit.generateMs} ms)`,
    );
  }
  if (rep.e2e) {
    const e = rep.e2e;
    lines.push('');
    lines.push(`end to end — embedded PostgreSQL + Temporal dev server + in-process worker, ${e.documents} documents (${e.invoices} invoices, ${e.ndas} NDAs), ${e.concurrency} at a time`);
    lines.push(
      table(
        ['', 'value'],
        [
          ['services start-up (s)', e.startupSec],
          ['warm-up document (s, not counted)', e.warmupDocSec],
          ['wall time (s)', e.wallSec],
          ['documents/minute', e.docsPerMinute],
          ['ingest → settled mean (s)', e.latencySec.mean],
          ['ingest → settled p50 (s)', e.latencySec.p50],
          ['ingest → settled p95 (s)', e.latencySec.p95],
          ['ingest → settled max (s)', e.latencySec.max],
          ['in-process path, same documents (ms/doc)', e.inProcessMsPerDoc],
          ['wall per doc ÷ in-process per doc', e.throughputOverhead === null ? null : `${e.throughputOverhead}×`],
          ['mean latency ÷ in-process per doc', e.latencyOverhead === null ? null : `${e.latencyOverhead}×`],
          ['CPU ms/doc: Temporal dev server', e.cpuMsPerDoc.temporal],
          ['CPU ms/doc: PostgreSQL (postmaster + backends)', e.cpuMsPerDoc.postgres],
          ['CPU ms/doc: docroute (worker, client, pdf.js threads)', e.cpuMsPerDoc.docroute],
          ['CPU ms/doc: all ÷ in-process path ms/doc', e.cpuMsPerDoc.totalVsInProcess === null ? null : `${e.cpuMsPerDoc.total} ms, ${e.cpuMsPerDoc.totalVsInProcess}×`],
          ['shutdown (s)', e.shutdownSec],
        ],
      ),
    );
    lines.push(`statuses: ${Object.entries(e.statuses).map(([k, v]) => `${v} ${k}`).join(', ')}`);
    if (e.bigDocument) {
      const b = e.bigDocument;
      lines.push(`a ${b.pages}-page text PDF alone: ingest → ${b.status} in ${b.latencySec} s; workflow history ${b.historyEvents} events, ${b.historyKiB} KiB as JSON`);
    }
  }
  const ra = rep.ratios;
  const x = (v: number | null) => (v === null ? 'not measured' : `${v}×`);
  lines.push('');
  lines.push('ratios');
  lines.push(
    table(
      ['', 'value', 'target'],
      [
        ['guarded parse ÷ pdftotext, per page', x(ra.guardedParseVsPdftotextPerPage), '≤ 1.5×'],
        ['guarded parse ÷ in-process parse', x(ra.guardedVsInProcessParse), '≤ 1.2×'],
        [`e2e ingest → settled p50 ÷ in-process p50${rep.e2e ? ` (concurrency ${rep.e2e.concurrency})` : ''}`, x(ra.e2eLatencyVsInProcess), '≤ 1.5× at concurrency 1'],
        ['e2e docs/s ÷ in-process docs/s', x(ra.e2eThroughputVsInProcess), '≥ 0.9×'],
      ],
    ),
  );
  return lines.join('\n') + '\n';
}

await main();
