import type { ColumnType, Generated, Insertable, JSONColumnType, Selectable, Updateable } from 'kysely';
import type { TextItem } from '../pdf/text-items.ts';
import type { AttemptResult, CandidateChecks, CandidateFields, ReviewChanges, RoutingInputs } from './json-columns.ts';

/** An evidence box: 0–1 of the page from its top-left (see src/evidence/locate.ts). */
export type BoxColumn = { x: number; y: number; w: number; h: number };
/** Boxes of a quote, one per line; null when the quote could not be located. */
type Boxes = ColumnType<BoxColumn[] | null, string | null | undefined, string | null>;

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
/** 'xml': the exact e-invoice tier (no model; model 'en16931', cost 0). */
export type TierColumn = 'xml' | 'flash' | 'pro';
export type AttemptOutcome = 'ok' | 'invalid' | 'failed';

export interface BlobsTable {
  sha256: string;
  /** The whole original for blobs stored before chunking; null for chunked blobs (see blob_chunks). */
  content: Buffer | null;
  size_bytes: BigIntColumn;
  created_at: Timestamp;
}

/** An original in 1 MiB pieces, in `seq` order from 0 (src/db/blobs.ts). */
export interface BlobChunksTable {
  sha256: string;
  seq: number;
  data: Buffer;
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
  /** 'online' or 'batch' (Gemini Batch API, billed at its share of the price). */
  billing: Generated<string>;
  /** The Batch API's name of the batch this attempt came from. */
  batch_name: string | null;
  /** For a batch attempt: what the same tokens would have cost online. */
  online_cost_usd: Numeric | null;
}

export interface GeminiBatchesTable {
  id: Generated<string>;
  document_id: string;
  batch_key: string;
  workflow_id: string;
  run_id: string;
  /** Only the model tiers batch. */
  tier: Exclude<TierColumn, 'xml'>;
  model: string;
  kind: string;
  ranges: Json<{ pageFrom: number; pageTo: number; chunkIndex: number | null }[]>;
  focus_fields: Json<string[]>;
  batch_name: string | null;
  state: Generated<string>;
  error: string | null;
  created_at: Timestamp;
  finished_at: Timestamp | null;
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
  /** 'invoice' | 'credit_note' (from e-invoices; null for records read from text). */
  document_type: 'invoice' | 'credit_note' | null;
  customer_address: string | null;
  customer_tax_id: string | null;
  buyer_reference: string | null;
  /** The e-invoice's specification identifier (BT-24: XRechnung version, Factur-X profile); null for records read from text. */
  profile: string | null;
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
  vat_rate: Numeric | null;
  confidence: Numeric;
  page: number | null;
  quote: string | null;
  /** XML element path, for a line read from an e-invoice. */
  path: string | null;
  boxes: Boxes;
}

/** An invoice's VAT breakdown: one row per VAT category and rate. */
export interface InvoiceVatBreakdownTable {
  id: Generated<string>;
  invoice_id: string;
  position: number;
  category: string | null;
  rate: Numeric | null;
  taxable_amount: Numeric | null;
  tax_amount: Numeric | null;
  confidence: Numeric;
  page: number | null;
  quote: string | null;
  path: string | null;
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
  boxes: Boxes;
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
  /** XML element path, for a value read from an e-invoice. */
  path: string | null;
  boxes: Boxes;
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
  /** How the run ended when no workflow code ran to record it (see src/ingest/reconcile.ts); null otherwise. */
  closed_as: RunClosedAs | null;
  /** The reason and identity Temporal recorded for it (terminate's reason and caller), when it did. */
  closed_reason: string | null;
  closed_by: string | null;
  closed_at: Timestamp | null;
}

/** A run closed outside workflow code: terminated, or past its execution timeout. */
export type RunClosedAs = 'terminated' | 'timed_out';

export type ConsoleRole = 'admin' | 'reviewer' | 'viewer';

