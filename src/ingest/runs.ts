import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import { getDocument, recordCancellation } from '../db/documents.ts';
import { recordDocumentRun, resetDocumentForRun } from '../db/runs.ts';
import { reconcileDocument } from './reconcile.ts';
import type { ExtractDocumentInput } from '../../workflows/index.ts';
import { modelAttemptTimeout } from '../../workflows/policies.ts';
import { DocrouteFileName, DocrouteStatus } from '../../workflows/search-attributes.ts';

export interface RunContext {
  db: Db;
  client: Client;
  config: Config;
}

export type RunReason = 'ingest' | 'reprocess' | 'retry';

/** The workflow input for a document, from the configuration of now. */
export function workflowInputFor(config: Config, documentId: string): ExtractDocumentInput {
  return {
    documentId,
    routing: {
      longDocTokens: config.routing.longDocTokens,
      minConfidence: config.routing.minConfidence,
      chunkTokens: config.routing.chunkTokens,
      docBudgetUsd: config.routing.docBudgetUsd,
    },
    policy: {
      stallAfterMs: config.temporal.stallAfterMs,
      modelAttemptTimeoutMs: modelAttemptTimeout(config.gemini.timeoutMs),
      modelAttempts: config.gemini.maxAttempts,
    },
    searchAttributes: config.temporal.searchAttributes,
    webhooks: { timeoutMs: config.webhooks.timeoutMs, retryForMs: config.webhooks.retryForMs },
  };
}

/**
 * Starts a run of a document's workflow (its id is derived from the content).
 * The first run refuses any earlier one (REJECT_DUPLICATE); a reprocess or retry
 * may follow a closed run (ALLOW_DUPLICATE), never an open one: Temporal refuses
 * a second open run of one workflow id, so one document never has two runs at
 * once. The run is recorded (document_runs) after the one before it.
 * `started: false`: a run is open (or, for ingest, one existed).
 */
export async function startDocumentRun(
  ctx: RunContext,
  doc: { id: string; workflowId: string; fileName: string },
  trigger: { reason: RunReason; requestedBy: string | null },
): Promise<{ started: boolean; runId: string | null; runNumber: number | null; previousRunId: string | null }> {
  try {
    const handle = await ctx.client.workflow.start('extractDocument', {
      taskQueue: ctx.config.temporal.taskQueue,
      workflowId: doc.workflowId,
      args: [workflowInputFor(ctx.config, doc.id)],
      workflowIdReusePolicy: trigger.reason === 'ingest' ? WorkflowIdReusePolicy.REJECT_DUPLICATE : WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      ...(ctx.config.temporal.searchAttributes
        ? {
            typedSearchAttributes: [
              { key: DocrouteFileName, value: doc.fileName },
              { key: DocrouteStatus, value: 'received' },
            ],
          }
        : {}),
    });
    const recorded = await recordDocumentRun(ctx.db, {
      documentId: doc.id,
      workflowId: doc.workflowId,
      runId: handle.firstExecutionRunId,
      reason: trigger.reason,
      requestedBy: trigger.requestedBy,
    });
    return { started: true, runId: handle.firstExecutionRunId, ...recorded };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { started: false, runId: null, runNumber: null, previousRunId: null };
    throw error;
  }
}

export type RerunResult =
  | { ok: true; documentId: string; workflowId: string; runId: string; runNumber: number; previousRunId: string | null }
  | { ok: false; code: 'not_found' | 'busy' | 'not_retryable'; message: string };

/** Statuses `retry` applies to: the run ended without a verdict on the document's content being final. */
export const RETRYABLE_STATUSES = ['stalled', 'cancelled', 'failed'] as const;

/**
 * A new run of a document (reprocess: after a rule, model or configuration
 * change; retry: after a stall, a cancellation or a failure). A document waiting
 * in review is cancelled first (recorded `cancelled`), then run again; one
 * being processed is refused (`busy`). The new run's record is a new version,
 * and document_runs links it to the run before.
 */
