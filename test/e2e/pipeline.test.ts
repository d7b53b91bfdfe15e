import { promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invoiceRecordFields } from '../../src/db/records.ts';
import { INVOICE_FIELD_TYPES, invoice2dataGold, normaliseValue } from '../../src/eval/metrics.ts';
import { ingestFile, waitForDocument } from '../../src/ingest/ingest.ts';
import {
  corruptPdf,
  emptyFile,
  encryptedPdf,
  hugePdf,
  imageOnlyPdf,
  notAPdf,
} from '../support/bad-pdfs.ts';
import { DATASETS_DIR, DATASETS_SKIP_MESSAGE, HAVE_DATASETS, startHarness, type Harness } from '../support/harness.ts';

const SAMPLES_DIR = path.resolve(import.meta.dirname, '..', '..', 'samples');
const INVOICES_DIR = path.join(DATASETS_DIR, 'invoice2data');

let h: Harness;
let scratch: string;

beforeAll(async () => {
  // The text path end to end (the exact e-invoice tier, which would read AzureInterior.pdf's embedded XML, has its own tests).
  h = await startHarness({ env: { DOCROUTE_MAX_PAGES: '50', DOCROUTE_MAX_FILE_MB: '1', DOCROUTE_EINVOICE: 'off' } });
  scratch = await mkdtemp(path.join(tmpdir(), 'docroute-e2e-'));
});
afterAll(async () => {
  await h?.close();
  await fs.rm(scratch, { recursive: true, force: true });
});

async function writeScratch(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(scratch, name);
  await fs.writeFile(file, bytes);
  return file;
}

async function process(file: string) {
  const ingested = await ingestFile(h, file, 'test');
  const result = await waitForDocument(h, ingested.workflowId);
  return { ingested, result };
}

describe('samples', () => {
  it('extracts every bundled sample into a record in Postgres', async () => {
    const files = (await fs.readdir(SAMPLES_DIR)).filter((f) => f.endsWith('.pdf')).map((f) => path.join(SAMPLES_DIR, f));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) {
      const { result } = await process(file);
      expect.soft(result.status, `${path.basename(file)}: ${result.reasons.join('; ')} ${result.error ?? ''}`).toBe('extracted');
      expect(result.route).toEqual(['flash']);
      const table = result.kind === 'invoice' ? 'invoices' : 'contracts';
      expect(['invoice', 'contract']).toContain(result.kind);
      const rows = await h.db.selectFrom(table).select(['id', 'version']).where('document_id', '=', result.documentId).execute();
      expect(rows).toHaveLength(result.status === 'extracted' ? 1 : 0);
    }
  });
});

describe.skipIf(!HAVE_DATASETS)(`invoice2data (real invoices)${HAVE_DATASETS ? '' : ` — ${DATASETS_SKIP_MESSAGE}`}`, () => {
  /**
   * The text tier's floor on these 11 real invoices: measured 2026-12-01 with rules-v1,
   * 2 accepted without review (AmazonWebServices, FlipkartInvoice), every gold field
   * right; the floor is that less a margin of one. A change that accepts fewer fails
   * here; one that accepts more should raise it.
   */
  const MEASURED_EXTRACTED = 2;
  const MIN_EXTRACTED = MEASURED_EXTRACTED - 1;

  it(`accepts at least ${MIN_EXTRACTED} of the 11 invoices, each accepted record right on every gold field, the rest in review with reasons`, async () => {
    const pdfs = (await fs.readdir(INVOICES_DIR)).filter((f) => f.endsWith('.pdf')).sort();
    expect(pdfs).toHaveLength(11);
    const results = await Promise.all(pdfs.map((f) => process(path.join(INVOICES_DIR, f))));
    const extracted: string[] = [];
    for (const [i, { result }] of results.entries()) {
      const name = pdfs[i] as string;
      expect(['extracted', 'needs_review'], `${name}: ${result.error}`).toContain(result.status);
      expect(result.kind, name).toBe('invoice');
      const doc = await h.db.selectFrom('documents').selectAll().where('id', '=', result.documentId).executeTakeFirstOrThrow();
      expect(doc.status).toBe(result.status);
      expect(doc.page_count, name).toBeGreaterThan(0);
      const decisions = await h.db.selectFrom('routing_decisions').select('action').where('document_id', '=', doc.id).execute();
      expect(decisions.length, `${name}: routing decisions`).toBeGreaterThanOrEqual(2);
      const attempts = await h.db.selectFrom('extraction_attempts').selectAll().where('document_id', '=', doc.id).execute();
      expect(attempts.length, `${name}: attempts`).toBeGreaterThan(0);
      expect(attempts.map((a) => `${a.tier}/${a.model}`), name).toEqual(attempts.map(() => 'flash/rules-v1'));
      if (result.status !== 'extracted') {
        expect(doc.review_reasons.length, `${name} has review reasons`).toBeGreaterThan(0);
        continue;
      }
      extracted.push(name);
      const raw = JSON.parse(await fs.readFile(path.join(INVOICES_DIR, name.replace(/\.pdf$/, '.json')), 'utf8')) as Record<string, unknown>[];
      const gold = invoice2dataGold(raw[0] as Record<string, unknown>);
      expect(Object.keys(gold).length, `${name}: gold fields`).toBeGreaterThan(0);
      const row = await h.db.selectFrom('invoices').selectAll().where('document_id', '=', doc.id).executeTakeFirstOrThrow();
      const record = invoiceRecordFields(row) as unknown as Record<string, unknown>;
      // Every gold field, compared as the evaluation compares it (dates, amounts, identifiers normalised).
      for (const [field, want] of Object.entries(gold)) {
        const type = INVOICE_FIELD_TYPES[field as keyof typeof INVOICE_FIELD_TYPES];
        expect(type, `${name}: gold field ${field} is an invoice field`).toBeTruthy();
        expect.soft(normaliseValue(type, record[field]), `${name} ${field}`).toBe(normaliseValue(type, want));
      }
      const evidence = await h.db.selectFrom('field_evidence').selectAll().where('record_id', '=', row.id).execute();
      expect(evidence.find((e) => e.field === 'total')?.quote, `${name}: evidence for the total`).toBeTruthy();
    }
    console.log(`invoice2data through the pipeline: ${extracted.length}/11 extracted (${extracted.join(', ')})`);
    expect(extracted.length, `extracted: ${extracted.join(', ')}`).toBeGreaterThanOrEqual(MIN_EXTRACTED);
  });

  it('starts no second workflow and creates no second document for the same content', async () => {
    const original = path.join(INVOICES_DIR, 'oyo.pdf');
    const copy = await writeScratch('renamed-copy.pdf', await fs.readFile(original));
    const first = await process(original);
    const before = await h.db.selectFrom('documents').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const again = await ingestFile(h, copy, 'test');
    expect(again.duplicate).toBe(true);
    expect(again.started).toBe(false);
    expect(again.documentId).toBe(first.ingested.documentId);
    const after = await h.db.selectFrom('documents').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    const uploads = await h.db.selectFrom('document_uploads').selectAll().where('document_id', '=', again.documentId).execute();
    expect(uploads.some((u) => u.duplicate && u.file_name === 'renamed-copy.pdf')).toBe(true);
    const runs = [];
    for await (const run of h.client.workflow.list({ query: `WorkflowId = '${again.workflowId}'` })) runs.push(run);
    expect(runs).toHaveLength(1);
    const records = await h.db.selectFrom('invoices').select('id').where('document_id', '=', again.documentId).execute();
    expect(records).toHaveLength(first.result.status === 'extracted' ? 1 : 0);
  });
});

