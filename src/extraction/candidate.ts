import {
  CONTRACT_REQUIRED_FIELDS,
  ContractExtraction,
  INVOICE_REQUIRED_FIELDS,
  InvoiceExtraction,
  type ExtractableKind,
  type TierName,
} from '../../schemas/index.ts';
import type { Db } from '../db/database.ts';
import { findOkAttempts } from '../db/attempts.ts';
import { findRunCandidate, insertCandidate } from '../db/candidates.ts';
import { findSecondReading } from '../db/second-readings.ts';
import { findDuplicateInvoice as findDuplicateInvoiceRecord } from '../db/invoices.ts';
import { checkCode, validateContract, validateInvoice, type CheckResult } from '../validation/checks.ts';
import { lineCountCheck } from '../validation/line-count.ts';
import { lineItemsContinueCheck } from '../validation/table-continuation.ts';
import { applyCheckPenalties, documentConfidence, reportedValueConfidences } from './confidence.ts';
import { applyAgreement, compareReadings, secondReadingSchema, type SecondReading } from './second-reading.ts';
import { groundExtraction } from './grounding.ts';
import { combineReadings, mergeExtractions, type MergeConflict } from './merge.ts';
import type { ExtractionFields, PageText } from './model-tier.ts';

export interface AssembleInput {
  documentId: string;
  kind: ExtractableKind;
  stage: 'fast' | 'deep';
  attemptIds: string[];
  /** The attempt of a second, independent reading of the required fields (second-reading.ts), when one was made. */
  secondReadingId?: string | null;
  workflowId: string;
  runId: string;
  /** The Temporal activity storing the candidate, for the audit trail. */
  activityId?: string;
  today: string;
  pages: readonly PageText[];
}

export interface AssembledCandidate {
  candidateId: string;
  confidence: number;
  failedChecks: string[];
  missingRequired: string[];
  ungrounded: string[];
  possibleDuplicateOf: string | null;
  /**
   * The confidence of each reported value by path (confidence.ts,
   * reportedValueConfidences): routing holds them against the tier's value
   * floor. Absent on candidates stored before it existed (no floor applies).
   */
  valueConfidences?: Record<string, number>;
  /**
   * Failed checks explained in words (check code → reason without values), for
   * the routing reasons: "the line items table continues on page 3 but only 12
   * of about 20 rows were read". Absent on candidates stored before it existed.
   */
  explained?: Record<string, string>;
}

/** Words for failed checks whose own reason (CheckResult.reason) is not set. */
const CHECK_WORDS: Readonly<Record<string, string>> = {
  line_items_sum: 'the line items do not add up to the subtotal (or total): rows may be missing or misread',
};

/**
 * Turns a stage's extraction attempts into one scored candidate record:
 * merge the chunks, check every value against the page it cites (grounding),
 * validate (arithmetic, dates, IBAN, currency, duplicate invoices), lower the
 * confidence of what failed, and derive the document's confidence from its
 * required fields. Stored with its checks; idempotent per run and stage.
 */
export async function assembleCandidate(db: Db, input: AssembleInput): Promise<AssembledCandidate> {
  const existing = await findStoredCandidate(db, input);
  if (existing) return existing;

  const attempts = await findOkAttempts(db, input.attemptIds);
  const schema = input.kind === 'invoice' ? InvoiceExtraction : ContractExtraction;
  // Model tiers only: the exact tier's reading (tier 'xml') is never merged with guesses.
  const readings: Reading[] = attempts.flatMap((a) => (a.tier === 'xml' ? [] : [{ ...a, tier: a.tier }])).map((a) => ({
    tier: a.tier,
    pages: { from: a.page_from, to: a.page_to },
    fields: schema.parse(a.result) as ExtractionFields<typeof input.kind>,
  }));
  const second = input.secondReadingId ? await findSecondReading(db, input.secondReadingId) : null;
  const secondReading = second ? { fields: secondReadingSchema(input.kind).catch({}).parse(second.result) as SecondReading, model: second.model } : null;
  const prepared = prepareReadings(input.kind, readings, input.pages, input.today, secondReading);
  const duplicate = input.kind === 'invoice' ? await duplicateInvoiceCheck(db, input.documentId, prepared.fields as InvoiceExtraction) : null;
  const scored = finishScoring(input.kind, prepared, duplicate ? [duplicate.check] : []);
  return storeCandidate(db, {
    documentId: input.documentId,
    workflowId: input.workflowId,
    runId: input.runId,
    activityId: input.activityId ?? null,
    stage: input.stage,
    kind: input.kind,
    fields: scored.fields,
    confidence: scored.confidence,
    checks: { checks: scored.checks, ungrounded: scored.ungrounded, missingRequired: scored.missingRequired, valueConfidences: scored.valueConfidences },
    attemptIds: input.attemptIds,
    possibleDuplicateOf: duplicate?.documentId ?? null,
  });
}

