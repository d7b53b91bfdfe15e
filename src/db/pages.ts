import type { TextItem } from '../pdf/text-items.ts';
import type { Db } from './database.ts';

/**
 * The text runs of some of a document's pages, by page number. Pages parsed
 * before positions were stored (items null) and scanned pages without runs are
 * left out.
 */
export async function loadPageItems(db: Db, documentId: string, pageNumbers: readonly number[]): Promise<Map<number, TextItem[]>> {
  const wanted = [...new Set(pageNumbers)];
  const out = new Map<number, TextItem[]>();
  if (wanted.length === 0) return out;
  const rows = await db
    .selectFrom('pages')
    .select(['page_number', 'items'])
    .where('document_id', '=', documentId)
    .where('page_number', 'in', wanted)
    .execute();
  for (const r of rows) if (r.items && r.items.length > 0) out.set(r.page_number, r.items);
  return out;
}

/** A page's displayed size in points and its count, for the console's page viewer. */
export async function loadPageSizes(db: Db, documentId: string): Promise<{ page: number; width: number | null; height: number | null }[]> {
  const rows = await db
    .selectFrom('pages')
    .select(['page_number', 'width', 'height'])
    .where('document_id', '=', documentId)
    .orderBy('page_number')
    .execute();
  return rows.map((r) => ({ page: r.page_number, width: r.width, height: r.height }));
}
