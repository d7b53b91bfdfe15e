import { ApplicationFailure, Context } from '@temporalio/activity';
import { sql } from 'kysely';
import { insertContractVersion, insertInvoiceVersion } from '../src/db/records.ts';
import { ContractExtraction, InvoiceExtraction } from '../schemas/index.ts';
import { applyCorrections, type FieldChange } from '../src/review/corrections.ts';
import type { ApplyReviewInput, ReviewOutcome, FinishInput, RoutingRecord } from './types.ts';
import { activityContext, rejection, workflowRun, type ActivityDeps } from './support.ts';

/** Decisions and results: routing decisions, the final record and status, reviews. */
export function createOutcomeActivities(deps: ActivityDeps) {
  const { db, scrub } = activityContext(deps);
  return {
    /**
     * A reviewer's decision, in one transaction: approve (the candidate becomes the
     * record), correct (the corrected fields, at confidence 1, over the candidate),
     * or reject (the document ends failed with the reviewer's reason). The record
     * is a new version whose source names the reviewer; the review trail keeps who
     * changed what. Idempotent per workflow run.
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
          if (!kind) throw ApplicationFailure.nonRetryable('only an invoice or a contract can be approved or corrected', 'BadReview');
          if (decision.action === 'approve' && !candidate) {
            throw ApplicationFailure.nonRetryable('there is no extracted candidate to approve; send corrections', 'BadReview');
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
     * The last step, in one transaction: the record version (for an extracted
     * document) and the document's final status, route, confidence and reasons.
     * Idempotent: a record already written for this candidate is not written again.
     */
    async finishDocument(input: FinishInput): Promise<void> {
      const run = workflowRun();
      await db.transaction().execute(async (trx) => {
        let confidence: number | null = null;
        if (input.candidateId) {
          const candidate = await trx
            .selectFrom('candidates')
            .select(['kind', 'fields', 'confidence', 'possible_duplicate_of'])
            .where('id', '=', input.candidateId)
            .executeTakeFirstOrThrow();
          confidence = Number(candidate.confidence);
          if (input.status === 'extracted') {
            const table = candidate.kind === 'invoice' ? 'invoices' : 'contracts';
            const existing = await trx
              .selectFrom(table)
              .select('id')
              .where('candidate_id', '=', input.candidateId)
              .executeTakeFirst();
            if (!existing) {
              const provenance = {
                documentId: input.documentId,
                candidateId: input.candidateId,
                workflowId: run.workflowId,
                runId: run.runId,
                // Read exactly from an e-invoice's XML, or by model tiers.
                source: input.route.join('+') === 'xml' ? 'einvoice:en16931' : `model:${input.route.join('+')}`,
                confidence,
                tier: input.route[input.route.length - 1] ?? null,
                activityId: Context.current().info.activityId,
              };
              if (candidate.kind === 'invoice') {
                const fields = InvoiceExtraction.parse(candidate.fields);
                await insertInvoiceVersion(trx, fields, provenance, candidate.possible_duplicate_of);
              } else {
                await insertContractVersion(trx, ContractExtraction.parse(candidate.fields), provenance);
              }
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
      });
    },
  };
}