/** The summary of the candidate a run already stored for a stage, or undefined (storing it again is then a no-op). */
export async function findStoredCandidate(db: Db, run: { workflowId: string; runId: string; stage: string }): Promise<AssembledCandidate | undefined> {
  const existing = await findRunCandidate(db, run);
  return existing ? summaryOf(existing.id, existing.checks, Number(existing.confidence), existing.possible_duplicate_of) : undefined;
}

/**
 * The duplicate-invoice check of an invoice reading: failed, naming the earlier
 * document, when another document's invoice has the same vendor and number; null otherwise.
 */
export async function duplicateInvoiceCheck(db: Db, documentId: string, fields: InvoiceExtraction): Promise<{ check: CheckResult; documentId: string } | null> {
  const duplicate = await findDuplicateInvoice(db, documentId, fields);
  if (!duplicate) return null;
  return {
    documentId: duplicate.documentId,
    check: {
      name: 'duplicate_invoice',
      passed: false,
      message: `possible duplicate: vendor "${duplicate.vendorName}" and invoice number "${duplicate.invoiceNumber}" already recorded from file "${duplicate.fileName}" (document ${duplicate.documentId})`,
      fields: ['vendorName', 'invoiceNumber'],
    },
  };
}

/** A scored candidate of a stage, as stored (candidates and validation_results) and summarised for routing. */
export interface NewCandidate {
  documentId: string;
  workflowId: string;
  runId: string;
  activityId: string | null;
  stage: 'fast' | 'deep' | 'exact';
  kind: ExtractableKind;
  fields: ExtractionFields<ExtractableKind>;
  confidence: number;
  checks: StoredChecks;
  attemptIds: string[];
  possibleDuplicateOf: string | null;
}

/** Stores a scored candidate with its checks (one transaction) and returns what routing sees of it. */
export async function storeCandidate(db: Db, c: NewCandidate): Promise<AssembledCandidate> {
  const confidence = c.confidence.toFixed(4);
  const candidateId = await insertCandidate(
    db,
    {
      document_id: c.documentId,
      workflow_id: c.workflowId,
      run_id: c.runId,
      activity_id: c.activityId,
      stage: c.stage,
      kind: c.kind,
      fields: c.fields,
      confidence,
      checks: c.checks,
      attempt_ids: c.attemptIds,
      possible_duplicate_of: c.possibleDuplicateOf,
    },
    c.checks.checks,
  );
  return summaryOf(candidateId, c.checks, Number(confidence), c.possibleDuplicateOf);
}

/** One tier's reading of a page range (a chunk, an escalation, or the whole document). */
export interface Reading<K extends ExtractableKind = ExtractableKind> {
  tier: TierName;
  pages: { from: number; to: number };
  /** The tier's output, already validated with the kind's schema. */
  fields: ExtractionFields<K>;
}

/** Merged, grounded and validated readings, before check penalties (see finishScoring). */
export interface PreparedReadings<K extends ExtractableKind = ExtractableKind> {
  fields: ExtractionFields<K>;
  /** Checks so far: validation, then (invoices) the stated line count. */
  checks: CheckResult[];
  ungrounded: string[];
  conflicts: MergeConflict[];
  /** Required fields a second, independent reading agrees on (second-reading.ts). */
  agreed?: string[];
}

