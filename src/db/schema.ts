import type { ColumnType, Generated, Insertable, JSONColumnType, Selectable, Updateable } from 'kysely';
import type { TextItem } from '../pdf/text-items.ts';
import type { AttemptResult, CandidateChecks, CandidateFields, ReviewChanges, RoutingInputs } from './json-columns.ts';

/**
 * The database as the application sees it. The migrations (migrations/) make it
 * and import none of this; keep the two in step: a migration that adds a column
 * adds it here. Repositories (the other files of src/db/) are the only code that
 * queries it.
 *
 * `pg` returns `numeric` and `bigint` as strings (exact), and `date` as a string
 * because the pool is configured to keep dates as text (see src/db/database.ts).
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Numeric = ColumnType<string, string | number, string | number>;
type BigIntColumn = ColumnType<string, string | number | bigint, string | number | bigint>;
type DateColumn = ColumnType<string, string, string>;
/** A jsonb column: selected as T (parse it with the zod schema in json-columns.ts), written as JSON text. */
type Json<T extends object> = JSONColumnType<T, string, string>;

export type DocumentKindColumn = 'invoice' | 'contract' | 'other';
export type DocumentStatusColumn = 'received' | 'processing' | 'extracted' | 'needs_review' | 'failed' | 'cancelled' | 'stalled';
export type TierColumn = 'flash' | 'pro';
export type AttemptOutcome = 'ok' | 'invalid' | 'failed';

export interface BlobsTable {
  sha256: string;
  content: Buffer;
  size_bytes: BigIntColumn;
  created_at: Timestamp;
}

