import type { Db } from './database.ts';
import { CandidateChecks, CandidateFields } from './json-columns.ts';
import type { CandidatesTable } from './schema.ts';
import type { Insertable } from 'kysely';

/**
 * Candidates: a stage's scored extraction (fields, confidence, checks) before it
 * becomes a record or goes to review. The jsonb columns are parsed here, where
 * they enter the app.
 */

/** A validation result stored with its candidate (one row of validation_results). */
export interface CandidateCheckRow {
  name: string;
  passed: boolean;
  message: string;
  fields: string[];
}

/** The candidate a run already stored for a stage (assembling it again is then a no-op). */
export async function findRunCandidate(db: Db, run: { workflowId: string; runId: string; stage: string }) {
  const row = await db
    .selectFrom('candidates')
    .select(['id', 'checks', 'confidence', 'possible_duplicate_of'])
    .where('workflow_id', '=', run.workflowId)
    .where('run_id', '=', run.runId)
    .where('stage', '=', run.stage)
    .executeTakeFirst();
  return row ? { ...row, checks: CandidateChecks.parse(row.checks) } : undefined;
}

/** Stores a candidate and its checks in one transaction; returns its id. */
export async function insertCandidate(
  db: Db,
  candidate: Omit<Insertable<CandidatesTable>, 'fields' | 'checks'> & { fields: unknown; checks: CandidateChecks },
  checks: readonly CandidateCheckRow[],
): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('candidates')
      .values({ ...candidate, fields: JSON.stringify(candidate.fields), checks: JSON.stringify(candidate.checks) })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (checks.length > 0) {
      await trx
        .insertInto('validation_results')
        .values(
          checks.map((c) => ({
            document_id: candidate.document_id,
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
}

/** The newest candidate of a document (what a reviewer sees), or undefined. */
export async function findLatestCandidate(db: Db, documentId: string) {
  const row = await db
    .selectFrom('candidates')
    .select(['fields', 'confidence', 'stage'])
    .where('document_id', '=', documentId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { ...row, fields: CandidateFields.parse(row.fields) } : undefined;
}
