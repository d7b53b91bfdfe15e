import { openRuntime } from '../../app/runtime.ts';
import { describeDocument } from '../../app/document-view.ts';
import { findDocument } from '../../db/documents.ts';
import { rerunDocument } from '../../ingest/runs.ts';
import { waitForDocument } from '../../ingest/ingest.ts';
import type { CliContext } from '../main.ts';
import { printDocumentLine } from '../render.ts';
import { isLocalMode } from './ingest.ts';

/**
 * `docroute reprocess <id>… [--wait] [--json]` (a new run after a rule, model or
 * configuration change: a new record version, linked to the run before in the
 * audit timeline) and `docroute retry <id>…` (the same, for documents that
 * stalled, were cancelled or failed). Output as `ingest`: one line (or JSON
 * object) per document. Exit code 1 when any could not be started.
 */
export async function rerunCommand(
  ctx: CliContext,
  reason: 'reprocess' | 'retry',
  refs: string[],
  opts: { wait?: boolean; json?: boolean },
): Promise<void> {
  const local = isLocalMode(ctx);
  const runtime = await openRuntime(ctx.config, ctx.log, { worker: local });
  let refused = 0;
  try {
    for (const ref of refs) {
      const doc = await findDocument(runtime.db, ref);
      const outcome = doc
        ? await rerunDocument(runtime, doc.id, { reason, requestedBy: `cli:${process.env.USER ?? 'unknown'}` })
        : ({ ok: false, code: 'not_found', message: `no document matches ${ref}` } as const);
      if (!outcome.ok) {
        refused += 1;
        if (opts.json) process.stdout.write(JSON.stringify({ ref, status: 'refused', error: outcome.message }) + '\n');
        else process.stdout.write(`refused     ${ref}: ${outcome.message}\n`);
        continue;
      }
      if (opts.wait || local) await waitForDocument(runtime, outcome.workflowId);
      const view = await describeDocument(runtime.db, outcome.documentId);
      if (opts.json) process.stdout.write(JSON.stringify({ ...view, run: { number: outcome.runNumber, runId: outcome.runId, previousRunId: outcome.previousRunId } }) + '\n');
      else printDocumentLine(view);
    }
  } finally {
    await runtime.close();
  }
  if (refused > 0) process.exitCode = 1;
}
