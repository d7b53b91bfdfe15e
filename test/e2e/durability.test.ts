import { spawn } from 'node:child_process';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { INTERRUPTED_CALL } from '../../src/db/paid-calls.ts';
import type { ModelTier } from '../../src/extraction/model-tier.ts';
import { createRulesTier } from '../../src/extraction/rules/rules-tier.ts';
import { ingestFile, waitForDocument } from '../../src/ingest/ingest.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SAMPLE = path.join(ROOT, 'samples', 'invoice-en-usd.pdf');

describe('durability', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ startWorker: false });
  });
  afterAll(async () => h?.close());

  it('a worker killed in the middle of an extraction loses nothing and duplicates nothing', { timeout: 180_000 }, async () => {
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'test/support/hanging-worker.ts'), h.config.database.url as string, inject('temporalAddress'), h.taskQueue],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`hanging worker exited early (${code})`)));
    });
    const ingested = await ingestFile(h, SAMPLE, 'test');
    const handle = h.client.workflow.getHandle(ingested.workflowId);
    // Wait until the doomed worker holds the extraction and has written its attempt's row (a kill between
    // the activity's start and that row, a few queries later, would leave nothing to find: that is a
    // different case, covered by the retry writing the only row).
    for (let i = 0; ; i++) {
      const description = await handle.describe();
      const pending = description.raw.pendingActivities ?? [];
      const holding = pending.some((a) => a.activityType?.name === 'extractWithTier' && a.state === STARTED);
      const written = holding && (await h.db.selectFrom('extraction_attempts').select('id').where('document_id', '=', ingested.documentId).execute()).length > 0;
      if (written) break;
      if (i > 200) throw new Error('the extraction never started');
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    await h.startWorker();
    const result = await waitForDocument(h, ingested.workflowId);
    expect(['extracted', 'needs_review']).toContain(result.status);
    const attempts = await h.db
      .selectFrom('extraction_attempts')
      .selectAll()
      .where('document_id', '=', result.documentId)
      .orderBy('activity_attempt')
      .execute();
    // No paid call without a row: the killed attempt's row was written before its call, and stays on the
    // books as interrupted (at its estimated cost); the retry on the healthy worker wrote exactly one more.
    expect(attempts.map((a) => [a.model, a.outcome, a.activity_attempt])).toEqual([
      ['rules-v1', 'failed', 1],
      ['rules-v1', 'ok', attempts[1]?.activity_attempt],
    ]);
    expect(attempts[0]?.error).toBe(INTERRUPTED_CALL);
    expect(attempts[0]?.activity_id).toBe(attempts[1]?.activity_id);
    expect(attempts[1]?.activity_attempt).toBeGreaterThan(1);
    const candidates = await h.db.selectFrom('candidates').select('id').where('document_id', '=', result.documentId).execute();
    expect(candidates).toHaveLength(1);
    const records = await h.db.selectFrom('invoices').select('id').where('document_id', '=', result.documentId).execute();
    expect(records).toHaveLength(result.status === 'extracted' ? 1 : 0);
  });

  it('a transient tier failure is retried and recorded, without a second record', async () => {
    const rules = createRulesTier();
    let calls = 0;
    const flaky: ModelTier = {
      ...rules,
      tier: 'flash',
      model: rules.model,
      readsImages: false,
      countTokens: (pages) => rules.countTokens(pages),
      extract: async (request) => {
        calls += 1;
        if (calls === 1) throw new Error('connection reset by peer');
        return rules.extract(request);
      },
    };
    // A harness of its own, so that only the flaky worker serves its queue.
    const own = await startHarness({ tiers: { fast: flaky, deep: null } });
    try {
    const ingested = await ingestFile(own, path.join(ROOT, 'samples', 'rechnung-de-eur.pdf'), 'test');
    const result = await waitForDocument(own, ingested.workflowId);
    expect(result.status).not.toBe('failed');
    const attempts = await own.db
      .selectFrom('extraction_attempts')
      .select(['outcome', 'error', 'activity_attempt'])
      .where('document_id', '=', result.documentId)
      .orderBy('activity_attempt')
      .execute();
    expect(attempts).toEqual([
      { outcome: 'failed', error: 'connection reset by peer', activity_attempt: 1 },
      { outcome: 'ok', error: null, activity_attempt: 2 },
    ]);
    } finally {
      await own.close();
    }
  });
});
