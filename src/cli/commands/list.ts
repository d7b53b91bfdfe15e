import { listRecentDocuments, type DocumentListItem } from '../../db/document-list.ts';
import type { DocumentStatusColumn } from '../../db/schema.ts';
import { expandPaths, hashFile } from '../../ingest/ingest.ts';
import type { CliContext } from '../main.ts';
import { withDb } from '../with-db.ts';
import { reportSkipped } from './ingest.ts';

/**
 * `docroute list [paths…] [--status S] [--limit N] [--json]`: recent documents,
 * newest first, to find an id; with paths (files or folders), the documents of
 * those files, found by content hash, in the order given, and the files not
 * ingested yet.
 */
export async function listCommand(ctx: CliContext, paths: readonly string[], opts: { status?: string; limit?: string; json?: boolean }): Promise<void> {
  const limit = Number(opts.limit ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new Error(`--limit must be an integer from 1 to 10000, got "${opts.limit}"`);
  const status = opts.status as DocumentStatusColumn | undefined;
  if (paths.length) return listFiles(ctx, paths, status, Boolean(opts.json));
  const items = await withDb(ctx, (db) => listRecentDocuments(db, { status, limit }));
  if (opts.json) {
    for (const item of items) process.stdout.write(JSON.stringify(item) + '\n');
    return;
  }
  if (!items.length) {
    process.stdout.write(opts.status ? `No documents in status ${opts.status}.\n` : 'No documents yet. Try: docroute demo, or docroute ingest <file.pdf>\n');
    return;
  }
  printTable(items.map(row));
}

/** The documents of the given files (by content), in order; a file not ingested says so (with --status, only matching documents). */
async function listFiles(ctx: CliContext, paths: readonly string[], status: DocumentStatusColumn | undefined, json: boolean): Promise<void> {
  const { files, skipped } = await expandPaths(paths);
  reportSkipped(skipped);
  const hashes = await Promise.all(files.map(async (file) => ({ file, sha256: await hashFile(file) })));
  const sha256s = [...new Set(hashes.map((h) => h.sha256))];
  const items = await withDb(ctx, (db) => listRecentDocuments(db, { limit: sha256s.length, sha256s }));
  const bySha = new Map(items.map((i) => [i.sha256, i]));
  const rows: string[][] = [];
  for (const { file, sha256 } of hashes) {
    const item = bySha.get(sha256);
    if (item && status && item.status !== status) continue;
    if (item) {
      if (json) process.stdout.write(JSON.stringify({ path: file, ...item }) + '\n');
      else rows.push([...row(item).slice(0, -1), file]);
    } else if (!status) {
      if (json) process.stdout.write(JSON.stringify({ path: file, sha256, status: 'not_ingested' }) + '\n');
      else rows.push(['-', '-', 'not ingested', '-', '-', file]);
    }
  }
  if (!json) {
    if (rows.length) printTable(rows);
    else process.stdout.write(`No documents in status ${status ?? '?'} among these files.\n`);
  }
}

function row(d: DocumentListItem): string[] {
  return [d.documentId, d.createdAt.slice(0, 16).replace('T', ' '), d.status, d.kind ?? '-', d.total ?? (d.parties ? d.parties.join('; ') : '-'), d.file];
}

function printTable(rows: string[][]): void {
  const header = ['ID', 'RECEIVED (UTC)', 'STATUS', 'KIND', 'TOTAL / PARTIES', 'FILE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const r of [header, ...rows]) {
    process.stdout.write(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ') + '\n');
  }
}
