import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Transaction } from 'kysely';
import type { Database } from '../src/db/schema.ts';
import type { ContractExtraction as ContractFields, InvoiceExtraction as InvoiceFields } from '../schemas/index.ts';
import { getCandidate } from '../src/db/candidates.ts';
import { settleDocumentRow } from '../src/db/documents.ts';
import { findRunReviewAction, getReviewSubmission, insertReviewAction, markReviewSubmissionApplied, recordVersion, refuseReviewSubmission } from '../src/db/reviews.ts';
import { insertRoutingDecision } from '../src/db/trail.ts';
import { findVersionOfCandidate } from '../src/db/versions.ts';
import { checkCode, validateContract, validateInvoice } from '../src/validation/checks.ts';
import { insertContractVersion, insertInvoiceVersion } from '../src/db/records.ts';
import { ContractExtraction, InvoiceExtraction } from '../schemas/index.ts';
import { applyCorrections, type FieldChange } from '../src/review/corrections.ts';
import type { ApplyReviewInput, ReviewOutcome, FinishInput, ReviewInput, ReviewResult, RoutingRecord, SettleInput, SettleOutcome } from './types.ts';
import { activityContext, BAD_REVIEW, rejection, workflowRun, type ActivityDeps } from './support.ts';

/** Decisions and results: routing decisions, the final record and status, reviews. */
export function createOutcomeActivities(deps: ActivityDeps) {
  const { db, scrub, today } = activityContext(deps);
  return {
    /**
     * A reviewer's decision, in one transaction: approve (the candidate becomes the
     * record), correct (the corrected fields, at confidence 1, over the candidate),
     * or reject (the document ends failed with the reviewer's reason). The record
     * is a new version whose source names the reviewer; the review trail keeps who
     * changed what. Idempotent per workflow run. v1 only (review by signal); v2
     * runs call reviewDocument from their review Update.
     */
    async applyReview(input: ApplyReviewInput): Promise<ReviewOutcome> {
      const run = workflowRun();
      return db.transaction().execute(async (trx) => {
        const done = await findRunReviewAction(trx, run);
        const decision = input.decision;
        if (done) {
          return done.action === 'reject'
            ? { status: 'failed', confidence: null, recordId: null, error: rejection(done.reviewer, done.note) }
            : { status: 'extracted', confidence: 1, recordId: done.record_id, error: null };
        }
        const candidate = input.candidateId ? await getCandidate(trx, input.candidateId) : undefined;
        const kind = input.kind === 'invoice' || input.kind === 'contract' ? input.kind : null;
        let recordId: string | null = null;
        let changes: FieldChange[] = [];
        if (decision.action !== 'reject') {
          if (!kind) throw ApplicationFailure.nonRetryable('only an invoice or a contract can be approved or corrected', BAD_REVIEW);
          if (decision.action === 'approve' && !candidate) {
            throw ApplicationFailure.nonRetryable('there is no extracted candidate to approve; send corrections', BAD_REVIEW);
          }
          const applied = applyCorrections(kind, candidate?.fields ?? null, decision.action === 'correct' ? decision.corrections ?? {} : {});
          changes = applied.changes;
          const provenance = {
            documentId: input.documentId,
            candidateId: input.candidateId,
            workflowId: run.workflowId,
            runId: run.runId,
            source: `reviewer:${decision.reviewer}`,
            confidence: 1,
            tier: 'reviewer',
            activityId: Context.current().info.activityId,
          };
          recordId =
            kind === 'invoice'
              ? (await insertInvoiceVersion(trx, InvoiceExtraction.parse(applied.fields), provenance, null)).id
              : (await insertContractVersion(trx, ContractExtraction.parse(applied.fields), provenance)).id;
        }
        await insertReviewAction(trx, {
          documentId: input.documentId,
          run,
          activityId: Context.current().info.activityId,
          reviewer: decision.reviewer,
          action: decision.action,
          changes,
          note: decision.note ?? null,
          recordId,
        });
        const rejected = decision.action === 'reject';
        const error = rejected ? rejection(decision.reviewer, decision.note ?? null) : null;
        await settleDocumentRow(trx, input.documentId, { status: rejected ? 'failed' : 'extracted', error, reviewReasons: [], confidence: rejected ? null : 1 });
        return rejected
          ? { status: 'failed', confidence: null, recordId: null, error }
          : { status: 'extracted', confidence: 1, recordId, error: null };
      });
    },

    async recordRouting(decision: RoutingRecord): Promise<void> {
      await insertRoutingDecision(db, { ...decision, run: workflowRun(), activityId: Context.current().info.activityId });
    },

    /**
     * v1 only: the last step, in one transaction (see settleDocument).
     */
    async finishDocument(input: FinishInput): Promise<void> {
      await db.transaction().execute((trx) => writeSettlement(trx, input, workflowRun(), Context.current().info.activityId, scrub));
    },

    /**
     * The one place a run settles its document, in one transaction: the record
     * version (for an extracted document), and the document's status, route,
     * confidence and reasons. Also for cancelled and stalled runs. Idempotent:
     * a record already written for this candidate is not written again.
     */
    async settleDocument(input: SettleInput): Promise<SettleOutcome> {
      return db.transaction().execute((trx) => writeSettlement(trx, input, workflowRun(), Context.current().info.activityId, scrub));
    },

    /**
     * A reviewer's decision (v2, from the review Update), in one transaction.
     * The submission (who, corrections, confirmed checks) is read from Postgres
     * by id. A correction is checked again on the corrected record: checks that
     * fail and that the reviewer did not confirm (with a reason) refuse the
     * decision, and the document stays in review; confirmed ones are recorded.
     * Approve: the candidate becomes the record; reject: the document ends
     * failed with the reviewer's reason. Idempotent per workflow run.
     */
    async reviewDocument(input: ReviewInput): Promise<ReviewResult> {
      const run = workflowRun();
      const activityId = Context.current().info.activityId;
      return db.transaction().execute(async (trx): Promise<ReviewResult> => {
        const done = await findRunReviewAction(trx, run);
        if (done) {
          if (done.action === 'reject') {
            return { outcome: 'applied', status: 'failed', recordId: null, version: null, reasons: [], error: rejection(done.reviewer, done.note) };
          }
          const confirmed = Object.keys(done.confirmed_checks ?? {}).map((code) => `confirmed in review: ${code}`);
          return {
            outcome: 'applied',
            status: 'extracted',
            recordId: done.record_id,
            version: done.record_id ? await recordVersion(trx, done.record_id) : null,
            reasons: confirmed,
            error: null,
          };
        }
        const submission = await getReviewSubmission(trx, input.submissionId);
        if (!submission || submission.document_id !== input.documentId) {
          throw ApplicationFailure.nonRetryable(`no review submission ${input.submissionId} for this document`, BAD_REVIEW);
        }
        const reviewer = submission.reviewer;
        const base = {
          documentId: input.documentId,
          run,
          activityId,
          reviewer,
          action: submission.action,
          note: submission.note,
          submissionId: submission.id,
        };
        if (submission.action === 'reject') {
          const error = rejection(reviewer, submission.note);
          await insertReviewAction(trx, { ...base, changes: [], recordId: null });
          await settleDocumentRow(trx, input.documentId, { status: 'failed', error: scrub(error), reviewReasons: [], confidence: null });
          await markReviewSubmissionApplied(trx, submission.id, null);
          return { outcome: 'applied', status: 'failed', recordId: null, version: null, reasons: [], error };
        }
        const kind = input.kind === 'invoice' || input.kind === 'contract' ? input.kind : null;
        if (!kind) throw ApplicationFailure.nonRetryable('only an invoice or a contract can be approved or corrected', BAD_REVIEW);
        const candidate = input.candidateId ? await getCandidate(trx, input.candidateId) : undefined;
        if (submission.action === 'approve' && !candidate) {
          throw ApplicationFailure.nonRetryable('there is no extracted candidate to approve; send corrections', BAD_REVIEW);
        }
        const applied = applyCorrections(kind, candidate?.fields ?? null, submission.action === 'correct' ? (submission.corrections ?? {}) : {});
        let reasons: string[];
        let confirmedChecks: Record<string, string> | null = null;
        if (submission.action === 'correct') {
          // The corrected record is checked again: a person's value can be wrong too.
          const checks =
            kind === 'invoice'
              ? validateInvoice(applied.fields as InvoiceFields, { today: today() })
              : validateContract(applied.fields as ContractFields, { today: today() });
          const failing = checks.filter((c) => !c.passed);
          const confirmations = submission.confirmations ?? {};
          const unconfirmed = failing.filter((c) => !(c.name in confirmations) && !(checkCode(c) in confirmations));
          if (unconfirmed.length > 0) {
            await refuseReviewSubmission(
              trx,
              submission.id,
              `checks fail on the corrected record: ${unconfirmed.map(checkCode).join(', ')}; fix the fields, or confirm each check with a reason`,
              unconfirmed,
            );
            return { outcome: 'checks_failed', failedChecks: unconfirmed.map(checkCode) };
          }
          confirmedChecks = Object.fromEntries(
            failing.map((c) => [checkCode(c), confirmations[c.name] ?? confirmations[checkCode(c)] ?? '']),
          );
          reasons = failing.map((c) => `confirmed in review: ${checkCode(c)}`);
        } else {
          const stored = candidate?.checks ?? { checks: [] };
          reasons = stored.checks.filter((c) => !c.passed).map((c) => `approved in review despite: ${checkCode(c)}`);
        }
        const provenance = {
          documentId: input.documentId,
          candidateId: input.candidateId,
          workflowId: run.workflowId,
          runId: run.runId,
          source: `reviewer:${reviewer}`,
          confidence: 1,
          tier: 'reviewer',
          activityId,
        };
        const record =
          kind === 'invoice'
            ? await insertInvoiceVersion(trx, InvoiceExtraction.parse(applied.fields), provenance, null)
            : await insertContractVersion(trx, ContractExtraction.parse(applied.fields), provenance);
        await insertReviewAction(trx, { ...base, changes: applied.changes, recordId: record.id, confirmedChecks });
        await settleDocumentRow(trx, input.documentId, { status: 'extracted', error: null, reviewReasons: [], confidence: 1, route: input.route });
        await markReviewSubmissionApplied(trx, submission.id, record.id);
        return { outcome: 'applied', status: 'extracted', recordId: record.id, version: record.version, reasons, error: null };
      });
    },
  };
}

