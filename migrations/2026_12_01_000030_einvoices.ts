import { sql, type Kysely } from 'kysely';

/**
 * E-invoices (XRechnung, ZUGFeRD / Factur-X, Peppol UBL) read exactly from their XML:
 * - the exact tier's attempts are recorded with tier 'xml' (model 'en16931', cost 0);
 * - the invoice record gains the document type (invoice / credit note), the buyer's
 *   address, tax id and reference, and its VAT breakdown (one row per category and rate);
 * - lines gain their VAT rate, and quantities/unit prices keep up to 12 decimals;
 * - evidence read from XML keeps the element path it came from.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table extraction_attempts drop constraint if exists extraction_attempts_tier_check`.execute(db);
  await sql`alter table extraction_attempts add constraint extraction_attempts_tier_check check (tier in ('xml', 'flash', 'pro'))`.execute(db);

  await db.schema
    .alterTable('invoices')
    .addColumn('document_type', 'text', (c) => c.check(sql`document_type in ('invoice', 'credit_note')`))
    .addColumn('customer_address', 'text')
    .addColumn('customer_tax_id', 'text')
    .addColumn('buyer_reference', 'text')
    .execute();

  await db.schema.alterTable('invoice_lines').addColumn('vat_rate', sql`numeric(9,4)`).addColumn('path', 'text').execute();
  await sql`alter table invoice_lines alter column quantity type numeric(27,12), alter column unit_price type numeric(27,12)`.execute(db);

  await db.schema
    .createTable('invoice_vat_breakdown')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('invoice_id', 'uuid', (c) => c.notNull().references('invoices.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('category', 'text')
    .addColumn('rate', sql`numeric(9,4)`)
    .addColumn('taxable_amount', sql`numeric(21,6)`)
    .addColumn('tax_amount', sql`numeric(21,6)`)
    .addColumn('confidence', sql`numeric(5,4)`, (c) => c.notNull())
    .addColumn('page', 'integer')
    .addColumn('quote', 'text')
    .addColumn('path', 'text')
    .addUniqueConstraint('invoice_vat_breakdown_position_uq', ['invoice_id', 'position'])
    .execute();

  await db.schema.alterTable('field_evidence').addColumn('path', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('field_evidence').dropColumn('path').execute();
  await db.schema.dropTable('invoice_vat_breakdown').execute();
  await sql`alter table invoice_lines alter column quantity type numeric(21,6), alter column unit_price type numeric(21,6)`.execute(db);
  await db.schema.alterTable('invoice_lines').dropColumn('vat_rate').dropColumn('path').execute();
  await db.schema
    .alterTable('invoices')
    .dropColumn('document_type')
    .dropColumn('customer_address')
    .dropColumn('customer_tax_id')
    .dropColumn('buyer_reference')
    .execute();
  await sql`delete from extraction_attempts where tier = 'xml'`.execute(db);
  await sql`alter table extraction_attempts drop constraint if exists extraction_attempts_tier_check`.execute(db);
  await sql`alter table extraction_attempts add constraint extraction_attempts_tier_check check (tier in ('flash', 'pro'))`.execute(db);
}
