import type { Kysely } from 'kysely';

/**
 * The e-invoice's specification identifier (BT-24: an XRechnung version, a
 * Factur-X / ZUGFeRD profile) becomes a field of the invoice record, beside the
 * other fields only the exact tier reads (document type, buyer reference …).
 * Null for records read from text.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('invoices').addColumn('profile', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('invoices').dropColumn('profile').execute();
}
