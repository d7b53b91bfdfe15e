import { ApplicationFailure, Context } from '@temporalio/activity';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../src/db/schema.ts';
import type { ContractExtraction as ContractFields, InvoiceExtraction as InvoiceFields } from '../schemas/index.ts';
import { findRunReviewAction, getReviewSubmission, markReviewSubmissionApplied, recordVersion, refuseReviewSubmission } from '../src/db/reviews.ts';
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
        const done = await trx
          .selectFrom('review_actions')
          .select(['record_id', 'action', 'note', 'reviewer'])
          .where('workflow_id', '=', run.workflowId)
          .where('run_id', '=', run.runId)
          .executeTakeFirst();
        const decision = input.decision;
        if (done) {
          return done.action === 'reject'
            ? { status: 'failed', confidence: null, recordId: null, error: rejection(done.reviewer, done.note) }
            : { status: 'extracted', confidence: 1, recordId: done.record_id, error: null };
        }
        const candidate = input.candidateId
          ? await trx.selectFrom('candidates').select(['fields']).where('id', '=', input.candidateId).executeTakeFirst()
          : undefined;
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
        await trx
          .insertInto('review_actions')
          .values({
            document_id: input.documentId,
            workflow_id: run.workflowId,
            run_id: run.runId,
            activity_id: Context.current().info.activityId,
            reviewer: decision.reviewer,
            action: decision.action,
            changes: JSON.stringify(changes),
            note: decision.note ?? null,
            record_id: recordId,
          })
          .execute();
        const rejected = decision.action === 'reject';
        const error = rejected ? rejection(decision.reviewer, decision.note ?? null) : null;
        await trx
          .updateTable('documents')
          .set({
            status: rejected ? 'failed' : 'extracted',
            error,
            review_reasons: [],
            confidence: rejected ? null : '1.0000',
            updated_at: sql`now()`,
          })
          .where('id', '=', input.documentId)
          .execute();
        return rejected
          ? { status: 'failed', confidence: null, recordId: null, error }
          : { status: 'extracted', confidence: 1, recordId, error: null };
      });
    },

    async recordRouting(decision: RoutingRecord): Promise<void> {
      const run = workflowRun();
      await db
        .insertInto('routing_decisions')
        .values({
          document_id: decision.documentId,
          workflow_id: run.workflowId,
          run_id: run.runId,
          activity_id: Context.current().info.activityId,
          sequence: decision.sequence,
          stage: decision.stage,
          action: decision.action,
          reason: decision.reasons.join('; '),
          inputs: JSON.stringify(decision.inputs),
        })
        .onConflict((oc) => oc.constraint('routing_decisions_step_uq').doNothing())
        .execute();
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
          document_id: input.documentId,
          workflow_id: run.workflowId,
          run_id: run.runId,
          activity_id: activityId,
          reviewer,
          action: submission.action,
          note: submission.note,
          submission_id: submission.id,
        };
        if (submission.action === 'reject') {
          const error = rejection(reviewer, submission.note);
          await trx.insertInto('review_actions').values({ ...base, changes: '[]', record_id: null, confirmed_checks: null }).execute();
          await trx
            .updateTable('documents')
            .set({ status: 'failed', error: scrub(error), review_reasons: [], confidence: null, updated_at: sql`now()` })
            .where('id', '=', input.documentId)
            .execute();
          await markReviewSubmissionApplied(trx, submission.id, null);
          return { outcome: 'applied', status: 'failed', recordId: null, version: null, reasons: [], error };
        }
        const kind = input.kind === 'invoice' || input.kind === 'contract' ? input.kind : null;
        if (!kind) throw ApplicationFailure.nonRetryable('only an invoice or a contract can be approved or corrected', BAD_REVIEW);
        const candidate = input.candidateId
          ? await trx.selectFrom('candidates').select(['fields', 'checks']).where('id', '=', input.candidateId).executeTakeFirst()
          : undefined;
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
          const stored = (candidate?.checks ?? { checks: [] }) as { checks: { name: string; passed: boolean; fields: string[] }[] };
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
        await trx
          .insertInto('review_actions')
          .values({
            ...base,
            changes: JSON.stringify(applied.changes),
            record_id: record.id,
            confirmed_checks: confirmedChecks === null ? null : JSON.stringify(confirmedChecks),
          })
          .execute();
        await trx
          .updateTable('documents')
          .set({ status: 'extracted', error: null, review_reasons: [], confidence: '1.0000', route: input.route, updated_at: sql`now()` })
          .where('id', '=', input.documentId)
          .execute();
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
    const candidate = await trx
      .selectFrom('candidates')
      .select(['kind', 'fields', 'confidence', 'possible_duplicate_of'])
      .where('id', '=', input.candidateId)
      .executeTakeFirstOrThrow();
    confidence = Number(candidate.confidence);
    if (input.status === 'extracted') {
      const table = candidate.kind === 'invoice' ? 'invoices' : 'contracts';
      const existing = await trx.selectFrom(table).select(['id', 'version']).where('candidate_id', '=', input.candidateId).executeTakeFirst();
      if (existing) {
        record = { recordId: existing.id, version: existing.version };
      } else {
        const provenance = {
          documentId: input.documentId,
          candidateId: input.candidateId,
          workflowId: run.workflowId,
          runId: run.runId,
          source: `model:${input.route.join('+')}`,
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
  await trx
    .updateTable('documents')
    .set({
      status: input.status,
      kind: input.kind,
      route: input.route,
      review_reasons: input.status === 'needs_review' ? input.reasons : [],
      error: input.error === null ? null : scrub(input.error),
      confidence: confidence === null ? null : confidence.toFixed(4),
      updated_at: sql`now()`,
    })
    .where('id', '=', input.documentId)
    .execute();
  return record;
}
