import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptOutcome, DocumentStatusColumn, TierColumn } from '../../src/db/schema.ts';
import { formatCostReport } from '../../src/cli/commands/costs.ts';
import { costReport, type CostReport } from '../../src/costs/report.ts';
import { createDb, type Db } from '../../src/db/database.ts';
import { createTestDatabase } from '../support/harness.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

/*
 * Four documents with attempts (D1..D4) and one without (D5). Two UTC days:
 * 2026-03-01 and 2026-03-02. Attempt a2 is stored with a +02:00 offset: it is
 * 2 March locally but 1 March in UTC.
 *
 *      doc tier  model                  in    out  cached  cost      ms    day (UTC)
 *  a1  D1  flash gemini-2.5-flash       1000  200  100     0.000800  400   03-01
 *  a2  D2  flash gemini-2.5-flash       2000  300  0       0.001350  600   03-01 (23:30Z)
 *  a3  D2  pro   gemini-2.5-pro         5000  1000 0       0.016250  3000  03-01
 *  a4  D3  flash gemini-2.5-flash       1500  250  500     0.000950  500   03-02
 *  a5  D4  flash gemini-2.5-flash-lite  800   100  0       0.000120  200   03-02
 *  a6  D4  pro   gemini-2.5-pro         4000  500  1000    0.008875  5000  03-02
 *
 * Statuses: D1 extracted, D2 needs_review, D3 extracted, D4 extracted, D5 needs_review (no attempts: not counted).
 */
const DOCS: [string, DocumentStatusColumn][] = [
  ['D1', 'extracted'],
  ['D2', 'needs_review'],
  ['D3', 'extracted'],
  ['D4', 'extracted'],
  ['D5', 'needs_review'],
];
const ATTEMPTS: [string, TierColumn, string, number, number, number, string, number, AttemptOutcome, string][] = [
  ['D1', 'flash', 'gemini-2.5-flash', 1000, 200, 100, '0.000800', 400, 'ok', '2026-03-01T08:00:00Z'],
  ['D2', 'flash', 'gemini-2.5-flash', 2000, 300, 0, '0.001350', 600, 'invalid', '2026-03-02T01:30:00+02:00'],
  ['D2', 'pro', 'gemini-2.5-pro', 5000, 1000, 0, '0.016250', 3000, 'ok', '2026-03-01T20:00:00Z'],
  ['D3', 'flash', 'gemini-2.5-flash', 1500, 250, 500, '0.000950', 500, 'ok', '2026-03-02T00:00:00Z'],
  ['D4', 'flash', 'gemini-2.5-flash-lite', 800, 100, 0, '0.000120', 200, 'failed', '2026-03-02T11:00:00Z'],
  ['D4', 'pro', 'gemini-2.5-pro', 4000, 500, 1000, '0.008875', 5000, 'ok', '2026-03-02T23:59:59.999Z'],
];


async function seed(db: Db): Promise<void> {
  const ids = new Map<string, string>();
  for (const [name, status] of DOCS) {
    const row = await db
      .insertInto('documents')
      .values({ sha256: `sha-${name}`, file_name: `${name}.pdf`, size_bytes: 1000, workflow_id: `wf-${name}`, status })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.set(name, row.id);
  }
  await db
    .insertInto('extraction_attempts')
    .values(
      ATTEMPTS.map(([doc, tier, model, input, output, cached, cost, latency, outcome, at], i) => ({
        document_id: ids.get(doc)!,
        workflow_id: `wf-${doc}`,
        run_id: 'run-1',
        activity_id: `act-${i}`,
        activity_attempt: 1,
        tier,
        model,
        page_from: 1,
        page_to: 1,
        input_tokens: input,
        output_tokens: output,
        cached_tokens: cached,
        tokens_estimated: false,
        cost_usd: cost,
        latency_ms: latency,
        outcome,
        created_at: at,
      })),
    )
    .execute();
}

