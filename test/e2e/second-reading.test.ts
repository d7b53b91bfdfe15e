import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ingestFile, waitForDocument } from '../../src/ingest/ingest.ts';
import { reply, startFakeGemini, type FakeGemini, type FakeRequest } from '../support/fake-gemini.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { checkingModel, pagesOf, readingModel } from '../support/oracle-model.ts';
import { cuttingTableModel, fourPageTable, linedPdf, widgetRows } from '../support/table-model.ts';

/**
 * Through the workflow: the cheap second reading of required fields (its own
 * paid attempt; agreement raises, disagreement is a review reason in words),
 * and a line-item table that continues on the next page while the model's
 * answers stop short of it (cut off, then empty for page 2): never `extracted`.
 */
const FLASH = 'gemini-3.8-flash';
const PRO = 'gemini-4-carbon';
const LITE = 'gemini-3.5-flash-lite';
const SAMPLES = path.resolve(import.meta.dirname, '..', '..', 'samples');
// One file per test: a file already ingested is the same document (deduplicated by content).
const SAMPLE = path.join(SAMPLES, 'invoice-en-usd.pdf');

let fake: FakeGemini;
let h: Harness;
beforeAll(async () => {
  fake = await startFakeGemini();
  h = await startHarness({ env: { GEMINI_API_KEY: 'test-key-AIzaFAKE-second-0123', GEMINI_BASE_URL: fake.url, DOCROUTE_CHECK_MODEL: LITE } });
});
afterAll(async () => {
  await h?.close();
  await fake?.close();
});
afterEach(() => fake.reset());

async function run(file: string) {
  const ingested = await ingestFile(h, file, 'test');
  const result = await waitForDocument(h, ingested.workflowId);
  const attempts = await h.db.selectFrom('extraction_attempts').selectAll().where('document_id', '=', result.documentId).orderBy('created_at').execute();
  return { result, attempts };
}

describe('the second reading through the workflow', () => {
  it('is its own paid attempt (model, tokens, cost, latency), and agreement raises the grounded required fields', async () => {
    for (const model of [FLASH, PRO]) fake.on(model, 'generateContent', readingModel);
    fake.on(LITE, 'generateContent', checkingModel());
    const { result, attempts } = await run(SAMPLE);
    expect(result.status, result.reasons.join('; ')).toBe('extracted');
    expect(result.route).toEqual(['flash']);
    const second = attempts.filter((a) => a.model === LITE);
    expect(second).toHaveLength(1);
    expect(second[0]).toMatchObject({ outcome: 'ok', prompt_version: 'second-reading.v1', tokens_estimated: false });
    expect(second[0]!.input_tokens).toBeGreaterThan(0);
    expect(second[0]!.output_tokens).toBe(40 + 12); // thinking billed as output
    expect(Number(second[0]!.cost_usd)).toBeGreaterThan(0);
    expect(second[0]!.latency_ms).toBeGreaterThanOrEqual(0);
    // Cheap: a fraction of the first reading.
    const first = attempts.find((a) => a.model === FLASH)!;
    expect(Number(second[0]!.cost_usd)).toBeLessThan(Number(first.cost_usd));
    const candidate = await h.db.selectFrom('candidates').select(['fields', 'confidence']).where('document_id', '=', result.documentId).executeTakeFirstOrThrow();
    const fields = candidate.fields as Record<string, { confidence: number; value: unknown }>;
    expect(fields.invoiceNumber!.confidence).toBeGreaterThan(0.9);
  });

  it('a disagreement the deep tier does not settle sends the document to review, in words naming the field', async () => {
    for (const model of [FLASH, PRO]) fake.on(model, 'generateContent', readingModel);
    fake.on(LITE, 'generateContent', checkingModel({ invoiceNumber: 'ZZ-DIFFERENT-1' }));
    const { result, attempts } = await run(path.join(SAMPLES, 'factuur-nl-eur.pdf'));
    expect(result.status).toBe('needs_review');
    expect(result.route).toEqual(['flash', 'pro']);
    expect(result.reasons).toContain(`a second, independent reading (${LITE}) disagrees on invoiceNumber`);
    expect(result.reasons.join(' ')).not.toContain('ZZ-DIFFERENT-1');
    // The deep tier was asked about that field.
    const escalation = fake.requests.find((r) => r.model === PRO && r.method === 'generateContent')!;
    expect(escalation.text).toContain('"invoiceNumber"');
    expect(escalation.pdfCount).toBe(1); // escalations send the PDF pages themselves
    expect(attempts.filter((a) => a.model === LITE)).toHaveLength(1);
    // Its cost counts against the document budget: the deep tier's budget decision adds it to what was spent.
    const spent = attempts.filter((a) => a.model === FLASH || a.model === LITE).reduce((sum, a) => sum + Number(a.cost_usd), 0);
    const flashOnly = attempts.filter((a) => a.model === FLASH).reduce((sum, a) => sum + Number(a.cost_usd), 0);
    const budget = await h.db.selectFrom('routing_decisions').select('inputs').where('document_id', '=', result.documentId).where('stage', '=', 'budget').executeTakeFirstOrThrow();
    const spentUsd = (budget.inputs as { spentUsd: number }).spentUsd;
    expect(spentUsd).toBeCloseTo(spent, 9);
    expect(spentUsd).toBeGreaterThan(flashOnly);
  });

  it('a second reader that fails does not stop the document: recorded, retried little, and the first reading stands', async () => {
    for (const model of [FLASH, PRO]) fake.on(model, 'generateContent', readingModel);
    fake.on(LITE, 'generateContent', () => reply.error(503));
    const { result, attempts } = await run(path.join(SAMPLES, 'rechnung-de-eur.pdf'));
    expect(result.status, result.reasons.join('; ')).toBe('extracted');
    const second = attempts.filter((a) => a.model === LITE);
    expect(second.map((a) => a.outcome)).toEqual(['failed', 'failed']);
  });
});

