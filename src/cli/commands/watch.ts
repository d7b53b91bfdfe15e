import { promises as fs } from 'node:fs';
import path from 'node:path';
import { openRuntime } from '../../app/runtime.ts';
import { describeDocument } from '../../app/document-view.ts';
import { ingestFile, waitForDocument } from '../../ingest/ingest.ts';
import { ACCEPTED_FILE_NAME } from '../../ingest/sniff.ts';
import type { CliContext } from '../main.ts';
import { printDocumentLine } from '../render.ts';
import { isLocalMode } from './ingest.ts';
import { untilSignal } from '../until-signal.ts';

/**
 * The inbox: every PDF that appears in the directory is ingested once. A file is
 * taken only when its size and mtime are the same on two looks in a row, so a
 * file still being copied in is not read half-written. Files are never moved or
 * deleted; the same content dropped again (under any name) starts nothing new.
 */
export async function watchCommand(ctx: CliContext, dir: string, opts: { interval: string }): Promise<void> {
  const intervalMs = Math.max(0.2, Number(opts.interval) || 2) * 1000;
  const stat = await fs.stat(dir).catch(() => null);
  if (!stat?.isDirectory()) throw new Error(`${dir} is not a directory`);
  const runtime = await openRuntime(ctx.config, ctx.log, { worker: isLocalMode(ctx) });
  const seen = new Map<string, string>(); // path → "size:mtime" when ingested
  const pending = new Map<string, string>(); // path → "size:mtime" at the last look
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  process.stdout.write(`watching ${path.resolve(dir)} for PDFs and e-invoice XML files (Ctrl-C to stop)\n`);

  const take = async (file: string) => {
    try {
      const ingested = await ingestFile(runtime, file, 'watch');
      const result = await waitForDocument(runtime, ingested.workflowId);
      const view = await describeDocument(runtime.db, result.documentId, file);
      printDocumentLine(view, ingested);
    } catch (error) {
      ctx.log.error('could not ingest', { file, error: error instanceof Error ? error.message : String(error) });
    }
  };

  const look = async () => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isFile() || !ACCEPTED_FILE_NAME.test(e.name)) continue;
      const file = path.join(dir, e.name);
      const s = await fs.stat(file).catch(() => null);
      if (!s) continue;
      const signature = `${s.size}:${s.mtimeMs}`;
      if (seen.get(file) === signature) continue;
      if (pending.get(file) !== signature) {
        pending.set(file, signature);
        continue;
      }
      pending.delete(file);
      seen.set(file, signature);
      const job = take(file).finally(() => inFlight.delete(job));
      inFlight.add(job);
    }
  };

  const loop = (async () => {
    while (!stopped) {
      await look();
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  await untilSignal();
  stopped = true;
  await loop;
  await Promise.allSettled(inFlight);
  await runtime.close();
}
