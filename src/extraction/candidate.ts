import { sql } from 'kysely';
import {
  CONTRACT_REQUIRED_FIELDS,
  ContractExtraction,
  INVOICE_REQUIRED_FIELDS,
  InvoiceExtraction,
  type ExtractableKind,
} from '../../schemas/index.ts';
import type { Db } from '../db/database.ts';
import { validateContract, validateInvoice, type CheckResult } from '../validation/checks.ts';
import { lineCountCheck } from '../validation/line-count.ts';
import { applyCheckPenalties, documentConfidence } from './confidence.ts';
import { groundExtraction } from './grounding.ts';
import { combineReadings, mergeExtractions, type MergeConflict } from './merge.ts';
import type { ExtractionFields, PageText } from './model-tier.ts';

export interface AssembleInput {
  documentId: string;
  kind: ExtractableKind;
  stage: 'fast' | 'deep';
  attemptIds: string[];
  workflowId: string;
  runId: string;
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
}

/**
 * Turns a stage's extraction attempts into one scored candidate record:
 * merge the chunks, check every value against the page it cites (grounding),
 * validate (arithmetic, dates, IBAN, currency, duplicate invoices), lower the
 * confidence of what failed, and derive the document's confidence from its
 * required fields. Stored with its checks; idempotent per run and stage.
 */
export async function assembleCandidate(db: Db, input: AssembleInput): Promise<AssembledCandidate> {
  const existing = await db
    .selectFrom('candidates')
    .selectAll()
    .where('workflow_id', '=', input.workflowId)
    .where('run_id', '=', input.runId)
    .where('stage', '=', input.stage)
    .executeTakeFirst();
  if (existing) return summaryOf(existing.id, existing.checks as StoredChecks, Number(existing.confidence), existing.possible_duplicate_of);

  const attempts =
    input.attemptIds.length === 0
      ? []
      : await db
          .selectFrom('extraction_attempts')
          .select(['result', 'tier', 'page_from', 'page_to'])
          .where('id', 'in', input.attemptIds)
          .where('outcome', '=', 'ok')
          .orderBy('page_from')
          .execute();
  const schema = input.kind === 'invoice' ? InvoiceExtraction : ContractExtraction;
  // Each reading is checked against its own pages first, so that a value found
  // on its page beats one that was not, whichever tier or chunk produced it.
  const readings = attempts.map((a) => ({
    tier: a.tier,
    pages: { from: a.page_from, to: a.page_to },
    fields: groundExtraction(input.kind, schema.parse(a.result) as ExtractionFields<typeof input.kind>, input.pages).fields,
  }));
  const fastParts = readings.filter((r) => r.tier === 'flash').map((r) => r.fields);
  const deepReadings = readings.filter((r) => r.tier === 'pro');
  const fast = fastParts.length > 0 ? mergeExtractions(input.kind, fastParts) : null;
  const deep = deepReadings.length > 0 ? mergeExtractions(input.kind, deepReadings.map((r) => r.fields)) : null;
  let merged: { fields: ExtractionFields<typeof input.kind>; conflicts: MergeConflict[] };
  if (fast && deep) {
    const deepPages = new Set<number>();
    for (const r of deepReadings) for (let p = r.pages.from; p <= r.pages.to; p++) deepPages.add(p);
    const combined = combineReadings(input.kind, fast.fields, deep.fields, deepPages);
    merged = { fields: combined.fields, conflicts: [...fast.conflicts, ...deep.conflicts, ...combined.conflicts] };
  } else {
    merged = fast ?? deep ?? mergeExtractions(input.kind, []);
  }
  // Which of the chosen values are not on their cited page (the fields are already capped above).
  const grounded = { fields: merged.fields, ungrounded: groundExtraction(input.kind, merged.fields, input.pages).ungrounded };
  const checks: CheckResult[] =
    input.kind === 'invoice'
      ? validateInvoice(grounded.fields as InvoiceExtraction, { today: input.today })
      : validateContract(grounded.fields as ContractExtraction, { today: input.today });

  let possibleDuplicateOf: string | null = null;
  if (input.kind === 'invoice') {
    const count = lineCountCheck((grounded.fields as InvoiceExtraction).lineItems.length, input.pages);
    if (count) checks.push(count);
    const duplicate = await findDuplicateInvoice(db, input.documentId, grounded.fields as InvoiceExtraction);
    if (duplicate) {
      possibleDuplicateOf = duplicate.documentId;
      checks.push({
        name: 'duplicate_invoice',
        passed: false,
        message: `possible duplicate: vendor "${duplicate.vendorName}" and invoice number "${duplicate.invoiceNumber}" already recorded from file "${duplicate.fileName}" (document ${duplicate.documentId})`,
        fields: ['vendorName', 'invoiceNumber'],
      });
    }
  }
  for (const conflict of merged.conflicts) {
    checks.push({
      name: 'chunk_agreement',
      passed: false,
      message: `chunks disagree on ${conflict.field}: ${conflict.values.join(' / ')} (kept ${conflict.chosen})`,
      fields: [conflict.field],
    });
  }

  const fields = applyCheckPenalties(input.kind, grounded.fields, checks);
  const confidence = documentConfidence(input.kind, fields);
  const missingRequired = missingRequiredFields(input.kind, fields);
  const stored: StoredChecks = { checks, ungrounded: grounded.ungrounded, missingRequired };

  const candidateId = await db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('candidates')
      .values({
        document_id: input.documentId,
        workflow_id: input.workflowId,
        run_id: input.runId,
        stage: input.stage,
        kind: input.kind,
        fields: JSON.stringify(fields),
        confidence: confidence.toFixed(4),
        checks: JSON.stringify(stored),
        attempt_ids: input.attemptIds,
        possible_duplicate_of: possibleDuplicateOf,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (checks.length > 0) {
      await trx
        .insertInto('validation_results')
        .values(
          checks.map((c) => ({
            document_id: input.documentId,
            candidate_id: row.id,
            check_name: c.name,
            passed: c.passed,
            message: c.message,
            fields: c.fields,
          })),
        )
        .execute();
    }
    return row.id;
  });
  return summaryOf(candidateId, stored, Number(confidence.toFixed(4)), possibleDuplicateOf);
}

