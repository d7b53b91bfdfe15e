import { sql, type Transaction } from 'kysely';
import type { Insertable } from 'kysely';
import type { ContractRow, ContractsTable, Database, InvoiceRow, InvoicesTable } from './schema.ts';
import type { ContractExtraction, Duration, Extracted, FieldRegistry, InvoiceExtraction, RecordValues, RegistryColumns } from '../../schemas/index.ts';
import { CONTRACT_FIELDS, CONTRACT_SCALAR_FIELDS, INVOICE_FIELDS, INVOICE_SCALAR_FIELDS } from '../../schemas/index.ts';
import type { Db } from './database.ts';
import { loadPageItems } from './pages.ts';
import { locateQuote, type EvidenceBox } from '../evidence/locate.ts';
import { superseded } from './versions.ts';

/** Who produced a record version: a model tier's extraction, or a person's correction. */
export interface RecordProvenance {
  documentId: string;
  candidateId: string | null;
  workflowId: string;
  runId: string;
  source: string;
  confidence: number;
  /** The tier whose output the fields came from, stored with each field's evidence. */
  tier: string | null;
  /** The Temporal activity writing the record, for the audit trail. */
  activityId?: string | null;
}

type Trx = Transaction<Database>;

/**
 * Writes a new version of a document's invoice record, with its lines and per-field
 * evidence. Records are immutable: every extraction or correction is a new version.
 */