describe('costReport', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { max: 3 });
    await seed(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('all time: exact sums per tier and model, latency mean and p95', async () => {
    const r = await costReport(db, {});
    expect(r.since).toBeNull();
    expect(r.until).toBeNull();
    expect(r.byTierModel).toEqual([
      {
        tier: 'flash',
        model: 'gemini-2.5-flash',
        calls: 3,
        inputTokens: 4500,
        outputTokens: 750,
        cachedTokens: 600,
        costUsd: '0.003100',
        meanLatencyMs: 500,
        p95LatencyMs: 600,
      },
      {
        tier: 'flash',
        model: 'gemini-2.5-flash-lite',
        calls: 1,
        inputTokens: 800,
        outputTokens: 100,
        cachedTokens: 0,
        costUsd: '0.000120',
        meanLatencyMs: 200,
        p95LatencyMs: 200,
      },
      {
        tier: 'pro',
        model: 'gemini-2.5-pro',
        calls: 2,
        inputTokens: 9000,
        outputTokens: 1500,
        cachedTokens: 1000,
        costUsd: '0.025125',
        meanLatencyMs: 4000,
        p95LatencyMs: 5000,
      },
    ]);
    expect(r.totals).toEqual({ calls: 6, inputTokens: 14300, outputTokens: 2350, cachedTokens: 1600, costUsd: '0.028345' });
  });

  it('groups by UTC day and tier (an attempt stored with +02:00 counts on its UTC day)', async () => {
    const r = await costReport(db, {});
    expect(r.byDay).toEqual([
      { day: '2026-03-01', tier: 'flash', calls: 2, costUsd: '0.002150' },
      { day: '2026-03-01', tier: 'pro', calls: 1, costUsd: '0.016250' },
      { day: '2026-03-02', tier: 'flash', calls: 2, costUsd: '0.001070' },
      { day: '2026-03-02', tier: 'pro', calls: 1, costUsd: '0.008875' },
    ]);
  });

  it('documents, cost per document, projection per 1,000 documents, overall and per tier', async () => {
    const r = await costReport(db, {});
    expect(r.documents).toBe(4); // D5 has no attempt
    expect(r.costPerDocumentUsd).toBe('0.007086'); // 0.028345 / 4 = 0.00708625
    expect(r.per1000DocumentsUsd).toBe('7.086250'); // 0.028345 / 4 × 1000
    expect(r.byTier).toEqual([
      {
        tier: 'flash',
        calls: 4,
        costUsd: '0.003220',
        documents: 4,
        costPerDocumentUsd: '0.000805',
        per1000DocumentsUsd: '0.805000',
        costPerTierDocumentUsd: '0.000805',
      },
      {
        tier: 'pro',
        calls: 2,
        costUsd: '0.025125',
        documents: 2,
        costPerDocumentUsd: '0.006281', // 0.025125 / 4 = 0.00628125
        per1000DocumentsUsd: '6.281250',
        costPerTierDocumentUsd: '0.012563', // 0.025125 / 2 = 0.0125625, half up
      },
    ]);
    // The tiers' projections add up to the overall one.
    expect(Number(r.byTier[0]!.per1000DocumentsUsd) + Number(r.byTier[1]!.per1000DocumentsUsd)).toBeCloseTo(7.08625, 9);
  });

  it('shares: deep tier and needs_review, over the documents processed', async () => {
    const r = await costReport(db, {});
    expect(r.deepTier).toEqual({ documents: 2, share: 0.5 }); // D2, D4
    expect(r.needsReview).toEqual({ documents: 1, share: 0.25 }); // D2 (D5 has no attempt)
    expect(r.batch).toEqual({ calls: 0, batches: 0, costUsd: '0.000000', onlineCostUsd: '0.000000', savingUsd: '0.000000', meanLatencyMs: 0 });
  });

  it('--since keeps whole UTC days from that day on', async () => {
    const r = await costReport(db, { since: '2026-03-02' });
    expect(r.since).toBe('2026-03-02');
    expect(r.totals).toEqual({ calls: 3, inputTokens: 6300, outputTokens: 850, cachedTokens: 1500, costUsd: '0.009945' });
    expect(r.byDay.map((d) => d.day)).toEqual(['2026-03-02', '2026-03-02']);
    expect(r.documents).toBe(2); // D3, D4
    expect(r.costPerDocumentUsd).toBe('0.004973'); // 0.0049725, half up
    expect(r.per1000DocumentsUsd).toBe('4.972500');
    expect(r.deepTier).toEqual({ documents: 1, share: 0.5 });
    expect(r.needsReview).toEqual({ documents: 0, share: 0 });
  });

  it('--until keeps whole UTC days up to and including that day', async () => {
    const r = await costReport(db, { until: '2026-03-01' });
    expect(r.totals.calls).toBe(3); // a1, a2 (23:30Z), a3
    expect(r.totals.costUsd).toBe('0.018400');
    expect(r.byDay).toEqual([
      { day: '2026-03-01', tier: 'flash', calls: 2, costUsd: '0.002150' },
      { day: '2026-03-01', tier: 'pro', calls: 1, costUsd: '0.016250' },
    ]);
    expect(r.documents).toBe(2); // D1, D2
    expect(r.costPerDocumentUsd).toBe('0.009200');
    expect(r.per1000DocumentsUsd).toBe('9.200000');
    expect(r.deepTier).toEqual({ documents: 1, share: 0.5 });
    expect(r.needsReview).toEqual({ documents: 1, share: 0.5 });
  });

  it('--since and --until on the same day; the last millisecond of a day belongs to it', async () => {
    expect((await costReport(db, { since: '2026-03-01', until: '2026-03-01' })).totals.costUsd).toBe('0.018400');
    const day2 = await costReport(db, { since: '2026-03-02', until: '2026-03-02' });
    expect(day2.totals.costUsd).toBe('0.009945'); // includes a6 at 23:59:59.999Z
    expect((await costReport(db, { since: '2026-03-03' })).totals.calls).toBe(0);
  });

  it('a window without calls: zeros, no division by zero', async () => {
    const r = await costReport(db, { since: '2027-01-01', until: '2027-01-31' });
    expectEmpty(r);
  });

  it('rejects dates that are not YYYY-MM-DD days, and a window that ends before it starts', async () => {
    await expect(costReport(db, { since: '2026-02-30' })).rejects.toThrow(/--since must be a date as YYYY-MM-DD/);
    await expect(costReport(db, { until: '1/3/2026' })).rejects.toThrow(/--until must be a date as YYYY-MM-DD/);
    await expect(costReport(db, { since: '2026-03-02', until: '2026-03-01' })).rejects.toThrow(/is after --until/);
  });

  it('the text report shows the tables and the projection', async () => {
    const text = formatCostReport(await costReport(db, {}));
    expect(text).toContain('Model costs, all time');
    expect(text).toMatch(/flash\s+gemini-2\.5-flash\s+3\s+4500\s+750\s+600\s+0\.003100\s+500\.0\s+600/);
    expect(text).toMatch(/2026-03-01\s+pro\s+1\s+0\.016250/);
    expect(text).toMatch(/all\s+4\s+0\.028345\s+0\.007086\s+7\.086250/);
    expect(text).toContain('used the deep tier (pro): 2 (50.0%)');
    expect(text).toContain('ended in needs_review:    1 (25.0%)');
  });

  it('docroute costs --json prints the same report (the real CLI, in a child process)', async () => {
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'bin', 'docroute.js'), 'costs', '--since', '2026-03-02', '--json'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: database.url, DOCROUTE_LOG_LEVEL: 'warn' },
      timeout: 60_000,
    });
    expect(JSON.parse(stdout)).toEqual(await costReport(db, { since: '2026-03-02' }));
  });
});

