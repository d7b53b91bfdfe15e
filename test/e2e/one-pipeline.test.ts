import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDocument } from '../../src/eval/runner.ts';
import type { LabelledDocument } from '../../src/eval/loaders.ts';
import { ingestFile, waitForDocument } from '../../src/ingest/ingest.ts';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini.ts';
import { DATASETS_DIR, HAVE_DATASETS, startHarness, type Harness } from '../support/harness.ts';
import { checkingModel, inventingModel, readingModel } from '../support/oracle-model.ts';
import { createTiers } from '../../src/extraction/tiers.ts';
import { DEFAULT_FLASH_MODEL, DEFAULT_PRO_MODEL } from '../../src/extraction/gemini/catalog.ts';

/**
 * `docroute eval` and the workflow share one orchestration (src/routing/pipeline.ts).
 * This runs both on the same documents and requires the same routing decisions
 * (stage, action, reasons: the numbers and check codes they quote), in the same
 * order, the same route and the same verdict.
 */
const SAMPLES = path.resolve(import.meta.dirname, '..', '..', 'samples');

async function documents(): Promise<string[]> {
  const files = (await fs.readdir(SAMPLES)).filter((f) => f.endsWith('.pdf')).map((f) => path.join(SAMPLES, f));
  if (HAVE_DATASETS) {
    for (const name of ['oyo.pdf', 'coolblue1.pdf', 'QualityHosting.pdf', 'AzureInterior.pdf']) files.push(path.join(DATASETS_DIR, 'invoice2data', name));
  }
  return files;
}

/** What the workflow decided, as recorded in Postgres. */
async function workflowDecisions(h: Harness, documentId: string) {
  const rows = await h.db
    .selectFrom('routing_decisions')
    .select(['stage', 'action', 'reason'])
    .where('document_id', '=', documentId)
    .orderBy('sequence')
    .execute();
  return rows.map((r) => `${r.stage} → ${r.action}: ${r.reason}`);
}

async function compare(h: Harness, tiers: ReturnType<typeof createTiers>, files: string[]) {
  const today = new Date().toISOString().slice(0, 10);
  let compared = 0;
  for (const file of files) {
    const ingested = await ingestFile(h, file, 'one-pipeline');
    const viaWorkflow = await waitForDocument(h, ingested.workflowId);
    const doc: LabelledDocument = { name: path.basename(file), file, kind: 'invoice', gold: { metric: 'accuracy', fields: {} } };
    const viaEval = await runDocument(doc, { config: h.config, tiers, mode: 'routed', today });
    const evalDecisions = viaEval.decisions.map((d) => `${d.stage} → ${d.action}: ${d.reasons.join('; ')}`);
    expect(evalDecisions, path.basename(file)).toEqual(await workflowDecisions(h, ingested.documentId));
    expect(viaEval.route, path.basename(file)).toEqual(viaWorkflow.route);
    expect(viaEval.status, path.basename(file)).toBe(viaWorkflow.status);
    // An e-invoice the exact tier claims is decided in one step (exact → accept/review); any other document
    // is handed to the text path first (exact → text), then routed: at least two decisions.
    expect(evalDecisions.length, path.basename(file)).toBeGreaterThanOrEqual(viaWorkflow.route[0] === 'xml' ? 1 : 2);
    compared += 1;
  }
  return compared;
}

describe('one pipeline: the workflow and eval make the same decisions in the same order', () => {
  it('offline tier', { timeout: 300_000 }, async () => {
    const h = await startHarness();
    try {
      const files = await documents();
      expect(await compare(h, createTiers(h.config), files)).toBe(files.length);
    } finally {
      await h.close();
    }
  });

  it('offline tier with the value floor on (the default): the workflow holds each value against it as eval does', { timeout: 300_000 }, async () => {
    const h = await startHarness({ env: { DOCROUTE_VALUE_FLOOR: 'on' } });
    try {
      const files = await documents();
      expect(await compare(h, createTiers(h.config), files)).toBe(files.length);
      // The samples' optional values below the floor send them to review, in the workflow's own record too.
      const reasons = await h.db.selectFrom('routing_decisions').select('reason').where('stage', '=', 'after-fast').execute();
      expect(reasons.some((r) => r.reason.includes('values below the value floor'))).toBe(true);
    } finally {
      await h.close();
    }
  });

  describe.skipIf(!HAVE_DATASETS)('Gemini tiers (fake server): escalations and budgets included', () => {
    let fake: FakeGemini;
    beforeAll(async () => {
      fake = await startFakeGemini();
    });
    afterAll(async () => fake?.close());

    it('Flash, escalations to Pro, review', { timeout: 300_000 }, async () => {
      // Flash invents on some invoices (values not on the page), Pro reads: escalations happen.
      // The configured defaults (a model the fake has no answer for would be retried until the test times out).
      fake.on(DEFAULT_FLASH_MODEL, 'generateContent', (req) => (/coolblue|oravel|oyo/i.test(req.text) ? inventingModel(req) : readingModel(req)));
      fake.on(DEFAULT_PRO_MODEL, 'generateContent', readingModel);
      const env = { GEMINI_API_KEY: 'one-pipeline-key-000000', GEMINI_BASE_URL: fake.url };
      const h = await startHarness({ env });
      try {
        const files = (await documents()).filter((f) => f.includes('invoice2data') || f.endsWith('invoice-en-usd.pdf'));
        expect(await compare(h, createTiers(h.config), files)).toBe(files.length);
        const routes = await h.db.selectFrom('documents').select('route').execute();
        expect(routes.some((r) => r.route.includes('pro'))).toBe(true);
      } finally {
        await h.close();
      }
    });

    it('with the second reading (Flash-Lite): agreement and disagreement decide the same way in both', { timeout: 300_000 }, async () => {
      fake.reset();
      for (const model of ['gemini-3.8-flash', 'gemini-4-carbon']) fake.on(model, 'generateContent', readingModel);
      const agree = checkingModel();
      const disagree = checkingModel({ invoiceNumber: 'ONE-PIPELINE-OTHER' });
      fake.on('gemini-3.5-flash-lite', 'generateContent', (req) => (/factuur|oyo/i.test(req.text) ? disagree(req) : agree(req)));
      const env = { GEMINI_API_KEY: 'one-pipeline-key-000000', GEMINI_BASE_URL: fake.url, DOCROUTE_CHECK_MODEL: 'gemini-3.5-flash-lite' };
      const h = await startHarness({ env });
      try {
        const files = (await documents()).filter((f) => /invoice-en-usd|factuur|rechnung|oyo/.test(f));
        expect(await compare(h, createTiers(h.config), files)).toBe(files.length);
        const second = await h.db.selectFrom('extraction_attempts').select('id').where('model', '=', 'gemini-3.5-flash-lite').execute();
        expect(second.length).toBeGreaterThanOrEqual(3);
        const reasons = await h.db.selectFrom('routing_decisions').select('reason').execute();
        expect(reasons.some((r) => r.reason.includes('a second, independent reading (gemini-3.5-flash-lite) disagrees on invoiceNumber'))).toBe(true);
      } finally {
        await h.close();
      }
    });
  });
});
