import { promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayHistory } from '../../src/audit/history.ts';
import { buildAuditTimeline } from '../../src/audit/timeline.ts';
import { ingestFile, waitForDocument } from '../../src/ingest/ingest.ts';
import { submitReview } from '../../src/review/submit.ts';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini.ts';
import { DATASETS_DIR, DATASETS_SKIP_MESSAGE, docrouteCli, HAVE_DATASETS, startHarness, type Harness } from '../support/harness.ts';
import { inventingModel } from '../support/oracle-model.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SAMPLE = path.join(ROOT, 'samples', 'invoice-en-usd.pdf');

describe('history export and replay', () => {
  let h: Harness;
  let scratch: string;
  let workflowId: string;
  let documentId: string;
  const cli = (args: string[]) => docrouteCli(h, args);

  beforeAll(async () => {
    h = await startHarness();
    scratch = await mkdtemp(path.join(tmpdir(), 'docroute-history-'));
    const ingested = await ingestFile(h, SAMPLE, 'test');
    await waitForDocument(h, ingested.workflowId);
    workflowId = ingested.workflowId;
    documentId = ingested.documentId;
  });
  afterAll(async () => {
    await h?.close();
    await fs.rm(scratch, { recursive: true, force: true });
  });

  it('exports a history by document id and replays it against the current code: deterministic', { timeout: 180_000 }, async () => {
    const file = path.join(scratch, 'history.json');
    await cli(['history', 'export', documentId, '--out', file]);
    const json = JSON.parse(await fs.readFile(file, 'utf8'));
    expect(json.events[0].eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    expect(json.events.at(-1).eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    const fromFile = await cli(['replay', '--file', file]);
    expect(fromFile.stdout).toMatch(/^PASS .*deterministic against the current workflow code/m);
    const byId = JSON.parse((await cli(['replay', documentId, '--json'])).stdout);
    expect(byId).toMatchObject({ replayed: 1, passed: 1, failed: 0 });
  });

  it('catches a non-deterministic change to a copy of the workflow', { timeout: 120_000 }, async () => {
    const history = historyFromJSON(JSON.parse((await cli(['history', 'export', workflowId])).stdout));
    const original = await fs.readFile(path.join(ROOT, 'workflows', 'extract-document.ts'), 'utf8');
    // A copy inside the project (so its imports resolve), with absolute imports of the rest.
    const dir = await mkdtemp(path.join(ROOT, 'test', '.tmp-workflow-copy-'));
    try {
      const absolute = original
        .replaceAll("'../", `'${ROOT}/`)
        .replaceAll("'./", `'${ROOT}/workflows/`);
      const write = async (name: string, code: string) => {
        await fs.writeFile(path.join(dir, name), code);
        return bundleWorkflowCode({ workflowsPath: path.join(dir, name), logger: new DefaultLogger('ERROR') });
      };
      const same = await write('same.ts', absolute);
      expect(await replayHistory(history, workflowId, same)).toMatchObject({ deterministic: true });

      // Parse before reading the document: a different activity where the history has readDocument.
      const swapped = absolute.replace(
        'readAhead = await parse.readDocument(id);',
        'await parse.parseDocument(id);\n      readAhead = await parse.readDocument(id);',
      );
      expect(swapped).not.toBe(absolute);
      const changed = await write('changed.ts', swapped);
      const outcome = await replayHistory(history, workflowId, changed);
      expect(outcome.deterministic).toBe(false);
      expect(outcome.failure).toBe('nondeterminism');
      expect(outcome.message).toMatch(/nondetermin|classifyText|parseDocument/i);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('replay --all replays every extraction workflow started since a date, with a summary', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const { stdout } = await cli(['replay', '--all', '--since', today, '--json']);
    const summary = JSON.parse(stdout);
    expect(summary.replayed).toBeGreaterThanOrEqual(1);
    expect(summary.failed).toBe(0);
    expect(summary.outcomes.map((o: { workflowId: string }) => o.workflowId)).toContain(workflowId);
  });
});

describe.skipIf(!HAVE_DATASETS)(`audit timeline${HAVE_DATASETS ? '' : ` — ${DATASETS_SKIP_MESSAGE}`}`, () => {
  let fake: FakeGemini;
  let h: Harness;
  beforeAll(async () => {
    fake = await startFakeGemini();
    for (const model of ['gemini-3.8-flash', 'gemini-4-carbon']) fake.on(model, 'generateContent', inventingModel);
    h = await startHarness({ env: { GEMINI_API_KEY: 'audit-test-key-000000', GEMINI_BASE_URL: fake.url } });
  });
  afterAll(async () => {
    await h?.close();
    await fake?.close();
  });

  it('a document that went Flash → Pro → review shows every step in order, linked to history events', async () => {
    const ingested = await ingestFile(h, path.join(DATASETS_DIR, 'invoice2data', 'coolblue1.pdf'), 'audit-test');
    const waiting = await waitForDocument(h, ingested.workflowId);
    expect(waiting).toMatchObject({ status: 'needs_review', route: ['flash', 'pro'] });
    const decided = await submitReview(h, {
      documentId: ingested.documentId,
      decision: { action: 'correct', fields: { invoiceNumber: 'CB-1', total: '717.97' }, note: 'from the PDF' },
      reviewer: { name: 'bob@audit', keyId: null },
    });
    expect(decided).toMatchObject({ ok: true, status: 'extracted', record: { version: 1 } });
    expect(await h.client.workflow.getHandle(ingested.workflowId).result()).toMatchObject({ status: 'extracted' });

    const timeline = await buildAuditTimeline(h.db, h.client, ingested.documentId);
    expect(timeline.historyAvailable).toBe(true);
    const steps = timeline.entries.map((e) => (e.step === 'routing_decision' ? `routing:${(e.details as { stage: string }).stage}` : e.step));
    expect(steps, JSON.stringify(steps)).toEqual([
      'received',
      'run',
      // The exact e-invoice tier looked first (no embedded XML, the text path); the same activity parsed
      // the document, so the parse is done when that decision is recorded.
      'parsed',
      'routing:exact',
      'routing:initial',
      'classified',
      'extraction_attempt',
      'validation',
      'routing:after-fast',
      'routing:budget',
      'extraction_attempt',
      'validation',
      'routing:after-deep',
      'review',
      'record_version',
      'finished',
    ]);
    const attempts = timeline.entries.filter((e) => e.step === 'extraction_attempt');
    expect(attempts.map((a) => [a.details.tier, a.details.model, a.details.promptVersion])).toEqual([
      ['flash', 'gemini-3.8-flash', 'invoice.v1'],
      ['pro', 'gemini-4-carbon', 'invoice.v1'],
    ]);
    for (const a of attempts) expect(a.details).toHaveProperty('costUsd');
    const routing = timeline.entries.find((e) => e.step === 'routing_decision' && (e.details as { stage: string }).stage === 'after-fast');
    expect(routing?.details.thresholds).toMatchObject({ minConfidence: 0.8, longDocTokens: 20000 });
    const review = timeline.entries.find((e) => e.step === 'review');
    expect(review?.summary).toMatch(/review by bob@audit: correct \(.*invoiceNumber: .* → "CB-1"/);
    const version = timeline.entries.find((e) => e.step === 'record_version');
    expect(version?.details).toMatchObject({ version: 1, source: 'reviewer:bob@audit' });
    // Where each field of the version was read: a value the models read from the page is its page and quote.
    const evidence = version?.details.evidence as Record<string, { source: string; page?: number; quote?: string }>;
    expect(evidence.vendorName).toMatchObject({ source: 'page', page: expect.any(Number), quote: expect.any(String) });
    // A value the reviewer typed in has none.
    expect(evidence.total).toMatchObject({ source: 'none', tier: 'reviewer' });
    expect(Object.values(evidence).some((e) => e.source === 'xml')).toBe(false);
    // Every step that came from an activity or signal names its history event, in history order.
    const linked = timeline.entries.filter((e) => e.step !== 'finished').map((e) => e.eventId);
    expect(linked.every((id) => typeof id === 'number' && id > 0)).toBe(true);
    const fromActivities = timeline.entries.filter((e) => !['received', 'finished'].includes(e.step)).map((e) => e.eventId as number);
    expect([...fromActivities].sort((a, b) => a - b)).toEqual(fromActivities);
  });
});
