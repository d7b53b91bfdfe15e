import { promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import { ingestFile, waitForDocument } from '../../src/ingest/ingest.ts';
import { rerunDocument } from '../../src/ingest/runs.ts';
import { submitReview, type ReviewDecisionInput } from '../../src/review/submit.ts';
import { emptyFile, imageOnlyPdf } from '../support/bad-pdfs.ts';
import { reply, startFakeGemini } from '../support/fake-gemini.ts';
import { DATASETS_DIR, startHarness, type Harness } from '../support/harness.ts';
import { checkingModel, inventingModel, readingModel } from '../support/oracle-model.ts';
import { cuttingTableModel, fourPageTable } from '../support/table-model.ts';

/**
 * Records the workflow-history fixtures in test/histories/<version>/ (see the
 * README there). Runs only when asked: DOCROUTE_RECORD_HISTORIES=<version>,
 * e.g. `DOCROUTE_RECORD_HISTORIES=v2 npx vitest run test/e2e/record-histories.test.ts`.
 */
const VERSION = process.env.DOCROUTE_RECORD_HISTORIES;
const OUT = path.resolve(import.meta.dirname, '..', 'histories', VERSION ?? 'unused');
const SAMPLES = path.resolve(import.meta.dirname, '..', '..', 'samples');

async function record(h: Harness, name: string, workflowId: string): Promise<void> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  await fs.mkdir(OUT, { recursive: true });
  await fs.writeFile(path.join(OUT, `${name}.json`), historyToJSON(history) + '\n');
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function finish(h: Harness, workflowId: string): Promise<void> {
  await h.client.workflow.getHandle(workflowId).result();
}

/** A reviewer's decision through the service the API and the console call (a review Update). */
async function decide(h: Harness, documentId: string, decision: ReviewDecisionInput) {
  return submitReview(h, { documentId, decision, reviewer: { name: 'fixture', keyId: null } });
}

/** A correction; checks that still fail on the corrected record are then confirmed with a reason. */
async function decideConfirming(h: Harness, documentId: string, decision: ReviewDecisionInput) {
  const first = await decide(h, documentId, decision);
  if (first.ok || first.code !== 'checks_failed') return first;
  const confirm = Object.fromEntries((first.failedChecks ?? []).map((c) => [c.name, 'fixture: confirmed']));
  return decide(h, documentId, { ...decision, confirm });
}

/** Records a history of a closed run (a reprocessed document's first run), by run id. */
async function recordRun(h: Harness, name: string, workflowId: string, runId: string): Promise<void> {
  const history = await h.client.workflow.getHandle(workflowId, runId).fetchHistory();
  await fs.mkdir(OUT, { recursive: true });
  await fs.writeFile(path.join(OUT, `${name}.json`), historyToJSON(history) + '\n');
}

describe.skipIf(!VERSION)(`record workflow history fixtures into test/histories/${VERSION ?? '<version>'}`, () => {
  it('offline tier: extracted, reviewed (refused, corrected, rejected), cancelled, reprocessed, failed', { timeout: 300_000 }, async () => {
    const h = await startHarness();
    const scratch = await mkdtemp(path.join(tmpdir(), 'docroute-record-'));
    try {
      const extracted = await ingestFile(h, path.join(SAMPLES, 'invoice-en-usd.pdf'), 'fixture');
      expect((await waitForDocument(h, extracted.workflowId)).status).toBe('extracted');
      await record(h, 'offline-extracted', extracted.workflowId);

      const review = await ingestFile(h, path.join(DATASETS_DIR, 'invoice2data', 'oyo.pdf'), 'fixture');
      expect((await waitForDocument(h, review.workflowId)).status).toBe('needs_review');
      // Refused first (the corrected IBAN fails its checksum), then applied with the check fixed.
      expect(await decide(h, review.documentId, { action: 'correct', fields: { total: '1939.00', iban: 'DE00 1234 5678 9012 3456 78' } })).toMatchObject({
        ok: false,
        code: 'checks_failed',
      });
      expect(await decideConfirming(h, review.documentId, { action: 'correct', fields: { total: '1939.00' }, note: 'fixture' })).toMatchObject({ ok: true });
      await finish(h, review.workflowId);
      await record(h, 'offline-review-refused-then-corrected', review.workflowId);

      const rejected = await ingestFile(h, path.join(DATASETS_DIR, 'invoice2data', 'free_fiber.pdf'), 'fixture');
      expect((await waitForDocument(h, rejected.workflowId)).status).toBe('needs_review');
      expect(await decide(h, rejected.documentId, { action: 'reject', note: 'fixture' })).toMatchObject({ ok: true, status: 'failed' });
      await finish(h, rejected.workflowId);
      await record(h, 'offline-review-rejected', rejected.workflowId);

      const cancelled = await ingestFile(h, path.join(DATASETS_DIR, 'invoice2data', 'saeco.pdf'), 'fixture');
      expect((await waitForDocument(h, cancelled.workflowId)).status).toBe('needs_review');
      const handle = h.client.workflow.getHandle(cancelled.workflowId);
      await handle.cancel();
      await handle.result().catch(() => undefined); // ends cancelled
      expect((await waitForDocument(h, cancelled.workflowId)).status).toBe('cancelled');
      await record(h, 'offline-cancelled-in-review', cancelled.workflowId);

      const firstRun = (await h.client.workflow.getHandle(extracted.workflowId).describe()).runId;
      const reprocessed = await rerunDocument(h, extracted.documentId, { reason: 'reprocess', requestedBy: 'fixture' });
      expect(reprocessed).toMatchObject({ ok: true, runNumber: 2, previousRunId: firstRun });
      expect((await waitForDocument(h, extracted.workflowId)).status).toBe('extracted');
      await record(h, 'offline-reprocessed', extracted.workflowId);
      await recordRun(h, 'offline-reprocessed-first-run', extracted.workflowId, firstRun);

      const emptyPath = path.join(scratch, 'empty.pdf');
      await fs.writeFile(emptyPath, await emptyFile());
      const failed = await ingestFile(h, emptyPath, 'fixture');
      expect((await waitForDocument(h, failed.workflowId)).status).toBe('failed');
      await record(h, 'failed-empty-file', failed.workflowId);
    } finally {
      await h.close();
      await fs.rm(scratch, { recursive: true, force: true });
    }
  });

  it('Gemini tiers: Flash alone, Flash → Pro → review, long document to Pro, scan', { timeout: 300_000 }, async () => {
    const fake = await startFakeGemini();
    const env = { GEMINI_API_KEY: 'fixture-key-0000000000', GEMINI_BASE_URL: fake.url, DOCROUTE_LONG_DOC_TOKENS: '8000' };
    const h = await startHarness({ env });
    const scratch = await mkdtemp(path.join(tmpdir(), 'docroute-record-'));
    try {
      for (const model of ['gemini-3.8-flash', 'gemini-4-carbon']) fake.on(model, 'generateContent', readingModel);
      const flash = await ingestFile(h, path.join(DATASETS_DIR, 'invoice2data', 'AmazonWebServices.pdf'), 'fixture');
      expect((await waitForDocument(h, flash.workflowId)).route).toEqual(['flash']);
      await record(h, 'gemini-flash-extracted', flash.workflowId);

      const long = await ingestFile(h, path.join(DATASETS_DIR, 'kleister-nda-dev', 'documents', 'd908ff8d69096e5f441e6c05144de7c7.pdf'), 'fixture');
      const longResult = await waitForDocument(h, long.workflowId);
      expect(longResult.route).toEqual(['pro']);
      if (longResult.status === 'needs_review') {
        expect(await decide(h, long.documentId, { action: 'approve' })).toMatchObject({ ok: true });
      }
      await finish(h, long.workflowId);
      await record(h, 'gemini-long-document-pro', long.workflowId);

      const scanPath = path.join(scratch, 'scan.pdf');
      await fs.writeFile(scanPath, await imageOnlyPdf());
      const scan = await ingestFile(h, scanPath, 'fixture');
      const scanResult = await waitForDocument(h, scan.workflowId);
      if (scanResult.status === 'needs_review') {
        expect(await decide(h, scan.documentId, { action: 'reject', note: 'fixture' })).toMatchObject({ ok: true });
      }
      await finish(h, scan.workflowId);
      await record(h, 'gemini-scan', scan.workflowId);

      for (const model of ['gemini-3.8-flash', 'gemini-4-carbon']) fake.on(model, 'generateContent', inventingModel);
      const escalated = await ingestFile(h, path.join(DATASETS_DIR, 'invoice2data', 'coolblue2.pdf'), 'fixture');
      const escalatedResult = await waitForDocument(h, escalated.workflowId);
      expect(escalatedResult.route).toEqual(['flash', 'pro']);
      expect(await decideConfirming(h, escalated.documentId, { action: 'correct', fields: { invoiceNumber: 'FIXTURE-1' } })).toMatchObject({ ok: true });
      await finish(h, escalated.workflowId);
      await record(h, 'gemini-flash-pro-review', escalated.workflowId);

      // A model call answered 429 with a retry delay, then retried by Temporal after it.
      // The configured default models (the retired 2.5 names are refused at start now).
      for (const model of ['gemini-3.8-flash', 'gemini-4-carbon']) fake.on(model, 'generateContent', readingModel);
      fake.enqueue('gemini-3.8-flash', 'generateContent', reply.error(429, { retryDelay: '1s' }));
      const retried = await ingestFile(h, path.join(SAMPLES, 'factuur-nl-eur.pdf'), 'fixture');
      expect((await waitForDocument(h, retried.workflowId)).status).toBe('extracted');
      await record(h, 'gemini-model-retry', retried.workflowId);
    } finally {
      await h.close();
      await fake.close();
      await fs.rm(scratch, { recursive: true, force: true });
    }
  });

  it('Gemini batch mode: the fast tier through the Batch API, polled on durable timers, across a worker restart', { timeout: 180_000 }, async () => {
    const fake = await startFakeGemini();
    const env = { GEMINI_API_KEY: 'fixture-key-0000000000', GEMINI_BASE_URL: fake.url, DOCROUTE_BATCH: 'all', DOCROUTE_BATCH_POLL_SECONDS: '1' };
    const h = await startHarness({ env });
    try {
      for (const model of ['gemini-3.8-flash', 'gemini-4-carbon']) fake.on(model, 'generateContent', readingModel);
      const batched = await ingestFile(h, path.join(SAMPLES, 'invoice-en-usd.pdf'), 'fixture');
      // The batch is pending: the worker stops, the batch runs, another worker finishes the document.
      await until('the batch to be created', () => fake.batches.size === 1);
      await until('a few polls of the pending batch', () => [...fake.batches.values()][0]!.polls >= 2);
      h.worker.shutdown();
      await until('the worker to stop', () => h.worker.getState() === 'STOPPED');
      await fake.completeBatches();
      await h.startWorker();
      const result = await waitForDocument(h, batched.workflowId);
      expect(result).toMatchObject({ status: 'extracted', route: ['flash'] });
      expect(fake.batches.size).toBe(1);
      expect(fake.requests.filter((r) => r.method === 'generateContent').every((r) => r.batch !== null)).toBe(true);
      await record(h, 'gemini-batch-worker-restart', batched.workflowId);
    } finally {
      await h.close();
      await fake.close();
    }
  });

  it('Gemini second reading: agreement (extracted) and a disagreement the deep tier does not settle (review, corrected)', { timeout: 180_000 }, async () => {
    const fake = await startFakeGemini();
    const env = { GEMINI_API_KEY: 'fixture-key-0000000000', GEMINI_BASE_URL: fake.url, DOCROUTE_CHECK_MODEL: 'gemini-3.5-flash-lite' };
    const h = await startHarness({ env });
    try {
      for (const model of ['gemini-3.8-flash', 'gemini-4-carbon']) fake.on(model, 'generateContent', readingModel);
      fake.on('gemini-3.5-flash-lite', 'generateContent', checkingModel());
      const agreed = await ingestFile(h, path.join(SAMPLES, 'invoice-en-usd.pdf'), 'fixture');
      expect(await waitForDocument(h, agreed.workflowId)).toMatchObject({ status: 'extracted', route: ['flash'] });
      await record(h, 'gemini-second-reading-extracted', agreed.workflowId);

      fake.on('gemini-3.5-flash-lite', 'generateContent', checkingModel({ invoiceNumber: 'FIXTURE-OTHER-1' }));
      const disagreed = await ingestFile(h, path.join(SAMPLES, 'factuur-nl-eur.pdf'), 'fixture');
      const result = await waitForDocument(h, disagreed.workflowId);
      expect(result).toMatchObject({ status: 'needs_review', route: ['flash', 'pro'] });
      expect(result.reasons).toContain('a second, independent reading (gemini-3.5-flash-lite) disagrees on invoiceNumber');
      expect(await decideConfirming(h, disagreed.documentId, { action: 'correct', fields: { invoiceNumber: 'FIXTURE-2' } })).toMatchObject({ ok: true });
      await finish(h, disagreed.workflowId);
      await record(h, 'gemini-second-reading-review', disagreed.workflowId);
    } finally {
      await h.close();
      await fake.close();
    }
  });

  it('Gemini cut-off split: a 4-page table cut off whole, asked again in halves as activities of their own', { timeout: 120_000 }, async () => {
    const fake = await startFakeGemini();
    const env = { GEMINI_API_KEY: 'fixture-key-0000000000', GEMINI_BASE_URL: fake.url };
    const h = await startHarness({ env });
    try {
      for (const model of ['gemini-3.8-flash', 'gemini-4-carbon']) fake.on(model, 'generateContent', cuttingTableModel(2));
      const split = await ingestFile(h, await fourPageTable('FIXTURE-SPLIT-1'), 'fixture');
      expect(await waitForDocument(h, split.workflowId)).toMatchObject({ status: 'extracted', route: ['flash'] });
      const covered = fake.requests.filter((r) => r.method === 'generateContent').map((r) => /this request covers page\(s\) ([\d,]+)/.exec(r.text)?.[1]);
      expect(covered[0]).toBe('1,2,3,4');
      expect(covered.slice(1).sort()).toEqual(['1,2', '3,4']);
      await record(h, 'gemini-cut-off-split', split.workflowId);
    } finally {
      await h.close();
      await fake.close();
    }
  });

  it('offline value floor: a confident sample in review for its values below the floor, a hybrid PDF (text layer) accepted', { timeout: 120_000 }, async () => {
    const h = await startHarness({ env: { DOCROUTE_VALUE_FLOOR: 'on', DOCROUTE_EINVOICE: 'off' } });
    try {
      const weak = await ingestFile(h, path.join(SAMPLES, 'invoice-en-usd.pdf'), 'fixture');
      const inReview = await waitForDocument(h, weak.workflowId);
      expect(inReview).toMatchObject({ status: 'needs_review', route: ['flash'] });
      expect(inReview.reasons.join('; ')).toContain('values below the value floor');
      await record(h, 'offline-value-floor-review', weak.workflowId);

      const strong = await ingestFile(h, path.join(DATASETS_DIR, 'einvoices', 'hybrid-pdf', 'validV2PDF.pdf'), 'fixture');
      expect(await waitForDocument(h, strong.workflowId)).toMatchObject({ status: 'extracted', route: ['flash'] });
      await record(h, 'offline-value-floor-extracted', strong.workflowId);
    } finally {
      await h.close();
    }
  });

  it('exact e-invoice tier: an XML e-invoice and a hybrid PDF read from their XML', { timeout: 120_000 }, async () => {
    const einvoices = path.join(DATASETS_DIR, 'einvoices');
    const h = await startHarness();
    try {
      const xml = await ingestFile(h, path.join(einvoices, 'xrechnung', '01.01a-INVOICE_uncefact.xml'), 'fixture');
      expect(await waitForDocument(h, xml.workflowId)).toMatchObject({ status: 'extracted', route: ['xml'] });
      await record(h, 'einvoice-xml-extracted', xml.workflowId);

      const hybrid = await ingestFile(h, path.join(einvoices, 'hybrid-pdf', 'EN16931_Einfach.pdf'), 'fixture');
      expect(await waitForDocument(h, hybrid.workflowId)).toMatchObject({ status: 'extracted', route: ['xml'] });
      await record(h, 'einvoice-hybrid-pdf-extracted', hybrid.workflowId);
    } finally {
      await h.close();
    }
  });
});