/** A scored candidate: what assembleCandidate stores and routing decides on. */
export interface ScoredReadings<K extends ExtractableKind = ExtractableKind> {
  fields: ExtractionFields<K>;
  checks: CheckResult[];
  ungrounded: string[];
  missingRequired: string[];
  confidence: number;
  /** The confidence of each reported value by path (reportedValueConfidences). */
  valueConfidences: Record<string, number>;
  conflicts: MergeConflict[];
  /** Required fields a second, independent reading agreed on (empty when none was compared). */
  agreed?: string[];
}

/**
 * Merge → ground → validate, with no I/O. Each reading is checked against its
 * own pages first, so that a value found on its page beats one that was not,
 * whichever tier or chunk produced it; the fast tier's chunks are merged, the
 * deep tier's readings merged, and the two combined (the deep tier's line items
 * replace the fast tier's on the pages it read).
 */
export function prepareReadings<K extends ExtractableKind>(
  kind: K,
  readings: readonly Reading<K>[],
  pages: readonly PageText[],
  today: string,
  secondReading: { fields: SecondReading; model: string } | null = null,
): PreparedReadings<K> {
  const grounded = readings
    .slice()
    .sort((a, b) => a.pages.from - b.pages.from)
    .map((r) => ({ ...r, fields: groundExtraction(kind, r.fields, pages).fields }));
  const fastParts = grounded.filter((r) => r.tier === 'flash').map((r) => r.fields);
  const deepReadings = grounded.filter((r) => r.tier === 'pro');
  const fast = fastParts.length > 0 ? mergeExtractions(kind, fastParts) : null;
  const deep = deepReadings.length > 0 ? mergeExtractions(kind, deepReadings.map((r) => r.fields)) : null;
  let merged: { fields: ExtractionFields<K>; conflicts: MergeConflict[] };
  if (fast && deep) {
    const deepPages = new Set<number>();
    for (const r of deepReadings) for (let p = r.pages.from; p <= r.pages.to; p++) deepPages.add(p);
    const combined = combineReadings(kind, fast.fields, deep.fields, deepPages);
    merged = { fields: combined.fields, conflicts: [...fast.conflicts, ...deep.conflicts, ...combined.conflicts] };
  } else {
    merged = fast ?? deep ?? mergeExtractions(kind, []);
  }
  // Which of the chosen values are not on their cited page (the fields are already capped above).
  const ungrounded = groundExtraction(kind, merged.fields, pages).ungrounded;
  const checks: CheckResult[] =
    kind === 'invoice'
      ? validateInvoice(merged.fields as InvoiceExtraction, { today })
      : validateContract(merged.fields as ContractExtraction, { today });
  if (kind === 'invoice') {
    const count = lineCountCheck((merged.fields as InvoiceExtraction).lineItems.length, pages);
    if (count) checks.push(count);
    const continued = lineItemsContinueCheck((merged.fields as InvoiceExtraction).lineItems, pages);
    if (continued) checks.push(continued);
  }
  const agreement = secondReading ? compareReadings(kind, merged.fields, secondReading.fields, secondReading.model) : null;
  if (agreement) checks.push(...agreement.checks);
  return { fields: merged.fields, checks, ungrounded, conflicts: merged.conflicts, agreed: agreement?.agreed ?? [] };
}

/**
 * The rest of the scoring: checks that need the outside world (`extraChecks`,
 * e.g. the duplicate-invoice lookup), one failed check per merge conflict, the
 * penalties of every failed check, the required fields missing, and the
 * document's confidence.
 */
