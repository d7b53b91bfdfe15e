import { CandidateChecks, ReviewChanges, RoutingInputs } from './json-columns.ts';
import type { Db } from './database.ts';

/**
 * What happened to a document, table by table (routing decisions, model calls,
 * validation checks), for `docroute show` and the audit timeline.
 */

/** The routing decisions of a document, in the order they were made. */
export async function listRoutingDecisions(db: Db, documentId: string) {
  return db
    .selectFrom('routing_decisions')
    .select(['sequence', 'stage', 'action', 'reason', 'created_at'])
    .where('document_id', '=', documentId)
    .orderBy('created_at')
    .orderBy('sequence')
    .execute();
}

/** The model calls made for a document, oldest first (no results: they can be large). */
export async function listAttemptSummaries(db: Db, documentId: string) {
  return db
    .selectFrom('extraction_attempts')
    .select(['tier', 'model', 'chunk_index', 'page_from', 'page_to', 'input_tokens', 'output_tokens', 'tokens_estimated', 'cost_usd', 'latency_ms', 'outcome', 'error', 'created_at'])
    .where('document_id', '=', documentId)
    .orderBy('created_at')
    .execute();
}

/** Every validation check run on a document's candidates, oldest first. */
export async function listDocumentChecks(db: Db, documentId: string) {
  return db
    .selectFrom('validation_results')
    .select(['check_name', 'passed', 'message'])
    .where('document_id', '=', documentId)
    .orderBy('created_at')
    .execute();
}

/** Records one routing decision of a run (once per run and sequence: a retried activity writes nothing new). */
export async function insertRoutingDecision(
  db: Db,
  decision: {
    documentId: string;
    run: { workflowId: string; runId: string };
    activityId: string;
    sequence: number;
    stage: string;
    action: string;
    reasons: readonly string[];
    inputs: RoutingInputs;
  },
): Promise<void> {
  await db
    .insertInto('routing_decisions')
    .values({
      document_id: decision.documentId,
      workflow_id: decision.run.workflowId,
      run_id: decision.run.runId,
      activity_id: decision.activityId,
      sequence: decision.sequence,
      stage: decision.stage,
      action: decision.action,
      reason: decision.reasons.join('; '),
      inputs: JSON.stringify(decision.inputs),
    })
    .onConflict((oc) => oc.constraint('routing_decisions_step_uq').doNothing())
    .execute();
}

/** Every model call made for a document, whole rows, oldest first (the audit timeline). */
export async function listDocumentAttempts(db: Db, documentId: string) {
  return db.selectFrom('extraction_attempts').selectAll().where('document_id', '=', documentId).orderBy('created_at').execute();
}

/** Every routing decision of a document with its inputs, in sequence order (the audit timeline). */
export async function listRoutingDecisionDetails(db: Db, documentId: string) {
  const rows = await db.selectFrom('routing_decisions').selectAll().where('document_id', '=', documentId).orderBy('sequence').execute();
  return rows.map((r) => ({ ...r, inputs: RoutingInputs.parse(r.inputs) }));
}

/** Every candidate of a document, oldest first, each with its validation results in the order they were run. */
export async function listCandidatesWithChecks(db: Db, documentId: string) {
  const candidates = await db.selectFrom('candidates').selectAll().where('document_id', '=', documentId).orderBy('created_at').execute();
  const checks = await db
    .selectFrom('validation_results')
    .select(['candidate_id', 'check_name', 'passed', 'message', 'fields'])
    .where('document_id', '=', documentId)
    .orderBy('created_at')
    .execute();
  return candidates.map((c) => ({
    ...c,
    checks: CandidateChecks.parse(c.checks),
    results: checks.filter((r) => r.candidate_id === c.id).map(({ candidate_id: _, ...r }) => r),
  }));
}

/** Every review decision applied to a document, oldest first, its changes parsed. */
export async function listReviewActions(db: Db, documentId: string) {
  const rows = await db.selectFrom('review_actions').selectAll().where('document_id', '=', documentId).orderBy('created_at').execute();
  return rows.map((r) => ({ ...r, changes: ReviewChanges.parse(r.changes) }));
}