export interface ConsoleUsersTable {
  id: Generated<string>;
  name: string;
  role: ConsoleRole;
  /** scrypt hash ("scrypt$N$r$p$salt$hash"); null until the password is set on first sign-in. */
  password_hash: string | null;
  failed_attempts: Generated<number>;
  locked_until: Timestamp | null;
  disabled_at: Timestamp | null;
  created_at: Timestamp;
  last_sign_in_at: Timestamp | null;
}

export interface ConsoleSessionsTable {
  /** sha256 (hex) of the cookie's token; the token itself is never stored. */
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
}

export interface ReviewClaimsTable {
  document_id: string;
  user_id: string;
  claimed_at: Timestamp;
  last_active_at: Timestamp;
}

export interface Database {
  console_users: ConsoleUsersTable;
  console_sessions: ConsoleSessionsTable;
  review_claims: ReviewClaimsTable;
  api_keys: ApiKeysTable;
  review_actions: ReviewActionsTable;
  review_submissions: ReviewSubmissionsTable;
  document_runs: DocumentRunsTable;
  blobs: BlobsTable;
  blob_chunks: BlobChunksTable;
  documents: DocumentsTable;
  document_uploads: DocumentUploadsTable;
  pages: PagesTable;
  extraction_attempts: ExtractionAttemptsTable;
  gemini_batches: GeminiBatchesTable;
  routing_decisions: RoutingDecisionsTable;
  candidates: CandidatesTable;
  invoices: InvoicesTable;
  invoice_lines: InvoiceLinesTable;
  invoice_vat_breakdown: InvoiceVatBreakdownTable;
  contracts: ContractsTable;
  contract_parties: ContractPartiesTable;
  field_evidence: FieldEvidenceTable;
  validation_results: ValidationResultsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  model_rate_window: ModelRateWindowTable;
}

/** One model request admitted by the shared rate limiter (src/extraction/gemini/shared-rate-limiter.ts). */
export interface ModelRateWindowTable {
  id: Generated<string>;
  model: string;
  sent_at: Generated<Timestamp>;
  /** Input tokens the request was admitted with (its estimate). */
  tokens: number;
}

/** A webhook subscription. The secret signs deliveries; it is shown once, at creation. */
export interface WebhooksTable {
  id: Generated<string>;
  url: string;
  events: string[];
  /** Only documents of this kind (null: all). */
  kind: string | null;
  secret: string;
  created_by: string | null;
  created_at: Timestamp;
  removed_at: Timestamp | null;
}

/** One event for one subscription; its id is the `webhook-id` a receiver deduplicates on. */
export interface WebhookDeliveriesTable {
  id: Generated<string>;
  webhook_id: string;
  document_id: string;
  workflow_run_id: string;
  event: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  status: ColumnType<'pending' | 'delivered' | 'failed' | 'dropped', 'pending' | undefined, 'delivered' | 'failed' | 'dropped'>;
  error: string | null;
  created_at: Timestamp;
  settled_at: Timestamp | null;
}

/** One HTTP attempt of a delivery. */
export interface WebhookAttemptsTable {
  id: Generated<string>;
  delivery_id: string;
  attempt: number;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  created_at: Timestamp;
}

export type DocumentRow = Selectable<DocumentsTable>;
export type NewDocument = Insertable<DocumentsTable>;
export type DocumentUpdate = Updateable<DocumentsTable>;
export type ExtractionAttemptRow = Selectable<ExtractionAttemptsTable>;
export type InvoiceRow = Selectable<InvoicesTable>;
export type InvoiceLineRow = Selectable<InvoiceLinesTable>;
export type InvoiceVatBreakdownRow = Selectable<InvoiceVatBreakdownTable>;
export type ContractRow = Selectable<ContractsTable>;
export type ContractPartyRow = Selectable<ContractPartiesTable>;
export type FieldEvidenceRow = Selectable<FieldEvidenceTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type ReviewActionRow = Selectable<ReviewActionsTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type WebhookAttemptRow = Selectable<WebhookAttemptsTable>;
export type ConsoleUserRow = Selectable<ConsoleUsersTable>;