/*
 * The exact e-invoice tier: X1 and X2 read from their XML (tier xml, model
 * en16931, cost 0; X2 ended in review), T1 read by the fast tier.
 */
describe('costReport with documents read exactly (e-invoices)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { max: 3 });
    const docs: [string, DocumentStatusColumn, TierColumn, string, string][] = [
      ['X1', 'extracted', 'xml', 'en16931', '0'],
      ['X2', 'needs_review', 'xml', 'en16931', '0'],
      ['T1', 'extracted', 'flash', 'gemini-2.5-flash', '0.000900'],
    ];
    for (const [name, status, tier, model, cost] of docs) {
      const { id } = await db
        .insertInto('documents')
        .values({ sha256: `sha-${name}`, file_name: `${name}.xml`, size_bytes: 1000, workflow_id: `wf-${name}`, status })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('extraction_attempts')
        .values({
          document_id: id,
          workflow_id: `wf-${name}`,
          run_id: 'run-1',
          activity_id: 'act-1',
          activity_attempt: 1,
          tier,
          model,
          page_from: 1,
          page_to: 1,
          input_tokens: tier === 'xml' ? 0 : 1200,
          output_tokens: tier === 'xml' ? 0 : 150,
          cached_tokens: 0,
          tokens_estimated: false,
          cost_usd: cost,
          latency_ms: tier === 'xml' ? 12 : 700,
          outcome: 'ok',
          created_at: '2026-03-05T10:00:00Z',
        })
        .execute();
    }
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('counts them as exact, at cost 0, in the documents processed and per tier', async () => {
    const r = await costReport(db, {});
    expect(r.exactTier).toEqual({ documents: 2, share: 0.6667 });
    expect(r.deepTier).toEqual({ documents: 0, share: 0 });
    expect(r.documents).toBe(3);
    expect(r.byTier.map((t) => t.tier)).toEqual(['xml', 'flash']);
    expect(r.byTier[0]).toEqual({
      tier: 'xml',
      calls: 2,
      costUsd: '0.000000',
      documents: 2,
      costPerDocumentUsd: '0.000000',
      per1000DocumentsUsd: '0.000000',
      costPerTierDocumentUsd: '0.000000',
    });
    // The model's cost spread over every document processed, the exact ones included.
    expect(r.totals.costUsd).toBe('0.000900');
    expect(r.costPerDocumentUsd).toBe('0.000300');
    expect(r.byTierModel.find((m) => m.tier === 'xml')).toMatchObject({ model: 'en16931', calls: 2, inputTokens: 0, costUsd: '0.000000' });
  });

  it('the text report says how many were read exactly', async () => {
    const text = formatCostReport(await costReport(db, {}));
    expect(text).toContain('read exactly (xml, no model, cost 0): 2 (66.7%)');
    expect(text).toMatch(/xml\s+en16931\s+2\s+0\s+0\s+0\s+0\.000000/);
  });
});

describe('costReport on an empty database', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let db: Db;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDb(database.url, { max: 3 });
    // A document that was never sent to a model does not count.
    await db.insertInto('documents').values({ sha256: 'sha-x', file_name: 'x.pdf', size_bytes: 1, workflow_id: 'wf-x' }).execute();
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('zeros everywhere, no division by zero', async () => {
    const r = await costReport(db, {});
    expectEmpty(r);
    expect(formatCostReport(r)).toContain('No model calls recorded in this period.');
  });
});

function expectEmpty(r: CostReport): void {
  expect(r.totals).toEqual({ calls: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: '0.000000' });
  expect(r.byTierModel).toEqual([]);
  expect(r.byDay).toEqual([]);
  expect(r.byTier).toEqual([]);
  expect(r.documents).toBe(0);
  expect(r.costPerDocumentUsd).toBe('0.000000');
  expect(r.per1000DocumentsUsd).toBe('0.000000');
  expect(r.deepTier).toEqual({ documents: 0, share: 0 });
  expect(r.exactTier).toEqual({ documents: 0, share: 0 });
  expect(r.needsReview).toEqual({ documents: 0, share: 0 });
}
