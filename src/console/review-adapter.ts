import type { Client } from '@temporalio/client';
import type { Db } from '../db/database.ts';
import { findReviewAction } from '../db/review-queue.ts';
import { submitReview, type ReviewDecisionInput } from '../review/submit.ts';

/**
 * The console's decisions go through the one review service (src/review/
 * submit.ts, the workflow's review Update) that the API uses too; this maps its
 * answer to what the console shows: the record version made, or the refusal
 * with its reason (and, when checks fail on the corrected record, which ones,
 * so the reviewer can fix the fields or confirm each check with a reason).
 */

export type ConsoleDecision = ReviewDecisionInput;

export type ConsoleReviewResult =
  | { ok: true; status: 'extracted' | 'failed'; recordId: string | null; version: number | null }
  | {
      ok: false;
      status: 400 | 404 | 409 | 504;
      reason: string;
      failedChecks?: { name: string; message: string; fields: string[] }[];
    };

const HTTP_STATUS = { not_found: 404, not_in_review: 409, invalid: 400, refused: 409, checks_failed: 409 } as const;

export async function submitConsoleReview(
  deps: { db: Db; client: Client },
  input: { documentId: string; decision: ConsoleDecision; reviewer: string },
  waitMs = 30_000,
): Promise<ConsoleReviewResult> {
  const since = new Date(Date.now() - 1000);
  const result = await submitReview(deps, {
    documentId: input.documentId,
    decision: input.decision,
    reviewer: { name: input.reviewer, keyId: null },
  });
  if (!result.ok) {
    return {
      ok: false,
      status: HTTP_STATUS[result.code],
      reason: result.message,
      ...(result.failedChecks ? { failedChecks: result.failedChecks } : {}),
    };
  }
  if (result.status !== 'accepted') {
    return { ok: true, status: result.status, recordId: result.record?.id ?? null, version: result.record?.version ?? null };
  }
  // A run from before review by Update took the decision as a signal: wait until it is recorded.
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const done = await findReviewAction(deps.db, input.documentId, since);
    if (done) {
      return {
        ok: true,
        status: done.action === 'reject' ? 'failed' : 'extracted',
        recordId: done.record_id,
        version: done.invoice_version ?? done.contract_version ?? null,
      };
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return { ok: false, status: 504, reason: 'the decision was sent but not recorded in time; reload to see whether it took' };
}