export function finishScoring<K extends ExtractableKind>(
  kind: K,
  prepared: PreparedReadings<K>,
  extraChecks: readonly CheckResult[] = [],
): ScoredReadings<K> {
  const checks: CheckResult[] = [...prepared.checks, ...extraChecks];
  for (const conflict of prepared.conflicts) {
    checks.push({
      name: 'chunk_agreement',
      passed: false,
      message: `chunks disagree on ${conflict.field}: ${conflict.values.join(' / ')} (kept ${conflict.chosen})`,
      fields: [conflict.field],
    });
  }
  // Agreement raises only grounded fields that no failed check names; then the failed checks' penalties.
  const agreed = applyAgreement(prepared.fields, prepared.agreed ?? [], prepared.ungrounded, checks);
  const fields = applyCheckPenalties(kind, agreed, checks);
  return {
    fields,
    checks,
    ungrounded: prepared.ungrounded,
    missingRequired: missingRequiredFields(kind, fields),
    confidence: documentConfidence(kind, fields),
    valueConfidences: reportedValueConfidences(kind, fields),
    conflicts: prepared.conflicts,
    agreed: prepared.agreed ?? [],
  };
}

/**
 * A stage's readings scored as the workflow scores them, with no database:
 * merge, ground, validate, penalise, and derive the document's confidence.
 * (assembleCandidate adds the duplicate-invoice check, which needs the records.)
 */
export function scoreReadings<K extends ExtractableKind>(
  kind: K,
  readings: readonly Reading<K>[],
  pages: readonly PageText[],
  today: string,
  secondReading: { fields: SecondReading; model: string } | null = null,
): ScoredReadings<K> {
  return finishScoring(kind, prepareReadings(kind, readings, pages, today, secondReading));
}

/** What a candidate stores about its checks (candidates.checks). */
export interface StoredChecks {
  checks: CheckResult[];
  ungrounded: string[];
  missingRequired: string[];
  /** The reported values' confidences by path; absent on candidates stored before it existed. */
  valueConfidences?: Record<string, number>;
}

function summaryOf(
  candidateId: string,
  stored: StoredChecks,
  confidence: number,
  possibleDuplicateOf: string | null,
): AssembledCandidate {
  return {
    candidateId,
    confidence,
    failedChecks: failedCheckCodes(stored.checks),
    missingRequired: stored.missingRequired,
    ungrounded: stored.ungrounded,
    possibleDuplicateOf,
    ...(stored.valueConfidences ? { valueConfidences: stored.valueConfidences } : {}),
    explained: explainChecks(stored.checks),
  };
}

/** Failed checks that have words (their own reason, or CHECK_WORDS), by code. */
export function explainChecks(checks: readonly CheckResult[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const check of checks) {
    if (check.passed) continue;
    const words = check.reason ?? CHECK_WORDS[check.name];
    if (words) out[checkCode(check)] = words;
  }
  return out;
}

/** The failed checks as codes (name and fields, no values): what routing and workflow history see. */
export function failedCheckCodes(checks: readonly CheckResult[]): string[] {
  return checks.filter((c) => !c.passed).map(checkCode);
}

export function missingRequiredFields(kind: ExtractableKind, fields: ExtractionFields<ExtractableKind>): string[] {
  if (kind === 'invoice') {
    const invoice = fields as InvoiceExtraction;
    return INVOICE_REQUIRED_FIELDS.filter((name) => invoice[name].value === null);
  }
  const contract = fields as ContractExtraction;
  return CONTRACT_REQUIRED_FIELDS.filter((name) =>
    name === 'parties' ? contract.parties.length < 2 : contract[name].value === null,
  );
}

/**
 * Another document (a different file) whose latest invoice has the same vendor and
 * invoice number: paying both would pay twice. Compared case- and space-insensitively.
 */
export async function findDuplicateInvoice(db: Db, documentId: string, fields: InvoiceExtraction) {
  const vendor = fields.vendorName.value;
  const number = fields.invoiceNumber.value;
  if (!vendor || !number) return null;
  const row = await findDuplicateInvoiceRecord(db, documentId, vendor, number);
  return row
    ? {
        documentId: row.document_id,
        vendorName: row.vendor_name ?? vendor,
        invoiceNumber: row.invoice_number ?? number,
        fileName: row.file_name,
      }
    : null;
}
