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
