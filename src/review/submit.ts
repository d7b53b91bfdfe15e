import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ContractCorrection, InvoiceCorrection } from '../../schemas/index.ts';
import type { ReviewResult } from '../../activities/types.ts';
import { reviewSignal, reviewUpdate } from '../../workflows/signals.ts';
import type { Db } from '../db/database.ts';
import { getDocument } from '../db/documents.ts';
import { createReviewSubmission, getReviewSubmission, refuseReviewSubmission } from '../db/reviews.ts';

/** A reviewer's decision as a person makes it (API body, console form). */
export interface ReviewDecisionInput {
  action: 'approve' | 'correct' | 'reject';
  /** For `correct`: field → corrected value (validated against the kind's correction schema). */
  fields?: Record<string, unknown>;
  note?: string;
  /**
   * Failing checks the reviewer confirms as they are, each with a reason
   * (`{ "iban_checksum": "the supplier's account, verified by phone" }`).
   */
  confirm?: Record<string, string>;
}

/** Who decides: the authenticated principal (API key, console account), never a request body. */
export interface Reviewer {
  name: string;
  /** The API key id, when the decision came through the API. */
  keyId: string | null;
}

export type SubmitReviewResult =
  | {
      ok: true;
      documentId: string;
      status: 'extracted' | 'failed';
      /** The record version the decision wrote (approve, correct). */
      record: { id: string; version: number } | null;
      /** The reasons of the document's final state. */
      reasons: string[];
      error: string | null;
    }
  | {
      /** A run started before review by Update: the decision was sent as a signal, applied asynchronously. */
      ok: true;
      documentId: string;
      status: 'accepted';
    }
  | {
      ok: false;
      code: 'not_found' | 'not_in_review' | 'invalid' | 'refused' | 'checks_failed';
      message: string;
      /** For checks_failed: the checks that fail on the corrected record, with their messages. */
      failedChecks?: { name: string; message: string; fields: string[] }[];
    };

export interface ReviewDeps {
  db: Db;
  client: Client;
}

/**
 * Submits a reviewer's decision on a document in review: the one function the
 * API and the console call. The decision is stored (review_submissions) and
 * sent to the document's workflow as a Temporal Update carrying only its id;
 * the workflow's validator refuses it when the document is not awaiting review
 * or already decided, and its handler applies it (a new record version, or the
 * rejection) or refuses it when checks fail on the corrected record and the
 * reviewer did not confirm them. Concurrent decisions: one is applied, the
 * others are refused.
 */
export async function submitReview(
  deps: ReviewDeps,
  request: { documentId: string; decision: ReviewDecisionInput; reviewer: Reviewer },
): Promise<SubmitReviewResult> {
  const { documentId, decision, reviewer } = request;
  const doc = await getDocument(deps.db, documentId);
  if (!doc) return { ok: false, code: 'not_found', message: `No document ${documentId}.` };
  if (doc.status !== 'needs_review') {
    return { ok: false, code: 'not_in_review', message: `Document ${doc.id} is ${doc.status}, not waiting for review.` };
  }
  let corrections: Record<string, unknown> | null = null;
  if (decision.action === 'correct') {
    if (doc.kind !== 'invoice' && doc.kind !== 'contract') {
      return { ok: false, code: 'invalid', message: `Document ${doc.id} is not an invoice or a contract; approve or reject it.` };
    }
    const schema = doc.kind === 'invoice' ? InvoiceCorrection : ContractCorrection;
    const checked = schema.safeParse(decision.fields ?? {});
    if (!checked.success) {
      return {
        ok: false,
        code: 'invalid',
        message: `Invalid correction: ${checked.error.issues.map((i) => `fields.${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      };
    }
    corrections = checked.data as Record<string, unknown>;
  }
  if (decision.action === 'reject' && !decision.note?.trim()) {
    return { ok: false, code: 'invalid', message: 'A rejection needs a note saying why.' };
  }
  const submissionId = await createReviewSubmission(deps.db, {
    documentId: doc.id,
    reviewer: reviewer.name,
    reviewerKeyId: reviewer.keyId,
    action: decision.action,
    corrections,
    note: decision.note ?? null,
    confirmations: decision.confirm ?? {},
  });
  const handle = deps.client.workflow.getHandle(doc.workflow_id);
  let result: ReviewResult;
  try {
    result = await handle.executeUpdate(reviewUpdate, { args: [{ submissionId, action: decision.action }], updateId: submissionId });
  } catch (error) {
    const message = refusalMessage(error);
    if (/no registered handler for update/i.test(message)) {
      // A run of the workflow's first version (started before review by Update): it takes signals.
      await handle.signal(reviewSignal, {
        reviewer: reviewer.name,
        action: decision.action,
        ...(corrections ? { corrections } : {}),
        ...(decision.note ? { note: decision.note } : {}),
      });
      return { ok: true, documentId: doc.id, status: 'accepted' };
    }
    await refuseReviewSubmission(deps.db, submissionId, message);
    const code = /not awaiting review|already|being applied/i.test(message) ? 'not_in_review' : 'refused';
    return { ok: false, code, message };
  }
  if (result.outcome === 'checks_failed') {
    const stored = await getReviewSubmission(deps.db, submissionId);
    return {
      ok: false,
      code: 'checks_failed',
      message:
        stored?.refusal ??
        `checks fail on the corrected record: ${result.failedChecks.join(', ')}; fix the fields, or confirm each check with a reason`,
      failedChecks: stored?.failed_checks ?? result.failedChecks.map((code) => ({ name: code, message: code, fields: [] })),
    };
  }
  return {
    ok: true,
    documentId: doc.id,
    status: result.status,
    record: result.recordId !== null && result.version !== null ? { id: result.recordId, version: result.version } : null,
    reasons: result.reasons,
    error: result.error,
  };
}

/** The reason a workflow gave for refusing an Update (validator or handler), or what went wrong reaching it. */
function refusalMessage(error: unknown): string {
  if (error instanceof WorkflowUpdateFailedError) {
    const cause = error.cause as { message?: string } | undefined;
    return cause?.message || error.message;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (/not found|already completed|workflow execution.*(closed|completed)/i.test(message)) {
    return 'the document is not awaiting review: its workflow has ended';
  }
  throw error;
}
