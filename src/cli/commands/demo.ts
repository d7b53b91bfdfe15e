import path from 'node:path';
import { expandPaths } from '../../ingest/ingest.ts';
import type { CliContext } from '../main.ts';
import { printRecord, routeText } from '../render.ts';
import { ingestAndReport, isLocalMode, noteOfflineTier, openRuntimeSaying } from './ingest.ts';

/** Processes the sample documents in samples/ and shows what was extracted. */
export async function demoCommand(ctx: CliContext, opts: { json?: boolean }): Promise<void> {
  const { files } = await expandPaths([path.join(ctx.config.projectRoot, 'samples')]);
  if (!opts.json) {
    process.stdout.write(`docroute demo: ${files.length} sample documents from samples/\n`);
    process.stdout.write(`(first run: starts Temporal and PostgreSQL under ${ctx.config.dataDir}; may install the Temporal CLI)\n\n`);
    noteOfflineTier(ctx);
  }
  const runtime = await openRuntimeSaying(ctx, { worker: isLocalMode(ctx) });
  try {
    const views = await ingestAndReport(runtime, files, { wait: true, json: Boolean(opts.json), source: 'demo', local: isLocalMode(ctx) });
    if (views.length < files.length || views.some((v) => v.status === 'failed' || v.status === 'stalled')) process.exitCode = 1;
    if (opts.json) return;
    process.stdout.write('\nRecords in Postgres:\n');
    for (const view of views) {
      process.stdout.write(
        `\n  ${path.basename(view.file)} — ${view.kind ?? 'unknown'}, ${view.status}, extracted by ${routeText(view)}\n    id ${view.documentId}\n`,
      );
      if (view.record) printRecord(view.record, view.ranOn);
      else if (view.candidate) process.stdout.write(`    (in review; candidate confidence ${String(view.candidate.confidence)})\n`);
    }
    const example = views.find((v) => v.status === 'extracted') ?? views[0];
    if (example) {
      process.stdout.write(
        `\nA document's evidence, attempts and routing decisions: npx docroute show ${example.documentId}\n` +
          `Every document: npx docroute list\n`,
      );
    }
  } finally {
    await runtime.close();
  }
}
