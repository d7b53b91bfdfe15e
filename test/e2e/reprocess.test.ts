import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAuditTimeline } from '../../src/audit/timeline.ts';
import { ingestFile, waitForDocument } from '../../src/ingest/ingest.ts';
import { rerunDocument } from '../../src/ingest/runs.ts';
import { startApiHarness, type ApiHarness } from '../support/api-harness.ts';
import { DATASETS_DIR, DATASETS_SKIP_MESSAGE, docrouteCli, HAVE_DATASETS } from '../support/harness.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SAMPLE = path.join(ROOT, 'samples', 'invoice-en-usd.pdf');

/** The CLI against a harness's database and task queue, as an operator runs it. */
function docrouteFor(h: ApiHarness) {
  return (args: string[]) => docrouteCli(h, args, { env: { USER: 'operator' } });
}

describe('reprocess and retry: a new run of a document, never two at once', () => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await startApiHarness();
  });
  afterAll(async () => h?.close());

  it('reprocess gives version 2 of the record, linked to the previous run in the audit timeline', { timeout: 180_000 }, async () => {
    const ingested = await ingestFile(h, SAMPLE, 'test');
    expect((await waitForDocument(h, ingested.workflowId)).status).toBe('extracted');
    const first = await h.client.workflow.getHandle(ingested.workflowId).describe();

    // Through the CLI, as an operator would: the same output as ingest (--json).
    const docroute = (args: string[]) => docrouteCli(h, args);
    const { stdout } = await docroute(['reprocess', ingested.documentId, '--wait', '--json']);
    const printed = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(printed).toMatchObject({ documentId: ingested.documentId, status: 'extracted', run: { number: 2, previousRunId: first.runId } });

    const versions = await h.db.selectFrom('invoices').select(['version', 'run_id']).where('document_id', '=', ingested.documentId).orderBy('version').execute();
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    expect(versions[0]!.run_id).toBe(first.runId);
    expect(versions[1]!.run_id).toBe(printed.run.runId);

    const timeline = await buildAuditTimeline(h.db, h.client, ingested.documentId);
    const runs = timeline.entries.filter((e) => e.step === 'run');
    expect(runs.map((e) => e.summary)).toEqual([
      expect.stringMatching(/^run 1 started \(ingest by test\)$/),
      expect.stringMatching(new RegExp(`^run 2 started \\(reprocess by cli:.*\\), after run 1 \\(${first.runId}\\)$`)),
    ]);
    expect(timeline.entries.filter((e) => e.step === 'record_version').map((e) => e.details.version)).toEqual([1, 2]);
    // Only the latest run's rows link to the history read (activity ids repeat from run to run).
    const v1 = timeline.entries.find((e) => e.step === 'record_version' && e.details.version === 1)!;
    expect(v1.eventId).toBeNull();

    // `docroute audit` shows the link and both versions.
    const audit = (await docroute(['audit', ingested.documentId])).stdout;
    expect(audit).toMatch(new RegExp(`run\\s+run 2 started \\(reprocess by cli:.*\\), after run 1 \\(${first.runId}\\)`));
    expect(audit).toMatch(/record_version\s+invoice record version 1 written/);
    expect(audit).toMatch(/record_version\s+invoice record version 2 written/);
  });

  it('a document being processed is not run twice; retry applies to stalled, cancelled or failed documents only', { timeout: 180_000 }, async () => {
    const ingested = await ingestFile(h, path.join(ROOT, 'samples', 'rechnung-de-eur.pdf'), 'test');
    // While its first run is open (parsing or extracting), a reprocess is refused.
    const during = await rerunDocument(h, ingested.documentId, { reason: 'reprocess', requestedBy: 'early' });
    expect(during).toMatchObject({ ok: false, code: 'busy' });
    expect((await waitForDocument(h, ingested.workflowId)).status).toBe('extracted');
    // Two reprocesses at once: exactly one new run; the other is refused.
    const concurrent = await Promise.all([
      rerunDocument(h, ingested.documentId, { reason: 'reprocess', requestedBy: 'a' }),
      rerunDocument(h, ingested.documentId, { reason: 'reprocess', requestedBy: 'b' }),
    ]);
    expect(concurrent.filter((c) => c.ok)).toHaveLength(1);
    expect(concurrent.find((c) => !c.ok)).toMatchObject({ code: 'busy' });
    expect((await waitForDocument(h, ingested.workflowId)).status).toBe('extracted');
    const retry = await rerunDocument(h, ingested.documentId, { reason: 'retry', requestedBy: 'test' });
    expect(retry).toMatchObject({ ok: false, code: 'not_retryable' });
    const runs = await h.db.selectFrom('document_runs').select('run_number').where('document_id', '=', ingested.documentId).orderBy('run_number').execute();
    expect(runs.map((r) => r.run_number)).toEqual([1, 2]);
  });

  it('POST /v1/documents/:id/reprocess: 202 with the new run, a concurrent reprocess 409, and the new record version once settled', { timeout: 180_000 }, async () => {
    const ingested = await ingestFile(h, path.join(ROOT, 'samples', 'factuur-nl-eur.pdf'), 'test');
    expect((await waitForDocument(h, ingested.workflowId)).status).toBe('extracted');
    const first = await h.client.workflow.getHandle(ingested.workflowId).describe();
    const key = await h.key(['read', 'write'], 'reprocessor');
    const reprocess = () => h.call(`/v1/documents/${ingested.documentId}/reprocess`, { method: 'POST', key });

    // Two at once: exactly one new run (202, with its ids); the other is refused (409).
    const answers = await Promise.all([reprocess(), reprocess()]);
    const bodies = await Promise.all(answers.map((r) => r.json() as Promise<Record<string, unknown>>));
    expect(answers.map((r) => r.status).sort()).toEqual([202, 409]);
    const started = bodies[answers.findIndex((r) => r.status === 202)]!;
    const refused = bodies[answers.findIndex((r) => r.status === 409)]!;
    expect(started).toMatchObject({ documentId: ingested.documentId, workflowId: ingested.workflowId, runNumber: 2, previousRunId: first.runId });
    expect(started.runId).not.toBe(first.runId);
    expect(refused).toMatchObject({ status: 409, title: 'Run in progress' });
    // Once settled: the record's new version comes from the new run; the API shows it.
    expect((await waitForDocument(h, ingested.workflowId)).status).toBe('extracted');
    const versions = await h.db.selectFrom('invoices').select(['version', 'run_id']).where('document_id', '=', ingested.documentId).orderBy('version').execute();
    expect(versions).toEqual([
      { version: 1, run_id: first.runId },
      { version: 2, run_id: started.runId },
    ]);
    const runs = await h.db.selectFrom('document_runs').select(['run_number', 'reason', 'requested_by']).where('document_id', '=', ingested.documentId).orderBy('run_number').execute();
    expect(runs[1]).toMatchObject({ run_number: 2, reason: 'reprocess', requested_by: 'key:reprocessor' });
    const doc = (await (await h.call(`/v1/documents/${ingested.documentId}`, { key })).json()) as { record: { version: number } };
    expect(doc.record.version).toBe(versions.at(-1)!.version);
    // Without the write scope: refused.
    const readOnly = await h.key(['read'], 'reader');
    expect((await h.call(`/v1/documents/${ingested.documentId}/reprocess`, { method: 'POST', key: readOnly })).status).toBe(403);
  });

  it('docroute cancel refuses a document with no run in progress (exit 1), and one it does not know', { timeout: 180_000 }, async () => {
    const ingested = await ingestFile(h, path.join(ROOT, 'samples', 'contract-nda.pdf'), 'test');
    const settled = await waitForDocument(h, ingested.workflowId);
    expect(settled.status).toBe('extracted'); // its run has ended
    const error = await docrouteFor(h)(['cancel', ingested.documentId, '00000000-0000-4000-8000-000000000000', '--json']).then(
      () => null,
      (e: { code?: number; stdout?: string }) => e,
    );
    expect(error?.code).toBe(1);
    const lines = error!.stdout!.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ ref: ingested.documentId, status: 'refused', error: expect.stringMatching(/no running workflow \(it is \w+\)/) });
    expect(lines[1]).toMatchObject({ status: 'refused', error: expect.stringMatching(/no document matches/) });
    const row = await h.db.selectFrom('documents').select(['status', 'error']).where('id', '=', ingested.documentId).executeTakeFirstOrThrow();
    expect(row.status).toBe(settled.status);
  });

  describe.skipIf(!HAVE_DATASETS)(`in review${HAVE_DATASETS ? '' : ` — ${DATASETS_SKIP_MESSAGE}`}`, () => {
    it('a workflow cancelled in review leaves the document cancelled; a retry (or the same file again) runs it anew', { timeout: 180_000 }, async () => {
      const file = path.join(DATASETS_DIR, 'invoice2data', 'oyo.pdf');
      const ingested = await ingestFile(h, file, 'test');
      expect((await waitForDocument(h, ingested.workflowId)).status).toBe('needs_review');
      const handle = h.client.workflow.getHandle(ingested.workflowId);
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow(/cancel/i);
      const cancelled = await waitForDocument(h, ingested.workflowId);
      expect(cancelled.status).toBe('cancelled');
      const row = await h.db.selectFrom('documents').select(['status', 'error']).where('id', '=', ingested.documentId).executeTakeFirstOrThrow();
      expect(row.status).toBe('cancelled');
      expect(row.error).toMatch(/cancelled/);

      // The same file dropped again retries it.
      const again = await ingestFile(h, file, 'test-again');
      expect(again).toMatchObject({ documentId: ingested.documentId, duplicate: true, started: true });
      expect((await waitForDocument(h, ingested.workflowId)).status).toBe('needs_review');

      // Reprocess while in review: that run is cancelled (recorded), and a new one starts.
      const rerun = await rerunDocument(h, ingested.documentId, { reason: 'reprocess', requestedBy: 'test' });
      expect(rerun).toMatchObject({ ok: true, runNumber: 3 });
      expect((await waitForDocument(h, ingested.workflowId)).status).toBe('needs_review');
      const runs = await h.db.selectFrom('document_runs').select(['run_number', 'reason']).where('document_id', '=', ingested.documentId).orderBy('run_number').execute();
      expect(runs.map((r) => r.reason)).toEqual(['ingest', 'retry', 'reprocess']);
    });

    it('docroute cancel <file> --reason cancels the running workflow: recorded cancelled, with who and why', { timeout: 180_000 }, async () => {
      const file = path.join(DATASETS_DIR, 'invoice2data', 'free_fiber.pdf');
      const ingested = await ingestFile(h, file, 'test');
      expect((await waitForDocument(h, ingested.workflowId)).status).toBe('needs_review');
      // By file path, as an operator would name it.
      const { stdout } = await docrouteFor(h)(['cancel', file, '--reason', 'sent to the wrong inbox', '--json']);
      expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ ref: file, documentId: ingested.documentId, workflowId: ingested.workflowId, status: 'cancelled' });
      const description = await h.client.workflow.getHandle(ingested.workflowId).describe();
      expect(description.status.name).toBe('CANCELLED');
      const row = await h.db.selectFrom('documents').select(['status', 'error']).where('id', '=', ingested.documentId).executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'cancelled', error: 'cancelled by cli:operator: sent to the wrong inbox' });
      // And it can be retried like any cancelled document.
      expect(await rerunDocument(h, ingested.documentId, { reason: 'retry', requestedBy: 'test' })).toMatchObject({ ok: true, runNumber: 2 });
      expect((await waitForDocument(h, ingested.workflowId)).status).toBe('needs_review');
    });
  });
});
