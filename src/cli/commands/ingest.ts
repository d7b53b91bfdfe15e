import { openRuntime, type AppRuntime } from '../../app/runtime.ts';
import { describeDocument, type DocumentView } from '../../app/document-view.ts';
import { expandPaths, ingestFile, waitForDocument, type IngestedFile } from '../../ingest/ingest.ts';
import type { CliContext } from '../main.ts';
import { createProgress } from '../progress.ts';
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
  const files = await expandPaths(paths);
  if (files.length === 0) throw new Error(`no PDF files found in ${paths.join(', ')}`);
  const local = isLocalMode(ctx);
  if (!opts.json) noteOfflineTier(ctx);
  const runtime = await openRuntime(ctx.config, ctx.log, { worker: local });
  try {
    const views = await ingestAndReport(runtime, files, { wait: Boolean(opts.wait) || local, json: Boolean(opts.json), source: 'cli' });
    if (!opts.json && views.length > 1) printSummary(views);
    if (!opts.json && views.length === 1) process.stdout.write(`\nSee it: docroute show ${views[0]!.documentId}\n`);
    if (views.length < files.length || views.some((v) => v.status === 'failed' || v.status === 'stalled')) process.exitCode = 1;
  } finally {
    await runtime.close();
  }
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
  opts: { wait: boolean; json: boolean; source: string },
): Promise<DocumentView[]> {
  const progress = createProgress(files.length, opts.wait ? 'processing' : 'ingesting');
  const results = await mapLimit(files, 4, async (file) => {
    let ingested: IngestedFile;
    try {
      ingested = await ingestFile(runtime, file, opts.source);
    } catch (error) {
      progress.tick('unreadable');
      return { file, error: error instanceof Error ? error.message : String(error) };
    }
    if (opts.wait) {
      const result = await waitForDocument(runtime, ingested.workflowId).catch((error: unknown) => ({
        status: 'failed',
        error: String(error),
      }));
      progress.tick(result.status);
    } else {
      progress.tick(ingested.started ? 'started' : 'known');
    }
    return { file, ingested };
  });
  progress.end();
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

