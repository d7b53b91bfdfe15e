import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { listDeliveries } from '../../src/db/webhooks.ts';
import { ingestFile, waitForDocument } from '../../src/ingest/ingest.ts';
import { verifyWebhook } from '../../src/webhooks/signature.ts';
import { startApiHarness, type ApiHarness } from '../support/api-harness.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { startReceiver, type ReceivedCall } from '../support/webhook-receiver.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SAMPLES = path.join(ROOT, 'samples');
const ALLOW_LOCAL = { DOCROUTE_WEBHOOK_ALLOW_PRIVATE: 'true' };

/** Waits until every delivery of the database is settled (delivered, failed or dropped). */
async function deliveriesSettled(h: Harness, count: number, timeoutMs = 90_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const all = await listDeliveries(h.db, { limit: 500 });
    if (all.length >= count && all.every((d) => d.status !== 'pending')) return all;
    if (Date.now() > until) throw new Error(`deliveries not settled: ${JSON.stringify(all.map((d) => [d.event, d.status]))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const accepted = (calls: ReceivedCall[]) => calls.filter((c) => c.answered === 200);
const idOf = (c: ReceivedCall) => String(c.headers['webhook-id']);

describe('webhooks', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness({ env: ALLOW_LOCAL });
  });
  afterAll(async () => api?.close());

  it('tells a subscriber once per event, signed, after its first two answers were 500', { timeout: 180_000 }, async () => {
    const receiver = await startReceiver((_call, index) => (index < 2 ? 500 : 200));
    try {
      const admin = await api.key(['webhooks'], 'ap-system');
      const reader = await api.key(['read']);
      const created = await api.call('/v1/webhooks', {
        method: 'POST',
        key: admin,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiver.url, events: ['document.extracted', 'document.needs_review', 'document.failed'] }),
      });
      expect(created.status).toBe(201);
      const hook = (await created.json()) as { id: string; secret: string };
      expect(hook.secret).toMatch(/^whsec_/);
      // The secret is shown once: never listed again.
      const listed = await (await api.call('/v1/webhooks', { key: admin })).json();
      expect(JSON.stringify(listed)).not.toContain(hook.secret);
      expect(await api.call('/v1/webhooks', { key: reader })).toHaveProperty('status', 403);

      // One document through the API, one through ingest (the CLI's path), one empty file that fails.
      const form = new FormData();
      form.append('file', new Blob([readFileSync(path.join(SAMPLES, 'invoice-en-usd.pdf'))], { type: 'application/pdf' }), 'a.pdf');
      const uploaded = (await (await api.call('/v1/documents', { method: 'POST', key: await api.key(['write']), body: form })).json()) as any;
      const viaApi = uploaded.documents[0] as { documentId: string; workflowId: string };
      const viaCli = await ingestFile(api, path.join(SAMPLES, 'contract-nda.pdf'), 'cli');
      const results = [await waitForDocument(api, viaApi.workflowId), await waitForDocument(api, viaCli.workflowId)];

      const deliveries = await deliveriesSettled(api, 2);
      expect(deliveries.every((d) => d.status === 'delivered')).toBe(true);
      // Exactly one accepted call per (document, event), each verified with the secret.
      const ok = accepted(receiver.calls);
      const expected = results.map((r) => `${r.documentId} document.${r.status}`).sort();
      const got = ok.map((c) => {
        const body = JSON.parse(c.body) as { type: string; data: { documentId: string; url: string } };
        return `${body.data.documentId} ${body.type}`;
      });
      expect(got.sort()).toEqual(expected);
      for (const call of receiver.calls) expect(verifyWebhook(hook.secret, call.headers, call.body)).toBe(true);
      // A wrong secret does not verify.
      expect(verifyWebhook('whsec_' + Buffer.from('not the secret').toString('base64'), ok[0]!.headers, ok[0]!.body)).toBe(false);
      // The two refused calls were retried with the same webhook-id; no id was accepted twice.
      const refusedIds = receiver.calls.filter((c) => c.answered === 500).map(idOf);
      expect(refusedIds).toHaveLength(2);
      for (const id of refusedIds) expect(ok.map(idOf)).toContain(id);
      expect(new Set(ok.map(idOf)).size).toBe(ok.length);

      // Every attempt is listed with its delivery.
      const listing = (await (await api.call(`/v1/webhooks/${hook.id}/deliveries`, { key: admin })).json()) as any;
      expect(listing.items).toHaveLength(2);
      const statuses = listing.items.flatMap((d: any) => d.attempts.map((a: any) => a.statusCode)).sort();
      expect(statuses).toEqual([200, 200, 500, 500]);
      // The audit trail shows each delivery with its attempts.
      const audit = (await (await api.call(`/v1/documents/${viaApi.documentId}/audit`, { key: reader })).json()) as any;
      const delivered = audit.entries.filter((e: any) => e.step === 'webhook_delivery');
      expect(delivered).toHaveLength(1);
      expect(delivered[0].details).toMatchObject({ status: 'delivered', webhookId: hook.id, event: `document.${results[0]!.status}` });
      expect(delivered[0].details.attempts.at(-1).statusCode).toBe(200);
      const body = JSON.parse(ok[0]!.body) as { data: { url: string } };
      expect(body.data.url).toMatch(/\/v1\/documents\/[0-9a-f-]{36}$/);

      // Removing the subscription stops deliveries.
      expect((await api.call(`/v1/webhooks/${hook.id}`, { method: 'DELETE', key: admin })).status).toBe(204);
      const later = await ingestFile(api, path.join(SAMPLES, 'rechnung-de-eur.pdf'), 'cli');
      await waitForDocument(api, later.workflowId);
      expect((await listDeliveries(api.db, { documentId: later.documentId })).length).toBe(0);
    } finally {
      await receiver.close();
    }
  });

  it('refuses URLs that are not http(s) or point at this machine, unless allowed', async () => {
    const strict = await startApiHarness({ startWorker: false });
    try {
      const admin = await strict.key(['webhooks']);
      for (const url of ['ftp://example.com/x', 'http://127.0.0.1:9/x', 'http://localhost/x', 'http://[::1]/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest']) {
        const response = await strict.call('/v1/webhooks', {
          method: 'POST',
          key: admin,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ url, events: ['document.extracted'] }),
        });
        expect(response.status, url).toBe(400);
      }
    } finally {
      await strict.close();
    }
  });
});

describe('webhook delivery across a worker crash', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ startWorker: false, env: ALLOW_LOCAL });
  });
  afterAll(async () => h?.close());

  it('a worker SIGKILLed mid-delivery: the retry carries the same webhook-id, one delivery', { timeout: 180_000 }, async () => {
    let release!: () => void;
    const hung = new Promise<void>((resolve) => (release = resolve));
    const receiver = await startReceiver((_call, index) => {
      if (index === 0) {
        release();
        return 'hang';
      }
      return 200;
    });
    const child = spawn(process.execPath, [path.join(ROOT, 'test/support/worker-process.ts'), h.config.database.url as string, inject('temporalAddress'), h.taskQueue], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...ALLOW_LOCAL },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
      });
      const { createWebhook } = await import('../../src/db/webhooks.ts');
      const hook = await createWebhook(h.db, {
        url: receiver.url,
        events: ['document.extracted', 'document.needs_review', 'document.failed'],
        kind: null,
        createdBy: 'test',
      });
      const ingested = await ingestFile(h, path.join(SAMPLES, 'invoice-en-usd.pdf'), 'cli');
      await hung; // the child worker's POST is in flight, unanswered
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      await h.startWorker();
      const result = await waitForDocument(h, ingested.workflowId);
      const [delivery] = await deliveriesSettled(h, 1);
      expect(delivery).toMatchObject({ status: 'delivered', event: `document.${result.status}` });
      expect(receiver.calls.length).toBe(2);
      expect(idOf(receiver.calls[0]!)).toBe(delivery!.id);
      expect(idOf(receiver.calls[1]!)).toBe(delivery!.id);
      for (const call of receiver.calls) expect(verifyWebhook(hook.secret, call.headers, call.body)).toBe(true);
      // The killed attempt is on record as interrupted; the retry as answered.
      expect(delivery!.attempts.map((a) => [a.attempt, a.status_code])).toEqual([
        [1, null],
        [2, 200],
      ]);
      expect(delivery!.attempts[0]!.error).toMatch(/interrupted/);
    } finally {
      child.kill('SIGKILL');
      await receiver.close();
    }
  });
});
