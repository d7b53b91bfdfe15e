import { openRuntime, type AppRuntime, type OpenOptions } from '../../app/runtime.ts';
import { onShutdown } from '../../app/shutdown.ts';
import { describeDocument, type DocumentView } from '../../app/document-view.ts';
import { expandPaths, ingestFile, waitForDocument, type IngestedFile, type SkippedPath } from '../../ingest/ingest.ts';
import type { CliContext } from '../main.ts';
import { createProgress, formatDuration } from '../progress.ts';
import { printDocumentLine } from '../render.ts';
import { mapLimit } from '../../util/map-limit.ts';

/** In local mode this process runs the worker, so it must stay until the work is done. */
export function isLocalMode(ctx: CliContext): boolean {
  return ctx.config.temporal.address === undefined;
}

/**
 * `docroute ingest`. Exit code 0 when every document was taken in (and, when
 * waited for, none ended `failed` or `stalled`); 1 when a file could not be read
 * or a document ended `failed` or `stalled` (needs_review is not a failure: a
 * person decides).
 */
export async function ingestCommand(ctx: CliContext, paths: string[], opts: { wait?: boolean; json?: boolean }): Promise<void> {
  const { files, skipped } = await expandPaths(paths);
  reportSkipped(skipped);
  if (files.length === 0) {
    throw new Error(`no PDF or XML files found in ${paths.join(', ')}${skipped.length ? ` (${skipped.length} skipped, see above)` : ''}`);
  }
  const local = isLocalMode(ctx);
  if (!opts.json) noteOfflineTier(ctx);
  const runtime = await openRuntimeSaying(ctx, { worker: local });
  try {
    const views = await ingestAndReport(runtime, files, { wait: Boolean(opts.wait) || local, json: Boolean(opts.json), source: 'cli', local });
    if (!opts.json && views.length > 1) printSummary(views);
    if (!opts.json && views.length === 1) process.stdout.write(`\nSee it: docroute show ${views[0]!.documentId}\n`);
    if (views.length < files.length || views.some((v) => v.status === 'failed' || v.status === 'stalled')) process.exitCode = 1;
  } finally {
    await runtime.close();
  }
}

/** What a folder held that is not ingested, and why: on stderr, before any work (stdout stays one line or JSON object per document). */
export function reportSkipped(skipped: readonly SkippedPath[]): void {
  if (!skipped.length) return;
  process.stderr.write(`skipped ${skipped.length} ${skipped.length === 1 ? 'entry' : 'entries'} (not ingested):\n`);
  for (const s of skipped) process.stderr.write(`  ${s.path}: ${s.reason}\n`);
}

/**
 * openRuntime, saying on stderr what it waits for: in local mode starting (or
 * finding) the embedded PostgreSQL and Temporal dev server takes seconds, on a
 * first run up to a minute or two, and a silent terminal looks hung.
 */
export async function openRuntimeSaying(ctx: CliContext, options: OpenOptions): Promise<AppRuntime> {
  if (!isLocalMode(ctx)) return openRuntime(ctx.config, ctx.log, options);
  const started = performance.now();
  process.stderr.write(
    `starting the local services (PostgreSQL and the Temporal dev server, data in ${ctx.config.dataDir}; reused when already running)` +
      `${options.worker ? ' and a worker' : ''}…\n`,
  );
  const runtime = await openRuntime(ctx.config, ctx.log, options);
  process.stderr.write(`services ready (${formatDuration(performance.now() - started)})\n`);
  return runtime;
}

/**
 * What Ctrl-C (or any stop signal) means for documents not settled yet. In local
 * mode the worker is this process: their runs stop with it, durably recorded in
 * Temporal, and resume when a worker runs again. With a cluster, the cluster's
 * workers carry on without this command.
 */
export function interruptNotice(local: boolean, pending: number, dataDir: string): string {
  if (pending === 0) return '';
  const docs = `${pending} document${pending === 1 ? '' : 's'} in flight`;
  return local
    ? `\ninterrupted: ${docs} stop with this process's worker. Their progress is durable in Temporal (under ${dataDir}): ` +
        'they resume where they stopped the next time docroute runs here (docroute ingest, up or serve).\n'
    : `\ninterrupted: ${docs} continue on the Temporal cluster's workers without this command; follow them with docroute list.\n`;
}

/** Said once per command, on stderr: without GEMINI_API_KEY the offline rules extractor does the work. */
export function noteOfflineTier(ctx: CliContext): void {
  if (ctx.config.gemini.apiKey) return;
  process.stderr.write(
    'note: no GEMINI_API_KEY, so documents are extracted by the offline rules tier ("rules"). ' +
      'Set GEMINI_API_KEY to use Gemini Flash, with Pro for long or uncertain documents.\n',
  );
}

/**
 * Ingests files, optionally waits for each, and prints one line (or one JSON
 * object) per document in input order. A file that cannot even be read is
 * reported with its error; the others go on.
 */
export async function ingestAndReport(
  runtime: AppRuntime,
  files: readonly string[],
  opts: { wait: boolean; json: boolean; source: string; local: boolean },
): Promise<DocumentView[]> {
  const progress = createProgress(files.length, opts.wait ? 'processing' : 'ingesting');
  // Runs before the runtime closes (closers run newest first): says what happens to the rest.
  const unregister = onShutdown(async () => {
    process.stderr.write(interruptNotice(opts.local, opts.wait ? progress.pending : 0, runtime.config.dataDir));
  });
  const results = await mapLimit(files, 4, async (file) => {
    let ingested: IngestedFile;
    try {
      ingested = await ingestFile(runtime, file, opts.source);
    } catch (error) {
      progress.tick('unreadable', file);
      return { file, error: error instanceof Error ? error.message : String(error) };
    }
    if (opts.wait) {
      const result = await waitForDocument(runtime, ingested.workflowId).catch((error: unknown) => ({
        status: 'failed',
        error: String(error),
      }));
      progress.tick(result.status, file);
    } else {
      progress.tick(ingested.started ? 'started' : 'known', file);
    }
    return { file, ingested };
  }).finally(() => {
    unregister();
    progress.end();
  });
  const views: DocumentView[] = [];
  for (const result of results) {
    if ('error' in result) {
      if (opts.json) process.stdout.write(JSON.stringify({ file: result.file, status: 'failed', error: result.error }) + '\n');
      else process.stdout.write(`unreadable  ${result.file}: ${result.error}\n`);
      continue;
    }
    const view = await describeDocument(runtime.db, result.ingested.documentId, result.file);
    views.push(view);
    if (opts.json) process.stdout.write(JSON.stringify(view) + '\n');
    else printDocumentLine(view, result.ingested);
  }
  return views;
}

function printSummary(views: readonly DocumentView[]): void {
  const by = new Map<string, number>();
  for (const v of views) by.set(v.status, (by.get(v.status) ?? 0) + 1);
  process.stdout.write(`\n${views.length} document(s): ${[...by.entries()].map(([s, n]) => `${n} ${s}`).join(', ')}\n`);
}