/**
 * Settles a document in a transaction: for an extracted one, the record version
 * from its candidate (once per candidate); then status, kind, route, reasons,
 * confidence and error.
 */
async function writeSettlement(
  trx: Transaction<Database>,
  input: FinishInput | SettleInput,
  run: { workflowId: string; runId: string },
  activityId: string,
  scrub: (message: string) => string,
): Promise<SettleOutcome> {
  let confidence: number | null = null;
  let record: SettleOutcome = { recordId: null, version: null };
  if (input.candidateId) {
    const candidate = await getCandidate(trx, input.candidateId);
    if (!candidate) throw new Error(`no candidate ${input.candidateId}`);
    confidence = Number(candidate.confidence);
    if (input.status === 'extracted') {
      const table = candidate.kind === 'invoice' ? 'invoices' : 'contracts';
      const existing = await findVersionOfCandidate(trx, table, input.candidateId);
      if (existing) {
        record = { recordId: existing.id, version: existing.version };
      } else {
        const provenance = {
          documentId: input.documentId,
          candidateId: input.candidateId,
          workflowId: run.workflowId,
          runId: run.runId,
          // Read exactly from an e-invoice's XML, or by model tiers.
          source: input.route.join('+') === 'xml' ? 'einvoice:en16931' : `model:${input.route.join('+')}`,
          confidence,
          tier: input.route[input.route.length - 1] ?? null,
          activityId,
        };
        const written =
          candidate.kind === 'invoice'
            ? await insertInvoiceVersion(trx, InvoiceExtraction.parse(candidate.fields), provenance, candidate.possible_duplicate_of)
            : await insertContractVersion(trx, ContractExtraction.parse(candidate.fields), provenance);
        record = { recordId: written.id, version: written.version };
      }
    }
  }
  await settleDocumentRow(trx, input.documentId, {
    status: input.status,
    kind: input.kind,
    route: input.route,
    reviewReasons: input.status === 'needs_review' ? input.reasons : [],
    error: input.error === null ? null : scrub(input.error),
    confidence,
  });
  return record;
}