export interface DocumentsTable {
  id: Generated<string>;
  sha256: string;
  file_name: string;
  size_bytes: BigIntColumn;
  media_type: string | null;
  page_count: number | null;
  image_only_pages: Generated<number[]>;
  token_count: number | null;
  token_count_estimated: boolean | null;
  kind: DocumentKindColumn | null;
  status: Generated<DocumentStatusColumn>;
  error: string | null;
  review_reasons: Generated<string[]>;
  route: Generated<string[]>;
  confidence: Numeric | null;
  workflow_id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DocumentUploadsTable {
  id: Generated<string>;
  document_id: string;
  file_name: string;
  source: string;
  duplicate: boolean;
  received_at: Timestamp;
}

export interface PagesTable {
  document_id: string;
  page_number: number;
  text: string;
  image_only: boolean;
  token_estimate: number;
  /** pdf.js text runs with page-relative boxes; null for pages parsed before they were stored. */
  items: JSONColumnType<TextItem[] | null, string | null, string | null>;
  /** Displayed page size in points. */
  width: number | null;
  height: number | null;
}

export interface ExtractionAttemptsTable {
  id: Generated<string>;
  document_id: string;
  workflow_id: string;
  run_id: string;
  activity_id: string;
  activity_attempt: number;
  tier: TierColumn;
  model: string;
  prompt_version: string | null;
  prompt_hash: string | null;
  chunk_index: number | null;
  page_from: number;
  page_to: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: Generated<number>;
  tokens_estimated: boolean;
  cost_usd: Numeric;
  latency_ms: number;
  outcome: AttemptOutcome;
  error: string | null;
  result: JSONColumnType<AttemptResult | null, string | null, string | null>;
  created_at: Timestamp;
}

export interface RoutingDecisionsTable {
  id: Generated<string>;
  document_id: string;
  workflow_id: string;
  run_id: string;
  sequence: number;
  stage: string;
  action: string;
  reason: string;
  inputs: Json<RoutingInputs>;
  created_at: Timestamp;
  /** The Temporal activity that wrote the row (null for rows written before it was recorded). */
  activity_id: string | null;
}

export interface CandidatesTable {
  id: Generated<string>;
  document_id: string;
  workflow_id: string;
  run_id: string;
  stage: string;
  kind: 'invoice' | 'contract';
  fields: Json<CandidateFields>;
  confidence: Numeric;
  checks: Json<CandidateChecks>;
  attempt_ids: string[];
  possible_duplicate_of: string | null;
  created_at: Timestamp;
  /** The Temporal activity that wrote the row (null for rows written before it was recorded). */
  activity_id: string | null;
}

export interface InvoicesTable {
  id: Generated<string>;
  document_id: string;
  version: number;
  source: string;
  candidate_id: string | null;
  workflow_id: string;
  run_id: string;
  vendor_name: string | null;
  vendor_address: string | null;
  vendor_tax_id: string | null;
  customer_name: string | null;
  invoice_number: string | null;
  issue_date: DateColumn | null;
  due_date: DateColumn | null;
  currency: string | null;
  subtotal: Numeric | null;
  tax_total: Numeric | null;
  total: Numeric | null;
  purchase_order: string | null;
  payment_terms: string | null;
  iban: string | null;
  bic: string | null;
  confidence: Numeric;
  possible_duplicate_of: string | null;
  created_at: Timestamp;
  /** The Temporal activity that wrote the row (null for rows written before it was recorded). */
  activity_id: string | null;
}

export interface InvoiceLinesTable {
  id: Generated<string>;
  invoice_id: string;
  line_number: number;
  description: string;
  quantity: Numeric | null;
  unit_price: Numeric | null;
  amount: Numeric | null;
  confidence: Numeric;
  page: number | null;
  quote: string | null;
}

export interface ContractsTable {
  id: Generated<string>;
  document_id: string;
  version: number;
  source: string;
  candidate_id: string | null;
  workflow_id: string;
  run_id: string;
  title: string | null;
  effective_date: DateColumn | null;
  expiration_date: DateColumn | null;
  term_count: number | null;
  term_unit: string | null;
  governing_law: string | null;
  auto_renewal: boolean | null;
  notice_period_count: number | null;
  notice_period_unit: string | null;
  payment_terms: string | null;
  confidence: Numeric;
  created_at: Timestamp;
  /** The Temporal activity that wrote the row (null for rows written before it was recorded). */
  activity_id: string | null;
}

export interface ContractPartiesTable {
  id: Generated<string>;
  contract_id: string;
  position: number;
  name: string;
  role: string | null;
  confidence: Numeric;
  page: number | null;
  quote: string | null;
}

export interface FieldEvidenceTable {
  id: Generated<string>;
  document_id: string;
  record_kind: 'invoice' | 'contract';
  record_id: string;
  field: string;
  value: string | null;
  confidence: Numeric;
  page: number | null;
  quote: string | null;
  tier: string | null;
}

export interface ValidationResultsTable {
  id: Generated<string>;
  document_id: string;
  candidate_id: string;
  check_name: string;
  passed: boolean;
  message: string;
  fields: string[];
  created_at: Timestamp;
}

export interface ApiKeysTable {
  /** Public key id, shown in listings and in the key itself ("dr_<id>_<secret>"). */
  id: string;
  name: string;
  /** sha256 (hex) of the whole key; the key itself is shown once and never stored. */
  key_hash: string;
  scopes: string[];
  created_at: Timestamp;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

export interface ReviewActionsTable {
  id: Generated<string>;
  document_id: string;
  workflow_id: string;
  run_id: string;
  reviewer: string;
  action: 'approve' | 'correct' | 'reject';
  /** [{ field, before, after }] */
  changes: Json<ReviewChanges>;
  note: string | null;
  record_id: string | null;
  created_at: Timestamp;
  /** The Temporal activity that wrote the row (null for rows written before it was recorded). */
  activity_id: string | null;
  /** The review_submissions row this action applied (null before review by Update). */
  submission_id: string | null;
  /** Failing checks the reviewer confirmed: { check code: reason }. */
  confirmed_checks: Json<Record<string, string>> | null;
}

/** A reviewer's decision as submitted; workflow history carries only its id. */
export interface ReviewSubmissionsTable {
  id: Generated<string>;
  document_id: string;
  /** Who decided: the authenticated principal (API key name, or console account), never the request body. */
  reviewer: string;
  reviewer_key_id: string | null;
  action: 'approve' | 'correct' | 'reject';
  corrections: Json<Record<string, unknown>> | null;
  note: string | null;
  /** Failing checks the reviewer confirms as they are: { check name: reason }. */
  confirmations: ColumnType<Record<string, string>, string | undefined, string>;
  status: Generated<'pending' | 'applied' | 'refused'>;
  /** Why it was refused, in words for the reviewer. */
  refusal: string | null;
  /** The checks that failed on the corrected record: [{ name, message, fields }]. */
  failed_checks: Json<{ name: string; message: string; fields: string[] }[]> | null;
  record_id: string | null;
  created_at: Timestamp;
  decided_at: Timestamp | null;
}

/** One run of a document's workflow: the first (ingest) and each reprocess or retry. */
export interface DocumentRunsTable {
  id: Generated<string>;
  document_id: string;
  workflow_id: string;
  run_id: string;
  run_number: number;
  reason: 'ingest' | 'reprocess' | 'retry';
  requested_by: string | null;
  /** The run this one follows (null for the first). */
  previous_run_id: string | null;
  created_at: Timestamp;
}

export interface Database {
  api_keys: ApiKeysTable;
  review_actions: ReviewActionsTable;
  review_submissions: ReviewSubmissionsTable;
  document_runs: DocumentRunsTable;
  blobs: BlobsTable;
  documents: DocumentsTable;
  document_uploads: DocumentUploadsTable;
  pages: PagesTable;
  extraction_attempts: ExtractionAttemptsTable;
  routing_decisions: RoutingDecisionsTable;
  candidates: CandidatesTable;
  invoices: InvoicesTable;
  invoice_lines: InvoiceLinesTable;
  contracts: ContractsTable;
  contract_parties: ContractPartiesTable;
  field_evidence: FieldEvidenceTable;
  validation_results: ValidationResultsTable;
}

export type DocumentRow = Selectable<DocumentsTable>;
export type NewDocument = Insertable<DocumentsTable>;
export type DocumentUpdate = Updateable<DocumentsTable>;
export type ExtractionAttemptRow = Selectable<ExtractionAttemptsTable>;
export type InvoiceRow = Selectable<InvoicesTable>;
export type InvoiceLineRow = Selectable<InvoiceLinesTable>;
export type ContractRow = Selectable<ContractsTable>;
export type ContractPartyRow = Selectable<ContractPartiesTable>;
export type FieldEvidenceRow = Selectable<FieldEvidenceTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type ReviewActionRow = Selectable<ReviewActionsTable>;