/** An invoice whose line-item table runs from page 1 (25 rows, to the page end) onto page 2 (15 rows, then the totals). */
async function twoPageTable(): Promise<string> {
  const rows = widgetRows();
  return linedPdf('two-page-table.pdf', [
    ['ACME Widgets GmbH', 'Invoice No: INV-7788', 'Date: 2026-11-20', 'Description Qty Price Amount', ...rows(25)],
    ['ACME Widgets GmbH - page 2', 'Description Qty Price Amount', ...rows(15), 'Subtotal 400.00', 'Total EUR 400.00'],
  ]);
}

/** The extractWithTier activities a run scheduled: the page range each was asked for. */
async function extractionActivities(workflowId: string): Promise<{ pageFrom: number; pageTo: number; tier: string; splitCutOff?: string }[]> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  return history
    .events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'extractWithTier')
    .map((e) => JSON.parse(Buffer.from(e.activityTaskScheduledEventAttributes!.input!.payloads![0]!.data!).toString('utf8')));
}

/** A model that cuts off on more than one page, and reads no rows of a page that continues a table. */
function truncatingTableModel(request: FakeRequest) {
  const pages = pagesOf(request);
  if (pages.length > 1) return reply.truncated('{"vendorName": {"value": "ACME Widgets GmbH", "page": 1, "quote": "ACME Wid');
  const p = pages[0]!;
  const none = { value: null, page: null, quote: null };
  const said = (value: string, quote: string) => (p.text.includes(quote) ? { value, page: p.pageNumber, quote } : none);
  const lineItems =
    p.pageNumber === 1
      ? p.text
          .split('\n')
          .filter((l) => l.startsWith('Widget model'))
          .map((l) => ({ description: l.split(' 1 10.00')[0], quantity: '1', unitPrice: '10.00', amount: '10.00', page: 1, quote: l }))
      : [];
  return reply.json({
    vendorName: said('ACME Widgets GmbH', 'ACME Widgets GmbH'),
    vendorAddress: none,
    vendorTaxId: none,
    customerName: none,
    invoiceNumber: said('INV-7788', 'Invoice No: INV-7788'),
    issueDate: said('2026-11-20', 'Date: 2026-11-20'),
    dueDate: none,
    currency: said('EUR', 'Total EUR 400.00'),
    subtotal: said('400.00', 'Subtotal 400.00'),
    taxTotal: none,
    total: said('400.00', 'Total EUR 400.00'),
    lineItems,
    purchaseOrder: none,
    paymentTerms: none,
    iban: none,
    bic: none,
  });
}

describe('a line-item table that continues on the next page', () => {
  it('cut off on the whole table, split, and page 2 read short: never extracted, in review with the reason in words', async () => {
    for (const model of [FLASH, PRO]) fake.on(model, 'generateContent', truncatingTableModel);
    fake.on(LITE, 'generateContent', checkingModel());
    const { result, attempts } = await run(await twoPageTable());
    expect(result.status).not.toBe('extracted');
    expect(result.status).toBe('needs_review');
    expect(result.reasons).toContain('the line items table continues on page 2 but only 25 of about 40 rows were read (none from page 2)');
    // The cut-off range was split and re-asked page by page, by each tier (the halves in parallel).
    const covered = (model: string) => fake.requests.filter((r) => r.model === model && r.method === 'generateContent').map((r) => /this request covers page\(s\) ([\d,]+)/.exec(r.text)?.[1]);
    expect(covered(FLASH)[0]).toBe('1,2');
    expect(covered(FLASH).slice(1).sort()).toEqual(['1', '2']);
    expect(covered(PRO)[0]).toBe('1,2');
    expect(covered(PRO).slice(1, 3).sort()).toEqual(['1', '2']);
    // Each a paid attempt of its own: the cut-off whole range (invalid, with its cost), then each page.
    const flash = attempts.filter((a) => a.model === FLASH);
    expect(flash.map((a) => [a.page_from, a.page_to, a.outcome]).sort()).toEqual([
      [1, 1, 'ok'],
      [1, 2, 'invalid'],
      [2, 2, 'ok'],
    ]);
  });
});

