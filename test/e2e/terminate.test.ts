import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildAuditTimeline } from '../../src/audit/timeline.ts';
import { ingestFile, waitForDocument } from '../../src/ingest/ingest.ts';
import { recordClosedRun } from '../../src/db/runs.ts';
import { closedOutside, reconcileDocument, startRunReconciler, sweepClosedRuns } from '../../src/ingest/reconcile.ts';
import { rerunDocument } from '../../src/ingest/runs.ts';
import { silentLogger } from '../../src/logger.ts';
import { DATASETS_DIR, DATASETS_SKIP_MESSAGE, HAVE_DATASETS, startHarness, type Harness } from '../support/harness.ts';

/**
 * Terminate runs no workflow code (unlike cancel), so nothing in the workflow
 * can record it: the reconciler (src/ingest/reconcile.ts) does, from what
 * Temporal kept. Real terminates against the real dev server.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..');

async function documentRow(h: Harness, id: string) {
  return h.db.selectFrom('documents').select(['status', 'error', 'review_reasons']).where('id', '=', id).executeTakeFirstOrThrow();
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, limitMs = 30_000): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe.skipIf(!HAVE_DATASETS)(`a terminated run is recorded${HAVE_DATASETS ? '' : ` — ${DATASETS_SKIP_MESSAGE}`}`, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('terminated in review: the worker-side reconciler records it cancelled with Temporal\'s reason and identity, in Postgres and the audit timeline; retry runs it anew', { timeout: 120_000 }, async () => {
    const ingested = await ingestFile(h, path.join(DATASETS_DIR, 'invoice2data', 'oyo.pdf'), 'test');
    expect((await waitForDocument(h, ingested.workflowId)).status).toBe('needs_review');
    const handle = h.client.workflow.getHandle(ingested.workflowId);
    const { runId } = await handle.describe();
    await handle.terminate('operator: stuck supplier dispute');
    expect((await handle.describe()).status.name).toBe('TERMINATED');
    // Nothing in the workflow ran: the row still says what the run left.
    expect((await documentRow(h, ingested.documentId)).status).toBe('needs_review');

    // The reconciler a worker process runs (at start, then every few minutes; here every half second).
    const reconciler = startRunReconciler({ db: h.db, client: h.client, taskQueue: h.taskQueue, log: silentLogger }, { everyMs: 500 });
    let row;
    try {
      row = await eventually(() => documentRow(h, ingested.documentId), (r) => r.status !== 'needs_review');
    } finally {
      await reconciler.stop();
    }
    expect(row.status).toBe('cancelled');
    expect(row.review_reasons).toEqual([]);
    const identity = h.client.options.identity;
    expect(row.error).toBe(`cancelled: terminated: its workflow was terminated by ${identity} (reason: operator: stuck supplier dispute)`);
    const recordedRun = await h.db.selectFrom('document_runs').selectAll().where('run_id', '=', runId).executeTakeFirstOrThrow();
    expect(recordedRun).toMatchObject({ closed_as: 'terminated', closed_reason: 'operator: stuck supplier dispute', closed_by: identity });
    expect(recordedRun.closed_at).toBeInstanceOf(Date);

    // The audit trail: the run's entry says how it ended, and the finished step links to the terminate event.
    const timeline = await buildAuditTimeline(h.db, h.client, ingested.documentId);
    const runEntry = timeline.entries.find((e) => e.step === 'run')!;
    expect(runEntry.summary).toBe(`run 1 started (ingest by test); terminated in Temporal by ${identity} (reason: operator: stuck supplier dispute)`);
    const finished = timeline.entries.find((e) => e.step === 'finished')!;
    expect(finished.summary).toMatch(/^cancelled: cancelled: terminated: its workflow was terminated by /);
    const history = await handle.fetchHistory();
    const terminatedEvent = history.events!.find((e) => e.workflowExecutionTerminatedEventAttributes);
    expect(finished.eventId).toBe(Number(terminatedEvent!.eventId));

    // Sweeping or recording it again changes nothing.
    expect(await sweepClosedRuns({ db: h.db, client: h.client, taskQueue: h.taskQueue }, new Date(Date.now() - 3600_000))).toEqual([]);
    const closed = await closedOutside(h.client, ingested.workflowId);
    expect(closed).toMatchObject({ runId, closedAs: 'terminated', reason: 'operator: stuck supplier dispute', identity });
    expect(await recordClosedRun(h.db, closed!)).toBe('noted');
    expect(await documentRow(h, ingested.documentId)).toEqual(row);
    expect((await h.db.selectFrom('document_runs').select('closed_at').where('run_id', '=', runId).executeTakeFirstOrThrow()).closed_at).toEqual(recordedRun.closed_at);

    // A cancelled document can be retried: a new run, which does not touch the terminated run's note.
    const retry = await rerunDocument(h, ingested.documentId, { reason: 'retry', requestedBy: 'test' });
    expect(retry).toMatchObject({ ok: true, runNumber: 2, previousRunId: runId });
    expect((await waitForDocument(h, ingested.workflowId)).status).toBe('needs_review');
    const runs = await h.db.selectFrom('document_runs').select(['run_number', 'closed_as']).where('document_id', '=', ingested.documentId).orderBy('run_number').execute();
    expect(runs).toEqual([
      { run_number: 1, closed_as: 'terminated' },
      { run_number: 2, closed_as: null },
    ]);
  });
});

describe('terminated before any worker ran it', () => {
  // A harness per test, without a worker until the test starts one: nothing runs before the terminate.
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ startWorker: false });
  });
  afterEach(async () => h?.close());

  it('waiting on it answers cancelled (recorded on the spot); retry reconciles first, then runs it to the end', { timeout: 120_000 }, async () => {
    const ingested = await ingestFile(h, path.join(ROOT, 'samples', 'invoice-en-usd.pdf'), 'test');
    const handle = h.client.workflow.getHandle(ingested.workflowId);
    const waiting = waitForDocument(h, ingested.workflowId);
    await handle.terminate(); // no reason given: the error carries whatever Temporal recorded
    const result = await waiting;
    expect(result.status).toBe('cancelled');
    const identity = h.client.options.identity;
    const event = (await handle.fetchHistory()).events!.find((e) => e.workflowExecutionTerminatedEventAttributes)!;
    const recorded = event.workflowExecutionTerminatedEventAttributes!.reason;
    expect(await documentRow(h, ingested.documentId)).toMatchObject({
      status: 'cancelled',
      error: `cancelled: terminated: its workflow was terminated by ${identity}${recorded ? ` (reason: ${recorded})` : ''}`,
    });

    // A run that is still open, or a document already settled, is left alone.
    expect(await reconcileDocument(h, { workflow_id: ingested.workflowId, status: 'cancelled' })).toBe('settled');

    // Retry: allowed for a cancelled document; a worker then runs it.
    const retry = await rerunDocument(h, ingested.documentId, { reason: 'retry', requestedBy: 'test' });
    expect(retry).toMatchObject({ ok: true, runNumber: 2 });
    expect(await reconcileDocument(h, { workflow_id: ingested.workflowId, status: 'received' })).toBe('running');
    await h.startWorker();
    expect((await waitForDocument(h, ingested.workflowId)).status).toBe('extracted');
  });

  it('a document left processing by a terminated run is recorded by the retry that follows, which then runs', { timeout: 120_000 }, async () => {
    const ingested = await ingestFile(h, path.join(ROOT, 'samples', 'rechnung-de-eur.pdf'), 'test');
    const handle = h.client.workflow.getHandle(ingested.workflowId);
    // As a run that had started work would leave it.
    await h.db.updateTable('documents').set({ status: 'processing' }).where('id', '=', ingested.documentId).execute();
    await handle.terminate('runaway');
    // Retry refuses a `processing` document; the reconciliation comes first.
    const retry = await rerunDocument(h, ingested.documentId, { reason: 'retry', requestedBy: 'test' });
    expect(retry).toMatchObject({ ok: true, runNumber: 2 });
    const runs = await h.db.selectFrom('document_runs').select(['run_number', 'closed_as', 'closed_reason']).where('document_id', '=', ingested.documentId).orderBy('run_number').execute();
    expect(runs).toEqual([
      { run_number: 1, closed_as: 'terminated', closed_reason: 'runaway' },
      { run_number: 2, closed_as: null, closed_reason: null },
    ]);
    await h.startWorker();
    expect((await waitForDocument(h, ingested.workflowId)).status).toBe('extracted');
  });
});
