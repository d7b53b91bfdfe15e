import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costReport } from '../../src/costs/report.ts';
import { ingestFile, waitForDocument } from '../../src/ingest/ingest.ts';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { readingModel } from '../support/oracle-model.ts';

/**
 * Batch mode end to end: a document from a batch source goes through the
 * (fake) Batch API at the batch price; the workflow waits on durable timers, so
 * the worker can be stopped while the batch is pending and another one finishes
 * the document; past the deadline it goes online.
 */
const FLASH = 'gemini-3.8-flash';
const PRO = 'gemini-4-carbon';
const API_KEY = 'test-key-AIzaFAKE-batch-0123456789';
const SAMPLE = path.resolve(import.meta.dirname, '..', '..', 'samples', 'invoice-en-usd.pdf');

let fake: FakeGemini;
beforeAll(async () => {
  fake = await startFakeGemini();
});
afterAll(async () => {
  await fake?.close();
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('batch mode through the (fake) Gemini Batch API', () => {
  let h: Harness;
  afterAll(async () => {
    await h?.close();
  });

  it('completes a batch-source document at the batch price, and survives a worker restart while the batch is pending', async () => {
    fake.reset();
    for (const model of [FLASH, PRO]) fake.on(model, 'generateContent', readingModel);
    h = await startHarness({
      env: { GEMINI_API_KEY: API_KEY, GEMINI_BASE_URL: fake.url, DOCROUTE_BATCH: 'batch-inbox', DOCROUTE_BATCH_POLL_SECONDS: '1' },
    });
    const ingested = await ingestFile(h, SAMPLE, 'batch-inbox');
    await until('the batch to be created', () => fake.batches.size === 1);
    // The batch is pending: nothing was answered online, and the worker can go.
    expect(fake.requests.filter((r) => r.method === 'generateContent')).toHaveLength(0);
    h.worker.shutdown();
    await until('the worker to stop', () => h.worker.getState() === 'STOPPED');
    await fake.completeBatches();
    await h.startWorker();
    const result = await waitForDocument(h, ingested.workflowId);
    expect(result.status, result.reasons.join('; ')).toBe('extracted');
    expect(result.route).toEqual(['flash']);

    const attempts = await h.db.selectFrom('extraction_attempts').selectAll().where('document_id', '=', result.documentId).execute();
    const extraction = attempts.filter((a) => a.prompt_version === 'invoice.v1');
    expect(extraction.length).toBeGreaterThanOrEqual(1);
    const [batch] = [...fake.batches.values()];
    for (const a of extraction) {
      expect(a.billing).toBe('batch');
      expect(a.batch_name).toBe(batch!.name);
      expect(Number(a.cost_usd)).toBeGreaterThan(0);
      expect(Number(a.cost_usd) * 2).toBeCloseTo(Number(a.online_cost_usd), 6);
    }
    // Every extraction request went through the batch.
    expect(fake.requests.filter((r) => r.method === 'generateContent').every((r) => r.batch === batch!.name)).toBe(true);
    const row = await h.db.selectFrom('gemini_batches').selectAll().executeTakeFirstOrThrow();
    expect(row.state).toBe('succeeded');

    const report = await costReport(h.db, {});
    expect(report.batch.calls).toBe(extraction.length);
    expect(Number(report.batch.savingUsd)).toBeGreaterThan(0);
    expect(report.batch.savingUsd).toBe(report.batch.costUsd); // half price: the saving equals what was paid
    expect(fake.batchCancels).toEqual([]);
  }, 180_000);

  it('a batch created whose answer was lost is found by its key on the retry, not created twice', async () => {
    fake.reset();
    for (const model of [FLASH, PRO]) fake.on(model, 'generateContent', readingModel);
    fake.batchAutoCompleteAfterPolls = 1;
    // batches.create makes the batch but its answer never arrives: the activity attempt fails and Temporal retries it.
    fake.loseBatchCreateAnswers = 1;
    // Another document than the first test's (that one is a duplicate now).
    const ingested = await ingestFile(h, path.join(path.dirname(SAMPLE), 'rechnung-de-eur.pdf'), 'batch-inbox');
    const result = await waitForDocument(h, ingested.workflowId);
    expect(result.status, result.reasons.join('; ')).toBe('extracted');
    expect(fake.loseBatchCreateAnswers).toBe(0); // the lost answer did happen
    expect(fake.batches.size).toBe(1);
    const [batch] = [...fake.batches.values()];
    const row = await h.db.selectFrom('gemini_batches').selectAll().where('document_id', '=', result.documentId).executeTakeFirstOrThrow();
    expect(row.batch_name).toBe(batch!.name);
    expect(row.state).toBe('succeeded');
    const attempts = await h.db.selectFrom('extraction_attempts').selectAll().where('document_id', '=', result.documentId).execute();
    expect(attempts.filter((a) => a.prompt_version === 'invoice.v1').every((a) => a.billing === 'batch' && a.batch_name === batch!.name)).toBe(true);
  }, 180_000);
});

describe('batch mode past its deadline', () => {
  let h: Harness;
  afterAll(async () => {
    await h?.close();
  });

  it('goes online when the batch has not answered by the deadline', async () => {
    fake.reset();
    for (const model of [FLASH, PRO]) fake.on(model, 'generateContent', readingModel);
    h = await startHarness({
      env: {
        GEMINI_API_KEY: API_KEY,
        GEMINI_BASE_URL: fake.url,
        DOCROUTE_BATCH: 'all',
        DOCROUTE_BATCH_POLL_SECONDS: '1',
        DOCROUTE_BATCH_DEADLINE_MINUTES: '0.05',
      },
    });
    const ingested = await ingestFile(h, SAMPLE, 'cli');
    const result = await waitForDocument(h, ingested.workflowId);
    expect(result.status, result.reasons.join('; ')).toBe('extracted');
    const row = await h.db.selectFrom('gemini_batches').selectAll().executeTakeFirstOrThrow();
    expect(row.state).toBe('abandoned');
    const attempts = await h.db.selectFrom('extraction_attempts').selectAll().where('document_id', '=', result.documentId).execute();
    expect(attempts.filter((a) => a.prompt_version === 'invoice.v1').every((a) => a.billing === 'online')).toBe(true);
    expect(fake.requests.some((r) => r.method === 'generateContent' && r.batch === null)).toBe(true);
    // The abandoned batch was cancelled at the Batch API, and never runs.
    expect(fake.batches.size).toBe(1);
    const [batch] = [...fake.batches.values()];
    expect(row.batch_name).toBe(batch!.name);
    expect(fake.batchCancels).toEqual([{ name: batch!.name, result: 'cancelled' }]);
    expect(batch!.state).toBe('BATCH_STATE_CANCELLED');
    await fake.completeBatches();
    expect(fake.requests.some((r) => r.batch !== null)).toBe(false);
  }, 180_000);
});
