import type { Client } from '@temporalio/client';
import { ContractCorrection, InvoiceCorrection } from '../../schemas/index.ts';
import { reviewSignal } from '../../workflows/signals.ts';
import type { Db } from '../db/database.ts';
import { findReviewAction } from '../db/review-queue.ts';

/**
 * The console's way to decide a document: the same path as the API's review
 * route (validated with the same correction schemas, sent to the document's
 * workflow), then waits for the workflow to record the decision so the
 * reviewer sees the record version it made or why it was refused.
 *
 * A thin adapter: when the review becomes a workflow Update with a validator
 * (src/review/), this calls that one service function instead.
 */

export interface ConsoleDecision {
  action: 'approve' | 'correct' | 'reject';
  fields?: Record<string, unknown> | undefined;
  note?: string | undefined;
}

export type ConsoleReviewResult =
  | { ok: true; action: string; recordId: string | null; version: number | null; changes: { field: string; before: unknown; after: unknown }[] }
  | { ok: false; status: 400 | 404 | 409 | 504; reason: string };

export async function submitConsoleReview(
  deps: { db: Db; client: Client },
  input: { documentId: string; decision: ConsoleDecision; reviewer: string },
  waitMs = 30_000,
): Promise<ConsoleReviewResult> {
  const { db } = deps;
  const { decision } = input;
  const doc = await db
    .selectFrom('documents')
    .select(['id', 'status', 'kind', 'workflow_id'])
    .where('id', '=', input.documentId)
    .executeTakeFirst();
  if (!doc) return { ok: false, status: 404, reason: 'no such document' };
  if (doc.status !== 'needs_review') return { ok: false, status: 409, reason: `the document is ${doc.status.replace('_', ' ')}, not waiting for review` };
  let corrections: Record<string, unknown> | undefined;
  if (decision.action === 'correct') {
    if (doc.kind !== 'invoice' && doc.kind !== 'contract') {
      return { ok: false, status: 409, reason: 'only an invoice or a contract can be corrected; approve or reject it' };
    }
    const checked = (doc.kind === 'invoice' ? InvoiceCorrection : ContractCorrection).safeParse(decision.fields ?? {});
    if (!checked.success) {
      return { ok: false, status: 400, reason: checked.error.issues.map((i) => `${i.path.join('.') || 'fields'}: ${i.message}`).join('; ') };
    }
    corrections = checked.data;
  }
  if (decision.action === 'reject' && !decision.note?.trim()) return { ok: false, status: 400, reason: 'a rejection needs a reason' };
  if (decision.action === 'approve') {
    const candidate = await db.selectFrom('candidates').select('id').where('document_id', '=', doc.id).limit(1).executeTakeFirst();
    if (!candidate) return { ok: false, status: 409, reason: 'the models produced nothing to approve; correct or reject it' };
  }
  const since = new Date(Date.now() - 1000);
  await deps.client.workflow.getHandle(doc.workflow_id).signal(reviewSignal, {
    reviewer: input.reviewer,
    action: decision.action,
    ...(corrections ? { corrections } : {}),
    ...(decision.note?.trim() ? { note: decision.note.trim() } : {}),
  });
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const done = await findReviewAction(db, doc.id, since);
    if (done) {
      return {
        ok: true,
        action: done.action,
        recordId: done.record_id,
        version: done.invoice_version ?? done.contract_version ?? null,
        changes: done.changes,
      };
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return { ok: false, status: 504, reason: 'the decision was sent but not recorded in time; reload to see whether it took' };
}
