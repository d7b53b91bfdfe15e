import { promises as fs } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../support/api-harness.ts';
import { emptyFile, notAPdf } from '../support/bad-pdfs.ts';
import { DATASETS_DIR, DATASETS_SKIP_MESSAGE, HAVE_DATASETS } from '../support/harness.ts';

const SAMPLES = path.resolve(import.meta.dirname, '..', '..', 'samples');
const INVOICES = path.join(DATASETS_DIR, 'invoice2data');

let api: ApiHarness;
let writer: string;
let reader: string;
let reviewer: string;

beforeAll(async () => {
  api = await startApiHarness({ env: { DOCROUTE_MAX_FILE_MB: '1' } });
  writer = await api.key(['write', 'read'], 'uploader');
  reader = await api.key(['read'], 'dashboard');
  reviewer = await api.key(['review', 'read'], 'alice@finance');
});
afterAll(async () => api?.close());

/** multipart/form-data with the given files, as any HTTP client would send it. */
function form(...files: { name: string; bytes: Uint8Array; type?: string }[]): FormData {
  const body = new FormData();
  for (const f of files) body.append('file', new Blob([Buffer.from(f.bytes)], { type: f.type ?? 'application/pdf' }), f.name);
  return body;
}

async function upload(key: string, ...files: { name: string; bytes: Uint8Array; type?: string }[]) {
  const response = await api.call('/v1/documents', { method: 'POST', key, body: form(...files) });
  return { response, body: (await response.json()) as any };
}

/** Polls a document until it leaves received/processing, as a client would. */
async function settle(id: string, key = reader): Promise<any> {
  for (let i = 0; i < 300; i++) {
    const doc = (await (await api.call(`/v1/documents/${id}`, { key })).json()) as any;
    if (!['received', 'processing'].includes(doc.status)) return doc;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`document ${id} did not settle`);
}

/** Polls a document in review until the reviewer's decision has been applied. */
async function resolved(id: string): Promise<any> {
  for (let i = 0; i < 300; i++) {
    const doc = await settle(id);
    if (doc.status !== 'needs_review') return doc;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`document ${id} stayed in review`);
}

