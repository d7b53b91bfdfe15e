import { openRuntime } from '../../app/runtime.ts';
import { cancelDocument } from '../../ingest/runs.ts';
import type { CliContext } from '../main.ts';
import { resolveDocumentRef } from '../document-ref.ts';
import { isLocalMode } from './ingest.ts';

/**
 * `docroute cancel <id|path>… [--reason TEXT] [--json]`: cancels each
 * document's running workflow. The run records the document `cancelled`, with
 * who (`cli:$USER`) and why (--reason). One line (or JSON object) per document;
 * exit code 1 when any could not be cancelled (unknown, or no run in progress).
 */
export async function cancelCommand(ctx: CliContext, refs: string[], opts: { reason?: string; json?: boolean }): Promise<void> {
  // In local mode this process is the worker: the cancelled run records its state here.
  const runtime = await openRuntime(ctx.config, ctx.log, { worker: isLocalMode(ctx) });
  let refused = 0;
  try {
    for (const ref of refs) {
      const doc = await resolveDocumentRef(runtime.db, ref).catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
      const outcome =
        typeof doc === 'string'
          ? ({ ok: false, code: 'not_found', message: doc } as const)
          : await cancelDocument(runtime, doc.id, { requestedBy: `cli:${process.env.USER ?? 'unknown'}`, reason: opts.reason?.trim() || null });
      if (!outcome.ok) {
        refused += 1;
        if (opts.json) process.stdout.write(JSON.stringify({ ref, status: 'refused', error: outcome.message }) + '\n');
        else process.stdout.write(`refused     ${ref}: ${outcome.message}\n`);
        continue;
      }
      if (opts.json) process.stdout.write(JSON.stringify({ ref, documentId: outcome.documentId, workflowId: outcome.workflowId, status: outcome.status }) + '\n');
      else process.stdout.write(`${outcome.status.padEnd(11)} ${outcome.documentId}  ${ref}\n`);
    }
  } finally {
    await runtime.close();
  }
  if (refused > 0) process.exitCode = 1;
}
