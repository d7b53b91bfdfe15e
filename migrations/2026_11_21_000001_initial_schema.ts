import { sql, type Kysely } from 'kysely';

/**
 * The initial schema: documents and their originals, page text, every extraction
 * attempt and routing decision, the records (invoices, contracts) with their
 * evidence, and validation results.
 *
 * Frozen in time: this file uses `Kysely<any>` and imports no application code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  // Originals, content-addressed. A document whose file was refused (too large) has no blob.
  await db.schema
    .createTable('blobs')
    .addColumn('sha256', 'text', (c) => c.primaryKey())
    .addColumn('content', 'bytea', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('documents')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('sha256', 'text', (c) => c.notNull().unique())
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'bigint', (c) => c.notNull())
    .addColumn('media_type', 'text')
    .addColumn('page_count', 'integer')
    .addColumn('image_only_pages', sql`integer[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('token_count', 'integer')
    .addColumn('token_count_estimated', 'boolean')
    .addColumn('kind', 'text', (c) => c.check(sql`kind in ('invoice', 'contract', 'other')`))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('received')
        .check(sql`status in ('received', 'processing', 'extracted', 'needs_review', 'failed')`),
    )
    .addColumn('error', 'text')
    .addColumn('review_reasons', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('route', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('confidence', sql`numeric(5,4)`)
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('documents_status_idx').on('documents').columns(['status', 'created_at']).execute();
  await db.schema.createIndex('documents_kind_idx').on('documents').columns(['kind', 'created_at']).execute();
  await db.schema.createIndex('documents_created_at_idx').on('documents').column('created_at').execute();

  // Every time a file arrived (the same content may arrive many times, under other names).
  await db.schema
    .createTable('document_uploads')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('document_id', 'uuid', (c) => c.notNull().references('documents.id').onDelete('cascade'))
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('duplicate', 'boolean', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('document_uploads_document_idx').on('document_uploads').column('document_id').execute();

  await db.schema
    .createTable('pages')
    .addColumn('document_id', 'uuid', (c) => c.notNull().references('documents.id').onDelete('cascade'))
    .addColumn('page_number', 'integer', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('image_only', 'boolean', (c) => c.notNull())
    .addColumn('token_estimate', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pages_pk', ['document_id', 'page_number'])
    .execute();

  await db.schema
    .createTable('extraction_attempts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('document_id', 'uuid', (c) => c.notNull().references('documents.id').onDelete('cascade'))
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('activity_id', 'text', (c) => c.notNull())
    .addColumn('activity_attempt', 'integer', (c) => c.notNull())
    .addColumn('tier', 'text', (c) => c.notNull().check(sql`tier in ('flash', 'pro')`))
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('prompt_version', 'text')
    .addColumn('prompt_hash', 'text')
    .addColumn('chunk_index', 'integer')
    .addColumn('page_from', 'integer', (c) => c.notNull())
    .addColumn('page_to', 'integer', (c) => c.notNull())
    .addColumn('input_tokens', 'integer', (c) => c.notNull())
    .addColumn('output_tokens', 'integer', (c) => c.notNull())
    .addColumn('cached_tokens', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tokens_estimated', 'boolean', (c) => c.notNull())
    .addColumn('cost_usd', sql`numeric(14,6)`, (c) => c.notNull())
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('ok', 'invalid', 'failed')`))
    .addColumn('error', 'text')
    .addColumn('result', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // One row per Temporal activity attempt: a retry is a new attempt (and a new row), a
  // re-delivery of the same attempt is not.
  await db.schema
    .createIndex('extraction_attempts_activity_uq')
    .on('extraction_attempts')
    .columns(['workflow_id', 'run_id', 'activity_id', 'activity_attempt'])
    .unique()
    .execute();
  await db.schema
    .createIndex('extraction_attempts_document_idx')
    .on('extraction_attempts')
    .columns(['document_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('extraction_attempts_created_idx')
    .on('extraction_attempts')
    .columns(['created_at', 'tier'])
    .execute();

  await db.schema
    .createTable('routing_decisions')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('document_id', 'uuid', (c) => c.notNull().references('documents.id').onDelete('cascade'))
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('inputs', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('routing_decisions_step_uq', ['workflow_id', 'run_id', 'sequence'])
    .execute();
  await db.schema.createIndex('routing_decisions_document_idx').on('routing_decisions').column('document_id').execute();

  // A merged, validated candidate, before it becomes a record (or goes to review).
  await db.schema
    .createTable('candidates')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('document_id', 'uuid', (c) => c.notNull().references('documents.id').onDelete('cascade'))
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('fields', 'jsonb', (c) => c.notNull())
    .addColumn('confidence', sql`numeric(5,4)`, (c) => c.notNull())
    .addColumn('checks', 'jsonb', (c) => c.notNull())
    .addColumn('attempt_ids', sql`uuid[]`, (c) => c.notNull())
    .addColumn('possible_duplicate_of', 'uuid', (c) => c.references('documents.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('candidates_stage_uq', ['workflow_id', 'run_id', 'stage'])
    .execute();

  await db.schema
    .createTable('invoices')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('document_id', 'uuid', (c) => c.notNull().references('documents.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('candidate_id', 'uuid', (c) => c.references('candidates.id'))
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('vendor_name', 'text')
    .addColumn('vendor_address', 'text')
    .addColumn('vendor_tax_id', 'text')
    .addColumn('customer_name', 'text')
    .addColumn('invoice_number', 'text')
    .addColumn('issue_date', 'date')
    .addColumn('due_date', 'date')
    .addColumn('currency', sql`char(3)`)
    .addColumn('subtotal', sql`numeric(21,6)`)
    .addColumn('tax_total', sql`numeric(21,6)`)
    .addColumn('total', sql`numeric(21,6)`)
    .addColumn('purchase_order', 'text')
    .addColumn('payment_terms', 'text')
    .addColumn('iban', 'text')
    .addColumn('bic', 'text')
    .addColumn('confidence', sql`numeric(5,4)`, (c) => c.notNull())
    .addColumn('possible_duplicate_of', 'uuid', (c) => c.references('documents.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('invoices_document_version_uq', ['document_id', 'version'])
    .execute();
  await sql`create index invoices_vendor_idx on invoices (lower(vendor_name) text_pattern_ops)`.execute(db);
  await db.schema.createIndex('invoices_number_idx').on('invoices').column('invoice_number').execute();
  await db.schema.createIndex('invoices_issue_date_idx').on('invoices').column('issue_date').execute();
  await db.schema.createIndex('invoices_due_date_idx').on('invoices').column('due_date').execute();
  await db.schema.createIndex('invoices_total_idx').on('invoices').column('total').execute();

  await db.schema
    .createTable('invoice_lines')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('invoice_id', 'uuid', (c) => c.notNull().references('invoices.id').onDelete('cascade'))
    .addColumn('line_number', 'integer', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('quantity', sql`numeric(21,6)`)
    .addColumn('unit_price', sql`numeric(21,6)`)
    .addColumn('amount', sql`numeric(21,6)`)
    .addColumn('confidence', sql`numeric(5,4)`, (c) => c.notNull())
    .addColumn('page', 'integer')
    .addColumn('quote', 'text')
    .addUniqueConstraint('invoice_lines_number_uq', ['invoice_id', 'line_number'])
    .execute();

  await db.schema
    .createTable('contracts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('document_id', 'uuid', (c) => c.notNull().references('documents.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('candidate_id', 'uuid', (c) => c.references('candidates.id'))
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text')
    .addColumn('effective_date', 'date')
    .addColumn('expiration_date', 'date')
    .addColumn('term_count', 'integer')
    .addColumn('term_unit', 'text')
    .addColumn('governing_law', 'text')
    .addColumn('auto_renewal', 'boolean')
    .addColumn('notice_period_count', 'integer')
    .addColumn('notice_period_unit', 'text')
    .addColumn('payment_terms', 'text')
    .addColumn('confidence', sql`numeric(5,4)`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('contracts_document_version_uq', ['document_id', 'version'])
    .execute();
  await db.schema.createIndex('contracts_effective_idx').on('contracts').column('effective_date').execute();
  await db.schema.createIndex('contracts_expiration_idx').on('contracts').column('expiration_date').execute();
  await sql`create index contracts_law_idx on contracts (lower(governing_law))`.execute(db);

  await db.schema
    .createTable('contract_parties')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('contract_id', 'uuid', (c) => c.notNull().references('contracts.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text')
    .addColumn('confidence', sql`numeric(5,4)`, (c) => c.notNull())
    .addColumn('page', 'integer')
    .addColumn('quote', 'text')
    .execute();
  await sql`create index contract_parties_name_idx on contract_parties (lower(name) text_pattern_ops)`.execute(db);
  await db.schema.createIndex('contract_parties_contract_idx').on('contract_parties').column('contract_id').execute();

  // One row per scalar field of a record version: where the value came from.
  await db.schema
    .createTable('field_evidence')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('document_id', 'uuid', (c) => c.notNull().references('documents.id').onDelete('cascade'))
    .addColumn('record_kind', 'text', (c) => c.notNull())
    .addColumn('record_id', 'uuid', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('value', 'text')
    .addColumn('confidence', sql`numeric(5,4)`, (c) => c.notNull())
    .addColumn('page', 'integer')
    .addColumn('quote', 'text')
    .addColumn('tier', 'text')
    .execute();
  await db.schema.createIndex('field_evidence_record_idx').on('field_evidence').columns(['record_id', 'field']).execute();
  await db.schema.createIndex('field_evidence_document_idx').on('field_evidence').column('document_id').execute();

  await db.schema
    .createTable('validation_results')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('document_id', 'uuid', (c) => c.notNull().references('documents.id').onDelete('cascade'))
    .addColumn('candidate_id', 'uuid', (c) => c.notNull().references('candidates.id').onDelete('cascade'))
    .addColumn('check_name', 'text', (c) => c.notNull())
    .addColumn('passed', 'boolean', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('fields', sql`text[]`, (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('validation_results_document_idx').on('validation_results').column('document_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'validation_results',
    'field_evidence',
    'contract_parties',
    'contracts',
    'invoice_lines',
    'invoices',
    'candidates',
    'routing_decisions',
    'extraction_attempts',
    'pages',
    'document_uploads',
    'documents',
    'blobs',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