describe('uploads', () => {
  it('a PDF is accepted (202), processed, and the same content again returns the existing document (200)', async () => {
    const bytes = await fs.readFile(path.join(SAMPLES, 'invoice-en-usd.pdf'));
    const first = await upload(writer, { name: 'march.pdf', bytes });
    expect(first.response.status).toBe(202);
    expect(first.body.documents).toHaveLength(1);
    const created = first.body.documents[0];
    expect(created).toMatchObject({ fileName: 'march.pdf', duplicate: false });
    const doc = await settle(created.documentId);
    expect(doc.status).toBe('extracted');
    const again = await upload(writer, { name: 'march (copy).pdf', bytes });
    expect(again.response.status).toBe(200);
    expect(again.body.documents[0]).toMatchObject({ documentId: created.documentId, duplicate: true, status: 'extracted' });
    const file = await api.call(`/v1/documents/${created.documentId}/file`, { key: reader });
    expect(Buffer.from(await file.arrayBuffer()).equals(bytes)).toBe(true);
    // Stored in chunks (streamed in), not as one bytea value.
    const chunks = await api.db.selectFrom('blob_chunks').select(['seq']).where('sha256', '=', created.sha256).execute();
    expect(chunks.map((c) => c.seq)).toEqual([0]);
    const blob = await api.db.selectFrom('blobs').select(['content', 'size_bytes']).where('sha256', '=', created.sha256).executeTakeFirstOrThrow();
    expect(blob).toEqual({ content: null, size_bytes: String(bytes.byteLength) });
  });

  it('refuses bad files with 4xx problems that say why, and stores nothing from a refused batch', async () => {
    const before = await api.db.selectFrom('documents').select('id').execute();
    const png = await upload(writer, { name: 'invoice.pdf', bytes: await notAPdf() });
    expect(png.response.status).toBe(415);
    expect(png.response.headers.get('content-type')).toContain('application/problem+json');
    expect(png.body.detail).toMatch(/invoice\.pdf: file is not a PDF \(it looks like a PNG image\)/);
    const empty = await upload(writer, { name: 'empty.pdf', bytes: await emptyFile() });
    expect(empty.response.status).toBe(400);
    expect(empty.body.detail).toMatch(/empty/);
    const big = new Uint8Array(1024 * 1024 + 1);
    big.set(new TextEncoder().encode('%PDF-1.7\n'));
    const tooLarge = await upload(writer, { name: 'big.pdf', bytes: big });
    expect(tooLarge.response.status).toBe(413);
    expect(tooLarge.body.detail).toMatch(/larger than the limit of 1 MiB/);
    const mixed = await upload(
      writer,
      { name: 'good.pdf', bytes: await fs.readFile(path.join(SAMPLES, 'contract-nda.pdf')) },
      { name: 'bad.pdf', bytes: await notAPdf() },
    );
    expect(mixed.response.status).toBe(415);
    const noFile = await api.call('/v1/documents', { method: 'POST', key: writer, body: new FormData() });
    expect(noFile.status).toBe(400);
    const json = await api.call('/v1/documents', {
      method: 'POST',
      key: writer,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(415);
    expect(await api.db.selectFrom('documents').select('id').execute()).toHaveLength(before.length);
  });

  it('refuses a polyglot (a ZIP that carries a PDF header further in) instead of storing and serving it as a PDF', async () => {
    const pdf = await fs.readFile(path.join(SAMPLES, 'invoice-en-usd.pdf'));
    const zipFirst = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60, 0x41), pdf]);
    const res = await upload(writer, { name: 'polyglot.pdf', bytes: zipFirst });
    expect(res.response.status).toBe(415);
    expect(res.body.detail).toMatch(/polyglot\.pdf: file is not a PDF: it starts as a ZIP archive .* holds a "%PDF-" header only at byte 64/);
  });

  it('an upload trickling bytes is cut off (408) instead of holding the connection', { timeout: 60_000 }, async () => {
    const pdf = await fs.readFile(path.join(SAMPLES, 'invoice-en-usd.pdf'));
    const boundary = 'docroute-slow-upload';
    const head = `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="slow.pdf"\r\ncontent-type: application/pdf\r\n\r\n`;
    const url = new URL(api.baseUrl);
    const started = Date.now();
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/v1/documents',
          headers: { authorization: `Bearer ${writer}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write(head);
      let sent = 0;
      // 2 bytes a second, as the slow client in the issue did.
      const timer = setInterval(() => {
        if (sent >= pdf.length || req.destroyed) return clearInterval(timer);
        req.write(pdf.subarray(sent, sent + 2));
        sent += 2;
      }, 1000);
      req.on('close', () => clearInterval(timer));
    });
    expect(answer.status).toBe(408);
    expect(answer.body).toMatch(/slower than 8 KiB\/s over 10 s/);
    expect(Date.now() - started).toBeLessThan(45_000);
  });

  it('needs a key with the write scope', async () => {
    const bytes = await fs.readFile(path.join(SAMPLES, 'rechnung-de-eur.pdf'));
    expect((await upload(reader, { name: 'r.pdf', bytes })).response.status).toBe(403);
    expect((await api.call('/v1/documents', { method: 'POST', body: form({ name: 'r.pdf', bytes }) })).status).toBe(401);
  });
});

describe.skipIf(!HAVE_DATASETS)(`the review queue${HAVE_DATASETS ? '' : ` — ${DATASETS_SKIP_MESSAGE}`}`, () => {
  it('a reviewer corrects a document in review; the workflow persists the corrected record with the reviewer as its source', async () => {
    // oyo.pdf is corrected here; AzureInterior.pdf (an embedded e-invoice breaking rules) shows failed checks in the queue.
    const up = await upload(
      writer,
      { name: 'oyo.pdf', bytes: await fs.readFile(path.join(INVOICES, 'oyo.pdf')) },
      { name: 'AzureInterior.pdf', bytes: await fs.readFile(path.join(INVOICES, 'AzureInterior.pdf')) },
    );
    const id = up.body.documents[0].documentId as string;
    const waiting = await settle(id);
    expect(waiting.status).toBe('needs_review');
    const ruleBreaker = await settle(up.body.documents[1].documentId as string);
    expect(ruleBreaker.status).toBe('needs_review');

    const queue = (await (await api.call('/v1/review', { key: reviewer })).json()) as any;
    const item = queue.items.find((i: any) => i.documentId === id);
    expect(item.reasons.length).toBeGreaterThan(0);
    expect(item.candidate.fields.invoiceNumber).toHaveProperty('value');
    // The reasons in words, each next to its code (the codes stay in `reasons`): a failed check by its stored message, with the values.
    for (const doc of [waiting, ruleBreaker]) {
      const queued = queue.items.find((i: any) => i.documentId === doc.documentId);
      expect(queued.reasonsInWords.map((r: any) => r.code)).toEqual(queued.reasons);
      for (const r of queued.reasonsInWords) expect(r.text).not.toMatch(/^check failed: |^confidence \d/);
      // The same words in the document's detail.
      expect(doc.reviewReasonsInWords).toEqual(queued.reasonsInWords);
    }
    expect(item.reasonsInWords).toContainEqual({ code: 'required fields missing: invoiceNumber', text: 'required fields missing: invoice number' });
    const latest = await api.db.selectFrom('candidates').select('id').where('document_id', '=', ruleBreaker.documentId).orderBy('created_at', 'desc').limit(1).executeTakeFirstOrThrow();
    const failing = await api.db.selectFrom('validation_results').select(['check_name', 'fields', 'message']).where('candidate_id', '=', latest.id).where('passed', '=', false).execute();
    const checkFailed = (ruleBreaker.reviewReasons as string[]).filter((r) => r.startsWith('check failed: '));
    expect(checkFailed.length, `a failed check among ${JSON.stringify(ruleBreaker.reviewReasons)}`).toBeGreaterThan(0);
    for (const code of checkFailed) {
      const check = failing.find((c) => (c.fields.length ? `${c.check_name}(${c.fields.join(',')})` : c.check_name) === code.slice('check failed: '.length));
      expect(check, code).toBeDefined();
      expect(ruleBreaker.reviewReasonsInWords.find((r: any) => r.code === code).text).toBe(check!.message);
    }
    expect((await api.call('/v1/review', { key: reader })).status).toBe(403);

    const decide = (body: unknown) =>
      api.call(`/v1/review/${id}`, { method: 'POST', key: reviewer, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    // A correction that breaks the schema is refused before it reaches the workflow.
    const bad = await decide({ action: 'correct', fields: { total: '12,50', issueDate: '2024-02-30', colour: 'red' } });
    expect(bad.status).toBe(409);
    const problem = (await bad.json()) as any;
    expect(problem.detail).toMatch(/fields\.total/);
    expect(problem.detail).toMatch(/fields\.issueDate/);

    // A correction whose record fails a check (an invalid IBAN) is not recorded silently: refused, with the check.
    const badIban = await decide({ action: 'correct', fields: { iban: 'DE00 1234 5678 9012 3456 78' } });
    expect(badIban.status).toBe(409);
    expect(((await badIban.json()) as any).detail).toMatch(/iban_checksum\(iban\).*fails the ISO 13616/);
    expect((await settle(id)).status).toBe('needs_review');
    expect(await api.db.selectFrom('review_actions').selectAll().where('document_id', '=', id).execute()).toHaveLength(0);

    // The reviewer identity comes from the key, never from the body; concurrent decisions: exactly one is applied.
    const sent = { vendorName: 'Oravel Stays Private Limited', invoiceNumber: 'IBZY2087', total: '1939.00', currency: 'INR' };
    const answers = await Promise.all([
      decide({ action: 'correct', note: 'checked against the booking', reviewer: 'mallory', fields: sent }),
      decide({ action: 'correct', note: 'checked against the booking', reviewer: 'mallory', fields: sent }),
      decide({ action: 'correct', note: 'checked against the booking', reviewer: 'mallory', fields: sent }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
    const applied = (await answers.find((a) => a.status === 200)!.json()) as any;
    expect(applied).toMatchObject({ documentId: id, status: 'extracted', record: { version: 1 }, error: null });
    const final = await resolved(id);
    expect(final.status).toBe('extracted');
    expect(final.record).toMatchObject({
      source: 'reviewer:alice@finance',
      vendorName: 'Oravel Stays Private Limited',
      invoiceNumber: 'IBZY2087',
      total: '1939.00',
      currency: 'INR',
      confidence: 1,
    });
    const trail = await api.db.selectFrom('review_actions').selectAll().where('document_id', '=', id).execute();
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({ reviewer: 'alice@finance', action: 'correct', note: 'checked against the booking' });
    // The trail names exactly the fields whose value the reviewer changed, with before and after.
    const expected = Object.entries(sent)
      .filter(([field, value]) => item.candidate.fields[field].value !== value)
      .map(([field, value]) => ({ field, before: item.candidate.fields[field].value, after: value }));
    expect(expected.length).toBeGreaterThan(0);
    const byField = (a: { field: string }, b: { field: string }) => a.field.localeCompare(b.field);
    expect([...(trail[0]?.changes as { field: string }[])].sort(byField)).toEqual(expected.sort(byField));
    // The audit trail over the API shows the review and the record it produced, linked to history events.
    const audit = (await (await api.call(`/v1/documents/${id}/audit`, { key: reader })).json()) as any;
    expect(audit.historyAvailable).toBe(true);
    const review = audit.entries.find((e: any) => e.step === 'review');
    expect(review.summary).toMatch(/^review by alice@finance: correct/);
    expect(review.eventId).toBeGreaterThan(0);
    expect(audit.entries.at(-2)).toMatchObject({ step: 'record_version', details: { source: 'reviewer:alice@finance' } });
    expect((await api.call(`/v1/documents/${id}/audit`)).status).toBe(401);

    // Resolved: a second decision is refused.
    const twice = await decide({ action: 'approve' });
    expect(twice.status).toBe(409);
    const submissions = await api.db.selectFrom('review_submissions').select(['status', 'reviewer']).where('document_id', '=', id).execute();
    expect(submissions.filter((s) => s.status === 'applied')).toHaveLength(1);
    expect(new Set(submissions.map((s) => s.reviewer))).toEqual(new Set(['alice@finance']));
  });

  it('a failing check on a corrected record can be confirmed with a reason: recorded with the decision, and the final reasons say so', async () => {
    const up = await upload(writer, { name: 'quality.pdf', bytes: await fs.readFile(path.join(INVOICES, 'QualityHosting.pdf')) });
    const id = up.body.documents[0].documentId as string;
    expect((await settle(id)).status).toBe('needs_review');
    const decide = (body: unknown) =>
      api.call(`/v1/review/${id}`, { method: 'POST', key: reviewer, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const iban = 'DE00 1234 5678 9012 3456 78';
    // Confirming another check does not cover this one.
    const other = await decide({ action: 'correct', fields: { iban }, confirm: { due_after_issue: 'agreed with the supplier' } });
    expect(other.status).toBe(409);
    expect(((await other.json()) as any).detail).toMatch(/iban_checksum\(iban\)/);
    const confirmed = await decide({ action: 'correct', fields: { iban }, confirm: { iban_checksum: 'verified with the supplier by phone' } });
    expect(confirmed.status).toBe(200);
    const body = (await confirmed.json()) as any;
    expect(body).toMatchObject({ documentId: id, status: 'extracted', error: null });
    expect(body.reasons).toContain('confirmed in review: iban_checksum(iban)');
    const doc = await resolved(id);
    expect(doc.record).toMatchObject({ iban: iban, source: 'reviewer:alice@finance' });
    const trail = await api.db.selectFrom('review_actions').selectAll().where('document_id', '=', id).execute();
    expect(trail).toHaveLength(1);
    expect(trail[0]!.confirmed_checks).toEqual({ 'iban_checksum(iban)': 'verified with the supplier by phone' });
    const refused = await api.db.selectFrom('review_submissions').select(['status']).where('document_id', '=', id).execute();
    expect(refused.map((r) => r.status).sort()).toEqual(['applied', 'refused']);
  });

  it('a reviewer rejects a document: it ends failed with the reviewer and reason', async () => {
    const up = await upload(writer, { name: 'free.pdf', bytes: await fs.readFile(path.join(INVOICES, 'free_fiber.pdf')) });
    const id = up.body.documents[0].documentId as string;
    expect((await settle(id)).status).toBe('needs_review');
    const rejected = await api.call(`/v1/review/${id}`, {
      method: 'POST',
      key: reviewer,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'reject', note: 'personal bill, not ours' }),
    });
    expect(rejected.status).toBe(200);
    expect(await rejected.json()).toMatchObject({ status: 'failed', record: null });
    const doc = await resolved(id);
    expect(doc.status).toBe('failed');
    expect(doc.error).toBe('rejected in review by alice@finance: personal bill, not ours');
  });
});
