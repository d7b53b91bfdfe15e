import type { Kysely } from 'kysely';

/**
 * Where the text sits on each page (pdf.js text runs with page-relative boxes)
 * and the page's displayed size: evidence boxes and layout-aware rules read them.
 * Null for pages parsed before this migration (re-parse to fill them).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('pages')
    .addColumn('items', 'jsonb')
    .addColumn('width', 'real')
    .addColumn('height', 'real')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('pages').dropColumn('items').dropColumn('width').dropColumn('height').execute();
}
