import type { Client } from '@temporalio/client';
import type { Db } from '../db/database.ts';
import { findDocumentByWorkflowId } from '../db/documents.ts';
import { recordClosedRun, UNFINISHED_STATUSES, type ClosedRun, type ClosedRunOutcome } from '../db/runs.ts';
import type { Logger } from '../logger.ts';

/**
 * Runs that ended with no workflow code running. A cancelled run records its
 * document `cancelled` itself (a non-cancellable scope in the workflow); a
 * terminated run, or one past its execution timeout, runs nothing, so its
 * document would keep the state it was left in (`processing`, `needs_review`)
 * for good. The reconciler asks Temporal how the document's latest run closed
 * and, when it was terminated or timed out, records the document `cancelled`
 * with the reason and identity Temporal kept (src/db/runs.ts recordClosedRun),
 * which the audit timeline shows. Outside workflow code: nothing to replay.
 *
 * Where it runs: in every worker process, at start and every few minutes
 * (a sweep over Temporal's visibility: only runs closed as terminated or timed
 * out on this task queue, newest first); and for one document before a retry
 * or reprocess decides what to do with it.
 */
export interface ReconcileContext {
  db: Db;
  client: Client;
}

/** The workflow type whose runs settle documents. */
const DOCUMENT_WORKFLOW = 'extractDocument';

/**
 * How a workflow id's latest run closed, when it closed outside workflow code;
 * null while it runs or when it closed by its own code (completed, failed, cancelled).
 */
export async function closedOutside(client: Client, workflowId: string): Promise<ClosedRun | null> {
  const handle = client.workflow.getHandle(workflowId);
  const description = await handle.describe().catch(() => null);
  const status = description?.status.name;
  if (!description || (status !== 'TERMINATED' && status !== 'TIMED_OUT')) return null;
  const run: ClosedRun = {
    workflowId,
    runId: description.runId,
    closedAs: status === 'TERMINATED' ? 'terminated' : 'timed_out',
    reason: null,
    identity: null,
    closedAt: description.closeTime ?? new Date(),
  };
  // The closing event is the history's last: read it alone, newest first.
  const page = await client.workflowService
    .getWorkflowExecutionHistoryReverse({ namespace: client.options.namespace, execution: { workflowId, runId: description.runId }, maximumPageSize: 1 })
    .catch(() => null);
  const terminated = page?.history?.events?.[0]?.workflowExecutionTerminatedEventAttributes;
  if (terminated) {
    run.reason = terminated.reason || null;
    run.identity = terminated.identity || null;
  }
  return run;
}

/**
 * One document: when its latest run was terminated or timed out while the row
 * shows it unfinished, records it `cancelled`. Cheap for a settled document
 * (no call to Temporal).
 */
export async function reconcileDocument(
  ctx: ReconcileContext,
  doc: { workflow_id: string; status: string },
): Promise<ClosedRunOutcome | 'running' | 'settled'> {
  if (!(UNFINISHED_STATUSES as readonly string[]).includes(doc.status)) return 'settled';
  const closed = await closedOutside(ctx.client, doc.workflow_id);
  return closed ? recordClosedRun(ctx.db, closed) : 'running';
}

/**
 * Every document of this task queue whose latest run was terminated or timed
 * out since `since`: recorded (idempotent). Returns what it recorded.
 */
export async function sweepClosedRuns(
  ctx: ReconcileContext & { taskQueue: string },
  since: Date,
): Promise<{ workflowId: string; outcome: ClosedRunOutcome }[]> {
  const query =
    `WorkflowType = '${DOCUMENT_WORKFLOW}' AND TaskQueue = '${ctx.taskQueue.replace(/'/g, "\\'")}' ` +
    `AND ExecutionStatus IN ('Terminated', 'TimedOut') AND CloseTime >= '${since.toISOString()}'`;
  const seen = new Set<string>();
  const recorded: { workflowId: string; outcome: ClosedRunOutcome }[] = [];
  for await (const execution of ctx.client.workflow.list({ query })) {
    if (seen.has(execution.workflowId)) continue;
    seen.add(execution.workflowId);
    const doc = await findDocumentByWorkflowId(ctx.db, execution.workflowId);
    if (!doc) continue;
    const outcome = await reconcileDocument(ctx, doc);
    if (outcome !== 'running' && outcome !== 'settled') recorded.push({ workflowId: execution.workflowId, outcome });
  }
  return recorded;
}

/** How far back the first sweep of a worker looks, and how often it sweeps again. */
export const RECONCILE_LOOKBACK_MS = 7 * 24 * 3600_000;
export const RECONCILE_EVERY_MS = 5 * 60_000;

/**
 * Sweeps at start and every `everyMs` (each sweep from the start of the one
 * before it, less a minute for visibility's lag). Errors are logged, never
 * thrown: the next sweep tries again. `stop()` waits for a sweep in progress.
 */
export function startRunReconciler(
  ctx: ReconcileContext & { taskQueue: string; log: Logger },
  options: { everyMs?: number; lookbackMs?: number } = {},
): { stop(): Promise<void>; swept(): Promise<void> } {
  const everyMs = options.everyMs ?? RECONCILE_EVERY_MS;
  let since = new Date(Date.now() - (options.lookbackMs ?? RECONCILE_LOOKBACK_MS));
  let stopped = false;
  let current: Promise<void> = Promise.resolve();
  const sweep = async () => {
    const started = new Date();
    try {
      const recorded = await sweepClosedRuns(ctx, since);
      since = new Date(started.getTime() - 60_000);
      const cancelled = recorded.filter((r) => r.outcome === 'cancelled');
      if (cancelled.length > 0) ctx.log.info('recorded terminated or timed-out runs as cancelled', { documents: cancelled.length });
    } catch (error) {
      ctx.log.warn('run reconciliation failed; the next sweep retries', { error: String(error) });
    }
  };
  current = sweep();
  const timer = setInterval(() => {
    if (stopped) return;
    current = current.then(sweep);
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await current;
    },
    swept: () => current,
  };
}
