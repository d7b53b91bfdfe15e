import { promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import { ingestFile, waitForDocument } from '../../src/ingest/ingest.ts';
import { reviewSignal } from '../../workflows/signals.ts';
import { emptyFile, imageOnlyPdf } from '../support/bad-pdfs.ts';
import { startFakeGemini } from '../support/fake-gemini.ts';
import { DATASETS_DIR, startHarness, type Harness } from '../support/harness.ts';
import { inventingModel, readingModel } from '../support/oracle-model.ts';

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

async function finish(h: Harness, workflowId: string): Promise<void> {
  await h.client.workflow.getHandle(workflowId).result();
}

describe.skipIf(!VERSION)(`record workflow history fixtures into test/histories/${VERSION ?? '<version>'}`, () => {
  it('offline tier: extracted, reviewed (corrected and rejected), failed', { timeout: 120_000 }, async () => {
    const h = await startHarness();
    const scratch = await mkdtemp(path.join(tmpdir(), 'docroute-record-'));
    try {
      const extracted = await ingestFile(h, path.join(SAMPLES, 'invoice-en-usd.pdf'), 'fixture');
      expect((await waitForDocument(h, extracted.workflowId)).status).toBe('extracted');
      await record(h, 'offline-extracted', extracted.workflowId);

      const review = await ingestFile(h, path.join(DATASETS_DIR, 'invoice2data', 'oyo.pdf'), 'fixture');
      expect((await waitForDocument(h, review.workflowId)).status).toBe('needs_review');
      await h.client.workflow
        .getHandle(review.workflowId)
        .signal(reviewSignal, { reviewer: 'fixture', action: 'correct', corrections: { total: '1939.00' }, note: 'fixture' });
      await finish(h, review.workflowId);
      await record(h, 'offline-review-corrected', review.workflowId);

      const rejected = await ingestFile(h, path.join(DATASETS_DIR, 'invoice2data', 'free_fiber.pdf'), 'fixture');
      expect((await waitForDocument(h, rejected.workflowId)).status).toBe('needs_review');
      await h.client.workflow.getHandle(rejected.workflowId).signal(reviewSignal, { reviewer: 'fixture', action: 'reject', note: 'fixture' });
      await finish(h, rejected.workflowId);
      await record(h, 'offline-review-rejected', rejected.workflowId);

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

  it('Gemini tiers: Flash alone, Flash → Pro → review, long document to Pro, scan', { timeout: 120_000 }, async () => {
    const fake = await startFakeGemini();
    const env = { GEMINI_API_KEY: 'fixture-key-0000000000', GEMINI_BASE_URL: fake.url, DOCROUTE_LONG_DOC_TOKENS: '8000' };
    const h = await startHarness({ env });
    const scratch = await mkdtemp(path.join(tmpdir(), 'docroute-record-'));
    try {
      for (const model of ['gemini-2.5-flash', 'gemini-2.5-pro']) fake.on(model, 'generateContent', readingModel);
      const flash = await ingestFile(h, path.join(DATASETS_DIR, 'invoice2data', 'AmazonWebServices.pdf'), 'fixture');
      expect((await waitForDocument(h, flash.workflowId)).route).toEqual(['flash']);
      await record(h, 'gemini-flash-extracted', flash.workflowId);

      const long = await ingestFile(h, path.join(DATASETS_DIR, 'kleister-nda-dev', 'documents', 'd908ff8d69096e5f441e6c05144de7c7.pdf'), 'fixture');
      const longResult = await waitForDocument(h, long.workflowId);
      expect(longResult.route).toEqual(['pro']);
      if (longResult.status === 'needs_review') {
        await h.client.workflow.getHandle(long.workflowId).signal(reviewSignal, { reviewer: 'fixture', action: 'approve' });
      }
      await finish(h, long.workflowId);
      await record(h, 'gemini-long-document-pro', long.workflowId);

      const scanPath = path.join(scratch, 'scan.pdf');
      await fs.writeFile(scanPath, await imageOnlyPdf());
      const scan = await ingestFile(h, scanPath, 'fixture');
      const scanResult = await waitForDocument(h, scan.workflowId);
      if (scanResult.status === 'needs_review') {
        await h.client.workflow.getHandle(scan.workflowId).signal(reviewSignal, { reviewer: 'fixture', action: 'reject', note: 'fixture' });
      }
      await finish(h, scan.workflowId);
      await record(h, 'gemini-scan', scan.workflowId);

      for (const model of ['gemini-2.5-flash', 'gemini-2.5-pro']) fake.on(model, 'generateContent', inventingModel);
      const escalated = await ingestFile(h, path.join(DATASETS_DIR, 'invoice2data', 'coolblue2.pdf'), 'fixture');
      const escalatedResult = await waitForDocument(h, escalated.workflowId);
      expect(escalatedResult.route).toEqual(['flash', 'pro']);
      await h.client.workflow
        .getHandle(escalated.workflowId)
        .signal(reviewSignal, { reviewer: 'fixture', action: 'correct', corrections: { invoiceNumber: 'FIXTURE-1' } });
      await finish(h, escalated.workflowId);
      await record(h, 'gemini-flash-pro-review', escalated.workflowId);
    } finally {
      await h.close();
      await fake.close();
      await fs.rm(scratch, { recursive: true, force: true });
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
