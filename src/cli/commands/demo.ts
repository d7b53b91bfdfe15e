import path from 'node:path';
import { openRuntime } from '../../app/runtime.ts';
import { expandPaths } from '../../ingest/ingest.ts';
import type { CliContext } from '../main.ts';
import { printRecord } from '../render.ts';
import { ingestAndReport, isLocalMode } from './ingest.ts';

/** Processes the sample documents in samples/ and shows what was extracted. */
export async function demoCommand(ctx: CliContext, opts: { json?: boolean }): Promise<void> {
  const files = await expandPaths([path.join(ctx.config.projectRoot, 'samples')]);
  if (!opts.json) {
    process.stdout.write(`docroute demo: ${files.length} sample documents from samples/\n`);
    process.stdout.write(`(first run: starts Temporal and PostgreSQL under ${ctx.config.dataDir}; may install the Temporal CLI)\n\n`);
  }
  const runtime = await openRuntime(ctx.config, ctx.log, { worker: isLocalMode(ctx) });
  try {
    const views = await ingestAndReport(runtime, files, { wait: true, json: Boolean(opts.json), source: 'demo' });
    if (opts.json) return;
    process.stdout.write('\nRecords in Postgres:\n');
    for (const view of views) {
      process.stdout.write(`\n  ${path.basename(view.file)} — ${view.kind ?? 'unknown'}, ${view.status}, route ${view.route.join('→') || '-'}\n`);
      if (view.record) printRecord(view.record);
      else if (view.candidate) process.stdout.write(`    (in review; candidate confidence ${String(view.candidate.confidence)})\n`);
    }
    process.stdout.write(
      `\nRun \`npx docroute show <documentId>\` for a document's evidence, attempts and routing decisions.\n`,
    );
  } finally {
    await runtime.close();
  }
}