interface StoredChecks {
  checks: CheckResult[];
  ungrounded: string[];
  missingRequired: string[];
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
    failedChecks: stored.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.message}`),
    missingRequired: stored.missingRequired,
    ungrounded: stored.ungrounded,
    possibleDuplicateOf,
  };
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
async function findDuplicateInvoice(db: Db, documentId: string, fields: InvoiceExtraction) {
  const vendor = fields.vendorName.value;
  const number = fields.invoiceNumber.value;
  if (!vendor || !number) return null;
  const normalise = (s: string) => s.toLowerCase().replace(/[\s.,-]+/g, '');
  const row = await db
    .selectFrom('invoices')
    .innerJoin('documents', 'documents.id', 'invoices.document_id')
    .select(['invoices.document_id', 'invoices.vendor_name', 'invoices.invoice_number', 'documents.file_name'])
    .where('invoices.document_id', '!=', documentId)
    .where(sql<string>`regexp_replace(lower(invoices.invoice_number), '[\\s.,-]+', '', 'g')`, '=', normalise(number))
    .where(sql<string>`regexp_replace(lower(invoices.vendor_name), '[\\s.,-]+', '', 'g')`, '=', normalise(vendor))
    .limit(1)
    .executeTakeFirst();
  return row
    ? {
        documentId: row.document_id,
        vendorName: row.vendor_name ?? vendor,
        invoiceNumber: row.invoice_number ?? number,
        fileName: row.file_name,
      }
    : null;
}
