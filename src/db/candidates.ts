import type { Db } from './database.ts';
import { CandidateChecks, CandidateFields } from './json-columns.ts';
import type { CandidatesTable, Database } from './schema.ts';
import type { Insertable, Transaction } from 'kysely';

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
  db: Db | Transaction<Database>,
  candidate: Omit<Insertable<CandidatesTable>, 'fields' | 'checks'> & { fields: unknown; checks: CandidateChecks },
  checks: readonly CandidateCheckRow[],
): Promise<string> {
  const write = async (trx: Transaction<Database>) => {
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
  };
  return db.isTransaction ? write(db as Transaction<Database>) : db.transaction().execute(write);
}

/** The newest candidate of a document (what a reviewer sees), or undefined. */
export async function findLatestCandidate(db: Db, documentId: string): Promise<LatestCandidate | undefined> {
  return (await findLatestCandidates(db, [documentId])).get(documentId);
}

/** One candidate by id, its jsonb parsed (for settling, review and escalation), or undefined. */
export async function getCandidate(db: Db | Transaction<Database>, id: string) {
  const row = await db
    .selectFrom('candidates')
    .select(['id', 'kind', 'fields', 'checks', 'confidence', 'possible_duplicate_of'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? { ...row, fields: CandidateFields.parse(row.fields), checks: CandidateChecks.parse(row.checks) } : undefined;
}

/** The newest candidate of a document, as the review queue and the exports of documents in review show it. */
export interface LatestCandidate {
  stage: string;
  confidence: string;
  fields: CandidateFields;
  possibleDuplicateOf: string | null;
  createdAt: Date;
  /** Its checks as stored with it in validation_results (their messages put review reasons in words: src/review/reasons.ts). */
  checks: CandidateCheckRow[];
}

/** The newest candidate of each of the given documents (what the review queue shows), by document id. */
export async function findLatestCandidates(db: Db, documentIds: readonly string[]): Promise<Map<string, LatestCandidate>> {
  const latest = new Map<string, LatestCandidate>();
  if (documentIds.length === 0) return latest;
  const rows = await db
    .selectFrom('candidates')
    .select(['id', 'document_id', 'stage', 'confidence', 'fields', 'possible_duplicate_of', 'created_at'])
    .where('document_id', 'in', documentIds)
    .orderBy('created_at', 'desc')
    .execute();
  // Newest first: the first row of each document is its latest candidate.
  const seen = new Set<string>();
  const newest = rows.filter((c) => !seen.has(c.document_id) && seen.add(c.document_id));
  const checks = await findCandidateChecks(db, newest.map((c) => c.id));
  for (const c of newest) {
    latest.set(c.document_id, {
      stage: c.stage,
      confidence: c.confidence,
      fields: CandidateFields.parse(c.fields),
      possibleDuplicateOf: c.possible_duplicate_of,
      createdAt: c.created_at,
      checks: checks.get(c.id) ?? [],
    });
  }
  return latest;
}

/** The checks stored with each of the given candidates (validation_results), in the order they ran, by candidate id. */
export async function findCandidateChecks(db: Db, candidateIds: readonly string[]): Promise<Map<string, CandidateCheckRow[]>> {
  const out = new Map<string, CandidateCheckRow[]>();
  if (candidateIds.length === 0) return out;
  const rows = await db
    .selectFrom('validation_results')
    .select(['candidate_id', 'check_name', 'passed', 'message', 'fields'])
    .where('candidate_id', 'in', candidateIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const r of rows) {
    const list = out.get(r.candidate_id) ?? [];
    list.push({ name: r.check_name, passed: r.passed, message: r.message, fields: r.fields });
    out.set(r.candidate_id, list);
  }
  return out;
}
