import type { Kysely } from 'kysely';

/**
 * Evidence boxes: where each value's quote sits on its page, located in the
 * PDF's text layer when the record version is written. A jsonb array of
 * { x, y, w, h } (0–1 of the page from its top-left), one per line of the quote;
 * null when the quote could not be located (or the page has no text layer).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('field_evidence').addColumn('boxes', 'jsonb').execute();
  await db.schema.alterTable('invoice_lines').addColumn('boxes', 'jsonb').execute();
  await db.schema.alterTable('contract_parties').addColumn('boxes', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('field_evidence').dropColumn('boxes').execute();
  await db.schema.alterTable('invoice_lines').dropColumn('boxes').execute();
  await db.schema.alterTable('contract_parties').dropColumn('boxes').execute();
}