export async function insertInvoiceVersion(
  trx: Trx,
  fields: InvoiceExtraction,
  provenance: RecordProvenance,
  possibleDuplicateOf: string | null,
): Promise<{ id: string; version: number }> {
  const version = await nextVersion(trx, 'invoices', provenance.documentId);
  const boxes = await boxLocator(trx, provenance.documentId, [
    ...INVOICE_SCALAR_FIELDS.map((name) => fields[name]?.evidence ?? null),
    ...fields.lineItems.map((l) => l.evidence),
  ]);
  const { id } = await trx
    .insertInto('invoices')
    .values({
      document_id: provenance.documentId,
      version,
      source: provenance.source,
      candidate_id: provenance.candidateId,
      workflow_id: provenance.workflowId,
      run_id: provenance.runId,
      activity_id: provenance.activityId ?? null,
      ...(toColumns(INVOICE_FIELDS, fields) as InvoiceColumns),
      confidence: provenance.confidence.toFixed(4),
      possible_duplicate_of: possibleDuplicateOf,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (fields.lineItems.length > 0) {
    await trx
      .insertInto('invoice_lines')
      .values(
        fields.lineItems.map((line, i) => ({
          invoice_id: id,
          line_number: i + 1,
          description: line.description,
          quantity: line.quantity,
          unit_price: line.unitPrice,
          amount: line.amount,
          vat_rate: line.vatRate ?? null,
          confidence: line.confidence.toFixed(4),
          page: line.evidence?.page ?? null,
          quote: line.evidence?.quote ?? null,
          path: line.evidence?.path ?? null,
          boxes: boxesJson(boxes(line.evidence)),
        })),
      )
      .execute();
  }
  const vat = fields.vatBreakdown ?? [];
  if (vat.length > 0) {
    await trx
      .insertInto('invoice_vat_breakdown')
      .values(
        vat.map((entry, i) => ({
          invoice_id: id,
          position: i + 1,
          category: entry.category,
          rate: entry.rate,
          taxable_amount: entry.taxableAmount,
          tax_amount: entry.taxAmount,
          confidence: entry.confidence.toFixed(4),
          page: entry.evidence?.page ?? null,
          quote: entry.evidence?.quote ?? null,
          path: entry.evidence?.path ?? null,
        })),
      )
      .execute();
  }
  await insertEvidence(
    trx,
    'invoice',
    id,
    provenance,
    // Exact-only fields a tier did not read are not in the record: no evidence row.
    INVOICE_SCALAR_FIELDS.flatMap((name): [string, Extracted<unknown>][] => {
      const field = fields[name];
      return field ? [[name, field]] : [];
    }),
    boxes,
  );
  return { id, version };
}

export async function insertContractVersion(
  trx: Trx,
  fields: ContractExtraction,
  provenance: RecordProvenance,
): Promise<{ id: string; version: number }> {
  const version = await nextVersion(trx, 'contracts', provenance.documentId);
  const boxes = await boxLocator(trx, provenance.documentId, [
    ...CONTRACT_SCALAR_FIELDS.map((name) => fields[name].evidence),
    ...fields.parties.map((p) => p.evidence),
  ]);
  const { id } = await trx
    .insertInto('contracts')
    .values({
      document_id: provenance.documentId,
      version,
      source: provenance.source,
      candidate_id: provenance.candidateId,
      workflow_id: provenance.workflowId,
      run_id: provenance.runId,
      activity_id: provenance.activityId ?? null,
      ...(toColumns(CONTRACT_FIELDS, fields) as ContractColumns),
      confidence: provenance.confidence.toFixed(4),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (fields.parties.length > 0) {
    await trx
      .insertInto('contract_parties')
      .values(
        fields.parties.map((party, i) => ({
          contract_id: id,
          position: i + 1,
          name: party.name,
          role: party.role,
          confidence: party.confidence.toFixed(4),
          page: party.evidence?.page ?? null,
          quote: party.evidence?.quote ?? null,
          boxes: boxesJson(boxes(party.evidence)),
        })),
      )
      .execute();
  }
  await insertEvidence(trx, 'contract', id, provenance, CONTRACT_SCALAR_FIELDS.map((name) => [name, fields[name]]), boxes);
  return { id, version };
}

/**
 * The column map, from the field registries: a record's field values as the
 * columns of its table (a duration as its count and unit columns; an exact-only
 * field the record does not carry as null) ...
 */
function toColumns(registry: FieldRegistry, fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(registry)) {
    const value = (fields[name] as Extracted<unknown> | undefined)?.value ?? null;
    if (typeof spec.column === 'string') {
      out[spec.column] = value;
    } else {
      const duration = value as Duration | null;
      out[spec.column.count] = duration?.count ?? null;
      out[spec.column.unit] = duration?.unit ?? null;
    }
  }
  return out;
}

/** ... and back: a row's columns as field values (amounts without the numeric column's padding). */
function fromColumns(registry: FieldRegistry, row: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(registry)) {
    if (typeof spec.column === 'string') {
      const value = row[spec.column];
      out[name] = spec.type === 'money' ? trimDecimal(value as string | null) : value;
    } else {
      const count = row[spec.column.count] as number | null;
      out[name] = count !== null ? { count, unit: row[spec.column.unit] as string | null } : null;
    }
  }
  return out;
}

// Every column a registry names is a column of its table (the compiler checks).
type InvoiceColumns = Pick<Insertable<InvoicesTable>, RegistryColumns<typeof INVOICE_FIELDS>>;
type ContractColumns = Pick<Insertable<ContractsTable>, RegistryColumns<typeof CONTRACT_FIELDS>>;

type BoxLocator = (evidence: { page: number; quote: string } | null) => EvidenceBox[] | null;

/**
 * Locates evidence quotes on the document's pages (their stored text runs):
 * loads the cited pages once, then answers per quote. Null for no evidence,
 * a page without runs, or a quote not on its page.
 */
async function boxLocator(
  trx: Trx,
  documentId: string,
  evidence: readonly ({ page: number; quote: string } | null)[],
): Promise<BoxLocator> {
  const pages = await loadPageItems(
    trx,
    documentId,
    evidence.flatMap((e) => (e ? [e.page] : [])),
  );
  return (e) => {
    const items = e ? pages.get(e.page) : undefined;
    return e && items ? locateQuote(items, e.quote) : null;
  };
}

const boxesJson = (boxes: EvidenceBox[] | null): string | null => (boxes ? JSON.stringify(boxes) : null);

async function nextVersion(trx: Trx, table: 'invoices' | 'contracts', documentId: string): Promise<number> {
  // Serialise concurrent writers of the same document's versions.
  await sql`select pg_advisory_xact_lock(hashtext(${table + ':' + documentId}))`.execute(trx);
  const row = await trx
    .selectFrom(table)
    .select((eb) => eb.fn.max<number | null>('version').as('max'))
    .where('document_id', '=', documentId)
    .executeTakeFirst();
  return (row?.max ?? 0) + 1;
}

async function insertEvidence(
  trx: Trx,
  recordKind: 'invoice' | 'contract',
  recordId: string,
  provenance: RecordProvenance,
  fields: [string, Extracted<unknown>][],
  boxes: BoxLocator,
): Promise<void> {
  const rows = fields
    .filter(([, f]) => f.value !== null)
    .map(([name, f]) => ({
      document_id: provenance.documentId,
      record_kind: recordKind,
      record_id: recordId,
      field: name,
      value: typeof f.value === 'string' ? f.value : JSON.stringify(f.value),
      confidence: f.confidence.toFixed(4),
      page: f.evidence?.page ?? null,
      quote: f.evidence?.quote ?? null,
      tier: provenance.tier,
      path: f.evidence?.path ?? null,
      boxes: boxesJson(boxes(f.evidence)),
    }));
  if (rows.length > 0) await trx.insertInto('field_evidence').values(rows).execute();
}

/** Where a record's scalar field was read, with the tier that read it. */
export type FieldEvidenceView = {
  confidence: number;
  page: number | null;
  quote: string | null;
  tier: string | null;
  /** For a value read from an e-invoice: the XML element path. */
  path?: string | null;
  /** Where the quote sits on its page (one box per line, 0–1 from the top-left); null when it could not be located. */
  boxes: EvidenceBox[] | null;
};

/** A line item's, party's or VAT entry's evidence: its quote on its page, where it sits, and the XML path for e-invoices. */
export type ItemEvidenceView = { page: number; quote: string; path?: string; boxes: EvidenceBox[] | null };

/** An invoice record version as API clients and the CLI show it (without its lines and evidence). */
export type InvoiceRecordFields = {
  kind: 'invoice';
  id: string;
  version: number;
  source: string;
  confidence: number;
  possibleDuplicateOf: string | null;
} & RecordValues<typeof INVOICE_FIELDS>;

export type InvoiceLineView = {
  description: string;
  quantity: string | null;
  unitPrice: string | null;
  amount: string | null;
  vatRate: string | null;
  confidence: number;
  evidence: ItemEvidenceView | null;
};

export type VatBreakdownView = {
  category: string | null;
  rate: string | null;
  taxableAmount: string | null;
  taxAmount: string | null;
  confidence: number;
  evidence: ItemEvidenceView | null;
};

export type InvoiceRecordView = InvoiceRecordFields & {
  lineItems: InvoiceLineView[];
  vatBreakdown: VatBreakdownView[];
  evidence: Record<string, FieldEvidenceView>;
};

export type ContractPartyView = {
  name: string;
  role: string | null;
  confidence: number;
  evidence: ItemEvidenceView | null;
};

/** A contract record version as API clients and the CLI show it (without its parties and evidence). */
export type ContractRecordFields = {
  kind: 'contract';
  id: string;
  version: number;
  source: string;
  confidence: number;
} & RecordValues<typeof CONTRACT_FIELDS>;

export type ContractRecordView = ContractRecordFields & {
  parties: ContractPartyView[];
  evidence: Record<string, FieldEvidenceView>;
};

export type RecordView = InvoiceRecordView | ContractRecordView;

/** An invoice row's scalar fields in the shape clients see (amounts as exact decimals). */
export function invoiceRecordFields(invoice: InvoiceRow): InvoiceRecordFields {
  return {
    kind: 'invoice',
    id: invoice.id,
    version: invoice.version,
    source: invoice.source,
    confidence: Number(invoice.confidence),
    possibleDuplicateOf: invoice.possible_duplicate_of,
    ...(fromColumns(INVOICE_FIELDS, invoice) as RecordValues<typeof INVOICE_FIELDS>),
  };
}

/** A contract row's scalar fields in the shape clients see. */
export function contractRecordFields(contract: ContractRow): ContractRecordFields {
  return {
    kind: 'contract',
    id: contract.id,
    version: contract.version,
    source: contract.source,
    confidence: Number(contract.confidence),
    ...(fromColumns(CONTRACT_FIELDS, contract) as RecordValues<typeof CONTRACT_FIELDS>),
  };
}

/** An invoice version with its lines and per-field evidence. */
export async function loadInvoiceRecord(db: Db, invoice: InvoiceRow): Promise<InvoiceRecordView> {
  const lines = await db
    .selectFrom('invoice_lines')
    .select(['line_number', 'description', 'quantity', 'unit_price', 'amount', 'vat_rate', 'confidence', 'page', 'quote', 'path', 'boxes'])
    .where('invoice_id', '=', invoice.id)
    .orderBy('line_number')
    .execute();
  const vat = await db
    .selectFrom('invoice_vat_breakdown')
    .selectAll()
    .where('invoice_id', '=', invoice.id)
    .orderBy('position')
    .execute();
  const evidence = await loadEvidence(db, invoice.id);
  const quoteEvidence = (r: { page: number | null; quote: string | null; path: string | null; boxes?: EvidenceBox[] | null }): ItemEvidenceView | null =>
    r.page !== null && r.quote !== null ? { page: r.page, quote: r.quote, ...(r.path ? { path: r.path } : {}), boxes: r.boxes ?? null } : null;
  return {
    ...invoiceRecordFields(invoice),
    lineItems: lines.map((l) => ({
      description: l.description,
      quantity: trimDecimal(l.quantity),
      unitPrice: trimDecimal(l.unit_price),
      amount: trimDecimal(l.amount),
      vatRate: trimDecimal(l.vat_rate),
      confidence: Number(l.confidence),
      evidence: quoteEvidence(l),
    })),
    vatBreakdown: vat.map((v) => ({
      category: v.category,
      rate: trimDecimal(v.rate),
      taxableAmount: trimDecimal(v.taxable_amount),
      taxAmount: trimDecimal(v.tax_amount),
      confidence: Number(v.confidence),
      evidence: quoteEvidence(v),
    })),
    evidence,
  };
}

/** A contract version with its parties and per-field evidence. */
export async function loadContractRecord(db: Db, contract: ContractRow): Promise<ContractRecordView> {
  const parties = await db
    .selectFrom('contract_parties')
    .select(['name', 'role', 'confidence', 'page', 'quote', 'boxes'])
    .where('contract_id', '=', contract.id)
    .orderBy('position')
    .execute();
  const fields = contractRecordFields(contract);
  // Key order as the CLI prints it: title, parties, then the dates and terms.
  return {
    kind: fields.kind,
    id: fields.id,
    version: fields.version,
    source: fields.source,
    confidence: fields.confidence,
    title: fields.title,
    parties: parties.map((p) => ({
      name: p.name,
      role: p.role,
      confidence: Number(p.confidence),
      evidence: p.page !== null && p.quote !== null ? { page: p.page, quote: p.quote, boxes: p.boxes } : null,
    })),
    effectiveDate: fields.effectiveDate,
    expirationDate: fields.expirationDate,
    term: fields.term,
    governingLaw: fields.governingLaw,
    autoRenewal: fields.autoRenewal,
    noticePeriod: fields.noticePeriod,
    paymentTerms: fields.paymentTerms,
    evidence: await loadEvidence(db, contract.id),
  };
}

/** The latest version of a document's record, in the shape API clients and the CLI show. */
export async function loadLatestRecord(db: Db, documentId: string, kind: 'invoice' | 'contract'): Promise<RecordView | null> {
  if (kind === 'invoice') {
    const invoice = await db
      .selectFrom('invoices as i')
      .selectAll('i')
      .where('i.document_id', '=', documentId)
      .where(({ not }) => not(superseded('invoices', 'i')))
      .executeTakeFirst();
    return invoice ? loadInvoiceRecord(db, invoice) : null;
  }
  const contract = await db
    .selectFrom('contracts as c')
    .selectAll('c')
    .where('c.document_id', '=', documentId)
    .where(({ not }) => not(superseded('contracts', 'c')))
    .executeTakeFirst();
  return contract ? loadContractRecord(db, contract) : null;
}

async function loadEvidence(db: Db, recordId: string): Promise<Record<string, FieldEvidenceView>> {
  const rows = await db
    .selectFrom('field_evidence')
    .select(['field', 'confidence', 'page', 'quote', 'tier', 'path', 'boxes'])
    .where('record_id', '=', recordId)
    .orderBy('field')
    .execute();
  return Object.fromEntries(
    rows.map((r) => [
      r.field,
      { confidence: Number(r.confidence), page: r.page, quote: r.quote, tier: r.tier, ...(r.path ? { path: r.path } : {}), boxes: r.boxes },
    ]),
  );
}

/** "1234.500000" (numeric(21,6)) → "1234.50": exact, padding beyond two decimals dropped. */
export function trimDecimal(value: string | null): string | null {
  if (value === null) return null;
  return value.includes('.') ? value.replace(/(\.\d{2}\d*?)0+$/, '$1') : value;
}