describe('a cut-off range is split into workflow steps', () => {
  it('a 4-page table cut off whole is asked again in halves, each an activity of its own, and every line is read', async () => {
    fake.on(FLASH, 'generateContent', cuttingTableModel(2));
    fake.on(PRO, 'generateContent', cuttingTableModel(2));
    fake.on(LITE, 'generateContent', checkingModel());
    const file = await fourPageTable('INV-4400');
    const ingested = await ingestFile(h, file, 'test');
    const result = await waitForDocument(h, ingested.workflowId);
    expect(result.status, result.reasons.join('; ')).toBe('extracted');
    expect(result.route).toEqual(['flash']);
    // From the workflow history: the whole range, then each half, as separate extractWithTier activities.
    const activities = await extractionActivities(ingested.workflowId);
    expect(activities.map((a) => [a.pageFrom, a.pageTo])).toEqual([
      [1, 4],
      [1, 2],
      [3, 4],
    ]);
    expect(activities.every((a) => a.splitCutOff === 'return')).toBe(true);
    // Each its own attempt row; the cut-off one recorded with its cost.
    const attempts = await h.db
      .selectFrom('extraction_attempts')
      .selectAll()
      .where('document_id', '=', result.documentId)
      .where('model', '=', FLASH)
      .orderBy('page_from')
      .orderBy('page_to', 'desc')
      .execute();
    expect(attempts.map((a) => [a.page_from, a.page_to, a.outcome])).toEqual([
      [1, 4, 'invalid'],
      [1, 2, 'ok'],
      [3, 4, 'ok'],
    ]);
    const cut = attempts[0]!;
    expect(cut.error).toMatch(/^answer cut off: .*MAX_TOKENS/);
    expect(cut.output_tokens).toBeGreaterThan(0);
    expect(Number(cut.cost_usd)).toBeGreaterThan(0);
    expect(cut.tokens_estimated).toBe(false);
    expect(new Set(attempts.map((a) => a.activity_id)).size).toBe(3);
    // The record has every line, in order.
    const lines = await h.db
      .selectFrom('invoice_lines')
      .innerJoin('invoices', 'invoices.id', 'invoice_lines.invoice_id')
      .select(['invoice_lines.description', 'invoice_lines.page'])
      .where('invoices.document_id', '=', result.documentId)
      .orderBy('invoice_lines.line_number')
      .execute();
    expect(lines.map((l) => l.description)).toEqual(Array.from({ length: 100 }, (_, i) => `Widget model ${i + 1}`));
    expect(lines.map((l) => l.page)).toEqual(Array.from({ length: 100 }, (_, i) => Math.floor(i / 25) + 1));
  });

  it('a page still cut off alone is not extracted as complete: its range fails, the others are read', async () => {
    for (const model of [FLASH, PRO]) fake.on(model, 'generateContent', cuttingTableModel(2, [3]));
    fake.on(LITE, 'generateContent', checkingModel());
    const ingested = await ingestFile(h, await fourPageTable('INV-4401'), 'test');
    const result = await waitForDocument(h, ingested.workflowId);
    expect(result.status).not.toBe('extracted');
    expect(result.status).toBe('needs_review');
    const flashRanges = (await extractionActivities(ingested.workflowId)).filter((a) => a.tier === 'flash').map((a) => `${a.pageFrom}-${a.pageTo}`);
    // 1-4 cut off → 1-2 (read), 3-4 cut off → 3 (cut off alone: rejected), 4 (read).
    expect(flashRanges.slice(0, 3)).toEqual(['1-4', '1-2', '3-4']);
    expect(flashRanges.slice(3).sort()).toEqual(['3-3', '4-4']);
    const attempts = await h.db.selectFrom('extraction_attempts').selectAll().where('document_id', '=', result.documentId).where('model', '=', FLASH).execute();
    const page3 = attempts.find((a) => a.page_from === 3 && a.page_to === 3)!;
    expect(page3.outcome).toBe('invalid');
    expect(page3.error).toMatch(/cut off even with the page alone .*not accepted as complete/);
    expect(result.reasons.join('; ')).toMatch(/chunk\(s\) could not be extracted|line items/);
  });
});