describe('duplicate payments', () => {
  it('flags an invoice from a different file with the same vendor and invoice number, and does not accept it', async () => {
    const original = path.join(SAMPLES_DIR, 'rechnung-de-eur.pdf');
    const first = await process(original);
    expect(first.result.status).toBe('extracted');
    // The same invoice again, as another file (re-saved: different bytes, same content).
    const resaved = Buffer.concat([await fs.readFile(original), Buffer.from('\n% re-saved by a mail client\n')]);
    const second = await process(await writeScratch('rechnung-again.pdf', resaved));
    expect(second.ingested.duplicate).toBe(false);
    expect(second.result.status).toBe('needs_review');
    // Reasons name the check by code and fields (they pass through workflow history); the message stays in Postgres.
    expect(second.result.reasons).toContain('check failed: duplicate_invoice(vendorName,invoiceNumber)');
    const candidate = await h.db
      .selectFrom('candidates')
      .select(['possible_duplicate_of', 'id'])
      .where('document_id', '=', second.result.documentId)
      .executeTakeFirstOrThrow();
    expect(candidate.possible_duplicate_of).toBe(first.result.documentId);
    const check = await h.db
      .selectFrom('validation_results')
      .selectAll()
      .where('candidate_id', '=', candidate.id)
      .where('check_name', '=', 'duplicate_invoice')
      .executeTakeFirstOrThrow();
    expect(check.passed).toBe(false);
    expect(check.message).toContain('rechnung-de-eur.pdf');
    const records = await h.db.selectFrom('invoices').select('id').where('document_id', '=', second.result.documentId).execute();
    expect(records).toHaveLength(0);
  });
});

describe('bad input ends failed with a clear reason, and the worker keeps running', () => {
  const cases: [string, () => Promise<Uint8Array>, RegExp][] = [
    ['empty.pdf', emptyFile, /empty/],
    ['photo.pdf', notAPdf, /not a PDF/],
    ['locked.pdf', encryptedPdf, /encrypted|password/],
    ['broken.pdf', corruptPdf, /damaged|truncated|corrupt/],
    ['scan.pdf', imageOnlyPdf, /no text layer|scan/],
    ['huge.pdf', () => hugePdf(60), /pages, more than the limit/],
  ];
  for (const [name, make, reason] of cases) {
    it(name, async () => {
      const { result } = await process(await writeScratch(name, await make()));
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(reason);
      const doc = await h.db.selectFrom('documents').selectAll().where('id', '=', result.documentId).executeTakeFirstOrThrow();
      expect(doc.status).toBe('failed');
      expect(doc.error).toMatch(reason);
      expect(h.worker.getState()).toBe('RUNNING');
    });
  }

  it('a file over the size limit is recorded as failed without storing it', async () => {
    const big = new Uint8Array(1024 * 1024 + 10);
    big.set(new TextEncoder().encode('%PDF-1.7\n'));
    const { result } = await process(await writeScratch('too-big.pdf', big));
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/too large/);
    const doc = await h.db.selectFrom('documents').selectAll().where('id', '=', result.documentId).executeTakeFirstOrThrow();
    const blob = await h.db.selectFrom('blobs').select('sha256').where('sha256', '=', doc.sha256).executeTakeFirst();
    expect(blob).toBeUndefined();
  });

  it('after all of that, a good document still goes through', async () => {
    const sample = (await fs.readdir(SAMPLES_DIR)).find((f) => f.endsWith('.pdf')) as string;
    const copy = await fs.readFile(path.join(SAMPLES_DIR, sample));
    // Change one byte in a trailing comment so the content (and hash) is new.
    const fresh = Buffer.concat([copy, Buffer.from('\n% fresh copy\n')]);
    const { result } = await process(await writeScratch('fresh.pdf', fresh));
    expect(result.status).toBe('extracted');
  });
});
