import { listRecentDocuments } from '../../db/document-list.ts';
import type { DocumentStatusColumn } from '../../db/schema.ts';
import type { CliContext } from '../main.ts';
import { withDb } from '../with-db.ts';

/** `docroute list [--status S] [--limit N] [--json]`: recent documents, newest first, to find an id. */
export async function listCommand(ctx: CliContext, opts: { status?: string; limit?: string; json?: boolean }): Promise<void> {
  const limit = Number(opts.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new Error(`--limit must be an integer from 1 to 10000, got "${opts.limit}"`);
  const items = await withDb(ctx, (db) => listRecentDocuments(db, { status: opts.status as DocumentStatusColumn | undefined, limit }));
  if (opts.json) {
    for (const item of items) process.stdout.write(JSON.stringify(item) + '\n');
    return;
  }
  if (!items.length) {
    process.stdout.write(opts.status ? `No documents in status ${opts.status}.\n` : 'No documents yet. Try: docroute demo, or docroute ingest <file.pdf>\n');
    return;
  }
  const rows = items.map((d) => [
    d.documentId,
    d.createdAt.slice(0, 16).replace('T', ' '),
    d.status,
    d.kind ?? '-',
    d.total ?? (d.parties ? d.parties.join('; ') : '-'),
    d.file,
  ]);
  const header = ['ID', 'RECEIVED (UTC)', 'STATUS', 'KIND', 'TOTAL / PARTIES', 'FILE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const r of [header, ...rows]) {
    process.stdout.write(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ') + '\n');
  }
}