export async function rerunDocument(
  ctx: RunContext,
  documentId: string,
  options: { reason: 'reprocess' | 'retry'; requestedBy: string | null },
): Promise<RerunResult> {
  const found = await getDocument(ctx.db, documentId);
  if (!found) return { ok: false, code: 'not_found', message: `No document ${documentId}.` };
  // A run terminated (or timed out) in Temporal left its state behind: record it cancelled first.
  const reconciled = await reconcileDocument(ctx, found);
  const doc = reconciled === 'cancelled' ? ((await getDocument(ctx.db, documentId)) ?? found) : found;
  if (options.reason === 'retry' && !(RETRYABLE_STATUSES as readonly string[]).includes(doc.status)) {
    return {
      ok: false,
      code: 'not_retryable',
      message: `Document ${doc.id} is ${doc.status}; retry applies to ${RETRYABLE_STATUSES.join(', ')} documents (use reprocess for a new run of a settled one).`,
    };
  }
  const handle = ctx.client.workflow.getHandle(doc.workflow_id);
  const description = await handle.describe().catch(() => null);
  if (description?.status.name === 'RUNNING') {
    if (doc.status !== 'needs_review') {
      return { ok: false, code: 'busy', message: `Document ${doc.id} is being processed (${doc.status}); try again when it has settled.` };
    }
    // In review: this run ends cancelled (recorded), then the new one starts.
    await handle.cancel();
    await handle.result().catch((error: unknown) => {
      if (!(error instanceof WorkflowFailedError)) throw error;
    });
  }
  const settledAs = (await getDocument(ctx.db, doc.id))?.status ?? doc.status;
  const started = await startDocumentRun(
    ctx,
    { id: doc.id, workflowId: doc.workflow_id, fileName: doc.file_name },
    { reason: options.reason, requestedBy: options.requestedBy },
  );
  if (!started.started || started.runId === null || started.runNumber === null) {
    return { ok: false, code: 'busy', message: `Document ${doc.id} has a run in progress; try again when it has settled.` };
  }
  // The previous verdict no longer holds; unless the new run has already written its own state.
  await resetDocumentForRun(ctx.db, doc.id, settledAs);
  return {
    ok: true,
    documentId: doc.id,
    workflowId: doc.workflow_id,
    runId: started.runId,
    runNumber: started.runNumber,
    previousRunId: started.previousRunId,
  };
}

export type CancelResult =
  | { ok: true; documentId: string; workflowId: string; status: string }
  | { ok: false; code: 'not_found' | 'not_running'; message: string };

/**
 * Cancels a document's running workflow (`docroute cancel`): the run records
 * the document `cancelled` (in a non-cancellable scope) and ends; then who
 * asked and why are written with it. A document whose run has ended is refused.
 */
export async function cancelDocument(ctx: RunContext, documentId: string, options: { requestedBy: string; reason: string | null }): Promise<CancelResult> {
  const doc = await getDocument(ctx.db, documentId);
  if (!doc) return { ok: false, code: 'not_found', message: `No document ${documentId}.` };
  const handle = ctx.client.workflow.getHandle(doc.workflow_id);
  const description = await handle.describe().catch(() => null);
  if (description?.status.name !== 'RUNNING') {
    return { ok: false, code: 'not_running', message: `Document ${doc.id} has no running workflow (it is ${doc.status}); nothing to cancel.` };
  }
  await handle.cancel();
  await handle.result().catch((error: unknown) => {
    if (!(error instanceof WorkflowFailedError)) throw error;
  });
  await recordCancellation(ctx.db, doc.id, options.requestedBy, options.reason);
  const settled = await getDocument(ctx.db, doc.id);
  return { ok: true, documentId: doc.id, workflowId: doc.workflow_id, status: settled?.status ?? doc.status };
}
