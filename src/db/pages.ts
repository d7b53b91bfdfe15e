import type { TextItem } from '../pdf/text-items.ts';
import type { PageText } from '../extraction/model-tier.ts';
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

/** A document's page texts with their runs and size (all, or a range), in page order: what the tiers read. */
export async function loadPageTexts(db: Db, documentId: string, range?: { from: number; to: number }): Promise<PageText[]> {
  let query = db
    .selectFrom('pages')
    .select(['page_number', 'text', 'image_only', 'items', 'width', 'height'])
    .where('document_id', '=', documentId);
  if (range) query = query.where('page_number', '>=', range.from).where('page_number', '<=', range.to);
  const rows = await query.orderBy('page_number').execute();
  return rows.map((r) => ({
    pageNumber: r.page_number,
    text: r.text,
    imageOnly: r.image_only,
    ...(r.items ? { items: r.items } : {}),
    ...(r.width !== null && r.height !== null ? { size: { width: r.width, height: r.height } } : {}),
  }));
}

/** Each page's estimated tokens and whether it is a scan, in page order: what pricing a call needs. */
export async function loadPageEstimates(db: Db, documentId: string): Promise<{ pageNumber: number; tokens: number; imageOnly: boolean }[]> {
  const rows = await db
    .selectFrom('pages')
    .select(['page_number', 'token_estimate', 'image_only'])
    .where('document_id', '=', documentId)
    .orderBy('page_number')
    .execute();
  return rows.map((r) => ({ pageNumber: r.page_number, tokens: r.token_estimate, imageOnly: r.image_only }));
}

/** One page as parsed (or, for an XML e-invoice, its one page of XML). */
export interface ParsedPage {
  pageNumber: number;
  text: string;
  imageOnly: boolean;
  tokenEstimate: number;
  items?: TextItem[] | undefined;
  size?: { width: number; height: number } | undefined;
}

/**
 * Replaces a document's pages in one transaction: a retried parse (or a new
 * run) overwrites what an interrupted one wrote.
 */
export async function replacePages(db: Db, documentId: string, pages: readonly ParsedPage[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('pages').where('document_id', '=', documentId).execute();
    if (pages.length === 0) return;
    await trx
      .insertInto('pages')
      .values(
        pages.map((p) => ({
          document_id: documentId,
          page_number: p.pageNumber,
          text: p.text,
          image_only: p.imageOnly,
          token_estimate: p.tokenEstimate,
          items: p.items ? JSON.stringify(p.items) : null,
          width: p.size?.width ?? null,
          height: p.size?.height ?? null,
        })),
      )
      .execute();
  });
}
