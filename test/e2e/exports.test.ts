import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { emptyContractExtraction, emptyInvoiceExtraction } from '../../schemas/index.ts';
import { insertCandidate } from '../../src/db/candidates.ts';
import { readEInvoiceXml, toInvoiceExtraction } from '../../src/einvoice/read.ts';
import { insertContractVersion, insertInvoiceVersion, type RecordProvenance } from '../../src/db/records.ts';
import type { DocumentStatusColumn } from '../../src/db/schema.ts';
import { startApiHarness, type ApiHarness } from '../support/api-harness.ts';
import { DATASETS_DIR } from '../support/harness.ts';

/*
 * Exports for spreadsheets (BOM, file column, contracts, documents in review) through
 * the API and `docroute export`, and the CLI's file-path lookup and review view
 * (`show`, `audit`, `list` of a file), on a database of hand-made records and candidates.
 */

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BOM = '\uFEFF';
const XRECHNUNG = path.join(DATASETS_DIR, 'einvoices', 'xrechnung');

let h: ApiHarness;
let key: string;
let dir: string;
let env: Record<string, string>;
const ids: Record<string, string> = {};

const ev = (value: unknown, quote: string) => ({ value, confidence: 0.95, evidence: value === null ? null : { page: 1, quote } });

async function addDocument(name: string, kind: 'invoice' | 'contract', status: DocumentStatusColumn, content?: Buffer): Promise<string> {
  const sha256 = content ? createHash('sha256').update(content).digest('hex') : randomBytes(32).toString('hex');
  const { id } = await h.db
    .insertInto('documents')
    .values({
      sha256,
      file_name: name,
      size_bytes: content?.length ?? 100,
      workflow_id: `wf-${sha256}`,
      kind,
      status,
      review_reasons: status === 'needs_review' ? ['total: low confidence (0.41)', 'sum_check: lines do not add up'] : [],
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

const provenance = (documentId: string): RecordProvenance => ({
  documentId,
  candidateId: null,
  workflowId: 'wf',
  runId: 'run',
  source: 'extraction',
  confidence: 0.9,
  tier: 'flash',
});

async function cli(args: string[]) {
  return run(process.execPath, [path.join(ROOT, 'bin', 'docroute.js'), ...args], { cwd: ROOT, env, timeout: 120_000 });
}

async function get(pathAndQuery: string) {
  const res = await h.call(pathAndQuery, { key });
  // Decoded by Buffer, not res.text(): the WHATWG decoder drops a leading BOM, which is what is tested here.
  return { res, status: res.status, text: Buffer.from(await res.arrayBuffer()).toString('utf8') };
}

/** RFC 4180 CSV → rows of strings (no BOM handling: a BOM stays in the first cell). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  return rows;
}

/** CSV rows as objects by header. */
function records(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text.startsWith(BOM) ? text.slice(1) : text);
  return rows.map((r) => Object.fromEntries(header!.map((k, i) => [k, r[i] ?? ''])));
}

beforeAll(async () => {
  h = await startApiHarness({ startWorker: false });
  key = await h.key(['read']);
  dir = await mkdtemp(path.join(tmpdir(), 'docroute-exports-'));
  env = {
    PATH: [path.join(ROOT, 'node_modules', '.bin'), process.env.PATH ?? ''].join(path.delimiter),
    HOME: process.env.HOME ?? '/tmp',
    DOCROUTE_LOG_LEVEL: 'warn',
    DATABASE_URL: h.config.database.url as string,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
  };

  // An extracted invoice with umlauts and a VAT breakdown.
  ids.praez = await addDocument('Präzision-2024-17.pdf', 'invoice', 'extracted');
  const praez = emptyInvoiceExtraction();
  Object.assign(praez, {
    vendorName: ev('Präzisionstechnik GmbH', 'Präzisionstechnik GmbH'),
    invoiceNumber: ev('P-17', 'Rechnung P-17'),
    issueDate: ev('2024-03-01', '01.03.2024'),
    currency: ev('EUR', 'EUR'),
    total: ev('1190.00', 'Gesamt 1.190,00'),
    vatBreakdown: [{ category: 'S', rate: '19', taxableAmount: '1000.00', taxAmount: '190.00', confidence: 1, evidence: null }],
  });
  await h.db.transaction().execute((trx) => insertInvoiceVersion(trx, praez, provenance(ids.praez!), null));

  // An extracted invoice whose vendor would run as a formula in a spreadsheet.
  ids.evil = await addDocument('evil.pdf', 'invoice', 'extracted');
  const evil = emptyInvoiceExtraction();
  Object.assign(evil, { vendorName: ev('=HYPERLINK("http://x","y")', 'x'), invoiceNumber: ev('X-1', 'X-1'), total: ev('5.00', '5.00') });
  await h.db.transaction().execute((trx) => insertInvoiceVersion(trx, evil, provenance(ids.evil!), null));

  // An invoice in review: only a candidate, whose file is on disk (for the path lookup).
  const reviewBytes = Buffer.from(`%PDF-1.4 review invoice ${randomBytes(8).toString('hex')}\n`);
  await fs.writeFile(path.join(dir, 'review-invoice.pdf'), reviewBytes);
  ids.review = await addDocument('review-invoice.pdf', 'invoice', 'needs_review', reviewBytes);
  const candidate = emptyInvoiceExtraction();
  Object.assign(candidate, {
    vendorName: ev('Review Vendor AG', 'Review Vendor AG'),
    invoiceNumber: ev('R-9', 'No. R-9'),
    issueDate: ev('2024-05-02', '2 May 2024'),
    currency: ev('EUR', 'EUR'),
    total: { value: '50.00', confidence: 0.41, evidence: { page: 2, quote: 'Total 50.00' } },
  });
  await insertCandidate(
    h.db,
    { document_id: ids.review, workflow_id: 'wf', run_id: 'run', stage: 'flash', kind: 'invoice', fields: candidate, confidence: '0.41', checks: { checks: [], ungrounded: [], missingRequired: [] }, attempt_ids: [], possible_duplicate_of: null },
    [],
  );

  // An extracted contract and a contract in review.
  ids.nda = await addDocument('nda.pdf', 'contract', 'extracted');
  const nda = emptyContractExtraction();
  Object.assign(nda, {
    title: ev('Mutual NDA', 'Mutual NDA'),
    governingLaw: ev('Delaware', 'laws of Delaware'),
    effectiveDate: ev('2024-01-01', 'January 1, 2024'),
    term: ev({ count: 12, unit: 'months' }, 'twelve (12) months'),
    autoRenewal: ev(true, 'renews automatically'),
    parties: [
      { name: 'Acme Corp', role: 'Disclosing Party', confidence: 0.9, evidence: null },
      { name: 'Globex, Ltd', role: null, confidence: 0.9, evidence: null },
    ],
  });
  await h.db.transaction().execute((trx) => insertContractVersion(trx, nda, provenance(ids.nda!)));
  ids.lease = await addDocument('lease.pdf', 'contract', 'needs_review');
  const lease = emptyContractExtraction();
  Object.assign(lease, {
    title: ev('Office Lease', 'Office Lease'),
    parties: [{ name: 'Hooli', role: 'Landlord', confidence: 0.8, evidence: null }],
  });
  await insertCandidate(
    h.db,
    { document_id: ids.lease, workflow_id: 'wf', run_id: 'run', stage: 'pro', kind: 'contract', fields: lease, confidence: '0.55', checks: { checks: [], ungrounded: [], missingRequired: [] }, attempt_ids: [], possible_duplicate_of: null },
    [],
  );
});

afterAll(async () => {
  await h?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('invoice exports', () => {
  it('API: a fileName column, the VAT breakdown, formulas guarded; a BOM only with bom=true', async () => {
    const plain = await get('/v1/invoices?format=csv&sort=vendor');
    expect(plain.status).toBe(200);
    expect(plain.text.startsWith('id,documentId,fileName,status,')).toBe(true);
    const rows = records(plain.text);
    expect(rows.map((r) => r.invoiceNumber)).toEqual(['X-1', 'P-17']);
    expect(rows[1]).toMatchObject({ fileName: 'Präzision-2024-17.pdf', vendorName: 'Präzisionstechnik GmbH', vatRates: '19.00', vatAmounts: '190.00', vatCategories: 'S' });
    expect(rows[0]!.vendorName).toBe(`'=HYPERLINK("http://x","y")`);
    // In review: not exported without includeReview.
    expect(plain.text).not.toContain('R-9');

    const withBom = await get('/v1/invoices?format=csv&sort=vendor&bom=true');
    expect(withBom.text).toBe(BOM + plain.text);
    const bytes = Buffer.from(await (await h.call('/v1/invoices?format=csv&bom=true', { key })).arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  });

  it('API: includeReview adds the documents in review with their candidate values, valuesFrom and reviewReasons; filters apply to them', async () => {
    const { text } = await get('/v1/invoices?format=csv&sort=vendor&includeReview=true');
    const [header] = parseCsv(text);
    expect(header!.slice(-2)).toEqual(['valuesFrom', 'reviewReasons']);
    const rows = records(text);
    expect(rows.map((r) => [r.invoiceNumber, r.valuesFrom])).toEqual([
      ['X-1', 'record'],
      ['P-17', 'record'],
      ['R-9', 'candidate'],
    ]);
    expect(rows[2]).toMatchObject({
      id: '',
      version: '',
      documentId: ids.review,
      fileName: 'review-invoice.pdf',
      status: 'needs_review',
      source: 'candidate:flash',
      confidence: '0.41',
      vendorName: 'Review Vendor AG',
      total: '50.00',
      reviewReasons: 'total: low confidence (0.41); sum_check: lines do not add up',
    });
    expect(records((await get('/v1/invoices?format=csv&includeReview=true&vendor=review')).text).map((r) => r.invoiceNumber)).toEqual(['R-9']);
    expect(records((await get('/v1/invoices?format=csv&includeReview=true&totalMin=100')).text).map((r) => r.invoiceNumber)).toEqual(['P-17']);
    expect(records((await get('/v1/invoices?format=csv&includeReview=true&status=extracted')).text).map((r) => r.invoiceNumber).sort()).toEqual(['P-17', 'X-1']);

    const jsonl = (await get('/v1/invoices?format=jsonl&includeReview=true&vendor=review')).text.trim().split('\n').map((l) => JSON.parse(l));
    expect(jsonl).toEqual([expect.objectContaining({ id: null, invoiceNumber: 'R-9', valuesFrom: 'candidate', reviewReasons: ['total: low confidence (0.41)', 'sum_check: lines do not add up'] })]);
  });

  it('docroute export invoices: a BOM by default (the API with bom=true), --no-bom, --include-review', async () => {
    const out = path.join(dir, 'invoices.csv');
    await cli(['export', 'invoices', '--format', 'csv', '--sort', 'vendor', '--out', out]);
    const written = await fs.readFile(out, 'utf8');
    expect(written).toBe((await get('/v1/invoices?format=csv&sort=vendor&bom=true')).text);
    expect(written.startsWith(BOM)).toBe(true);
    const noBom = await cli(['export', 'invoices', '--format', 'csv', '--sort', 'vendor', '--no-bom']);
    expect(noBom.stdout).toBe((await get('/v1/invoices?format=csv&sort=vendor')).text);
    const review = await cli(['export', 'invoices', '--format', 'csv', '--include-review', '--no-bom']);
    expect(review.stdout).toBe((await get('/v1/invoices?format=csv&includeReview=true')).text);
    // JSON Lines has no BOM.
    expect((await cli(['export', 'invoices', '--format', 'jsonl'])).stdout.startsWith('{')).toBe(true);
    await expect(cli(['export', 'invoices', '--format', 'csv', '--party', 'acme'])).rejects.toMatchObject({ stderr: expect.stringContaining('--party does not apply to invoices') });
  });

  it.skipIf(!existsSync(XRECHNUNG))(`an invoice with two VAT rates: one ';'-joined cell per breakdown column, record and candidate alike${existsSync(XRECHNUNG) ? '' : ' (skipped: datasets not found)'}`, async () => {
    // A real KoSIT invoice (03.01a: S 19% on 578.89 = 109.99 and S 7% on 108.39 = 7.59), read by the exact tier's reader.
    const fields = toInvoiceExtraction(readEInvoiceXml(new Uint8Array(await fs.readFile(path.join(XRECHNUNG, '03.01a-INVOICE_uncefact.xml')))));
    expect(fields.vatBreakdown?.map((v) => v.rate)).toEqual(['19.00', '7.00']);
    const number = fields.invoiceNumber.value!;
    const recordDoc = await addDocument('two-rates.xml', 'invoice', 'extracted');
    const reviewDoc = await addDocument('two-rates-in-review.xml', 'invoice', 'needs_review');
    try {
      await h.db.transaction().execute((trx) => insertInvoiceVersion(trx, fields, { ...provenance(recordDoc), tier: 'xml' }, null));
      await insertCandidate(
        h.db,
        { document_id: reviewDoc, workflow_id: 'wf', run_id: 'run', stage: 'exact', kind: 'invoice', fields, confidence: '1', checks: { checks: [], ungrounded: [], missingRequired: [] }, attempt_ids: [], possible_duplicate_of: null },
        [],
      );
      const rows = records((await get(`/v1/invoices?format=csv&includeReview=true&invoiceNumber=${encodeURIComponent(number)}`)).text);
      const vat = (r: Record<string, string>) => [r.valuesFrom, r.vatCategories, r.vatRates, r.vatTaxableAmounts, r.vatAmounts];
      expect(rows.map(vat)).toEqual([
        ['record', 'S;S', '19.00;7.00', '578.89;108.39', '109.99;7.59'],
        ['candidate', 'S;S', '19.00;7.00', '578.89;108.39', '109.99;7.59'],
      ]);
      // JSON Lines carries the same joined cells.
      const jsonl = (await get(`/v1/invoices?format=jsonl&invoiceNumber=${encodeURIComponent(number)}`)).text.trim().split('\n').map((l) => JSON.parse(l));
      expect(jsonl.map((r) => [r.vatRates, r.vatAmounts])).toEqual([['19.00;7.00', '109.99;7.59']]);
    } finally {
      await h.db.deleteFrom('documents').where('id', 'in', [recordDoc, reviewDoc]).execute();
    }
  });
});

describe('contract exports', () => {
  it('API: format=csv writes parties and durations as text; jsonl keeps them as lists; includeReview adds the candidate', async () => {
    const { res, text, status } = await get('/v1/contracts?format=csv');
    expect(status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="contracts-\d{4}-\d{2}-\d{2}\.csv"/);
    const rows = records(text);
    expect(rows).toEqual([
      expect.objectContaining({
        documentId: ids.nda,
        fileName: 'nda.pdf',
        title: 'Mutual NDA',
        governingLaw: 'Delaware',
        term: '12 months',
        autoRenewal: 'true',
        parties: 'Acme Corp (Disclosing Party); Globex, Ltd',
      }),
    ]);
    const jsonl = (await get('/v1/contracts?format=jsonl')).text.trim().split('\n').map((l) => JSON.parse(l));
    expect(jsonl[0]).toMatchObject({ term: { count: 12, unit: 'months' }, parties: [{ name: 'Acme Corp', role: 'Disclosing Party' }, { name: 'Globex, Ltd', role: null }] });
    // The JSON page and the JSONL rows are the same listing item (the export adds the file).
    const page = JSON.parse((await get('/v1/contracts')).text);
    expect({ ...page.items[0], fileName: 'nda.pdf' }).toEqual(jsonl[0]);

    const review = records((await get('/v1/contracts?format=csv&includeReview=true')).text);
    expect(review.map((r) => [r.title, r.valuesFrom, r.parties])).toEqual([
      ['Mutual NDA', 'record', 'Acme Corp (Disclosing Party); Globex, Ltd'],
      ['Office Lease', 'candidate', 'Hooli (Landlord)'],
    ]);
    expect(records((await get('/v1/contracts?format=csv&includeReview=true&party=hoo')).text).map((r) => r.title)).toEqual(['Office Lease']);
  });

  it('docroute export contracts writes the rows of the API export', async () => {
    const { stdout } = await cli(['export', 'contracts', '--format', 'csv', '--include-review']);
    expect(stdout).toBe((await get('/v1/contracts?format=csv&includeReview=true&bom=true')).text);
    const filtered = await cli(['export', 'contracts', '--format', 'jsonl', '--governing-law', 'delaware']);
    expect(filtered.stdout).toBe((await get('/v1/contracts?format=jsonl&governingLaw=delaware')).text);
    await expect(cli(['export', 'contracts', '--format', 'csv', '--effective-from', '2024-02-30'])).rejects.toMatchObject({
      stderr: expect.stringContaining('--effective-from'),
    });
  });
});

describe('the CLI finds a document by its file and shows what a reviewer will see', () => {
  it('show <file> of a document in review prints the candidate values and the reasons', async () => {
    const file = path.join(dir, 'review-invoice.pdf');
    const { stdout } = await cli(['show', file]);
    expect(stdout).toContain(`id ${ids.review}`);
    expect(stdout).toMatch(/in review \(total: low confidence \(0\.41\); sum_check: lines do not add up\): the candidate a reviewer will see \(from flash, confidence 0\.41/);
    expect(stdout).toMatch(/vendorName: Review Vendor AG {2}conf 0\.95 \(p\.1: "Review Vendor AG"\)/);
    expect(stdout).toMatch(/total: 50\.00 {2}conf 0\.41 \(p\.2: "Total 50\.00"\)/);
    expect(stdout).toMatch(/dueDate: \(not found\)/);
    // A renamed copy is the same content: the same document.
    const copy = path.join(dir, 'renamed copy.pdf');
    await fs.copyFile(file, copy);
    expect(JSON.parse((await cli(['show', copy, '--json'])).stdout)).toMatchObject({ documentId: ids.review, candidate: { stage: 'flash' } });
  });

  it('audit <file> and list <folder> find documents by content; a file not ingested says so', async () => {
    const file = path.join(dir, 'review-invoice.pdf');
    expect(JSON.parse((await cli(['audit', file, '--json'])).stdout)).toMatchObject({ documentId: ids.review });
    const stranger = path.join(dir, 'never-ingested.pdf');
    await fs.writeFile(stranger, '%PDF-1.4 nobody has seen this\n');
    await expect(cli(['show', stranger])).rejects.toMatchObject({ stderr: expect.stringMatching(/never-ingested\.pdf has not been ingested: no document has its content \(sha256 [0-9a-f]{64}\)/) });

    await fs.writeFile(path.join(dir, 'notes.txt'), 'not a document');
    const listed = await cli(['list', dir, '--json']);
    const lines = listed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => [path.basename(l.path), l.status, l.documentId ?? null])).toEqual([
      ['never-ingested.pdf', 'not_ingested', null],
      ['renamed copy.pdf', 'needs_review', ids.review],
      ['review-invoice.pdf', 'needs_review', ids.review],
    ]);
    expect(listed.stderr).toMatch(/skipped 2 entries \(not ingested\):\n.*invoices\.csv: not a PDF or XML file/);
    expect(listed.stderr).toMatch(/notes\.txt: not a PDF or XML file/);
    const text = await cli(['list', stranger]);
    expect(text.stdout).toMatch(/not ingested\s+-\s+-\s+.*never-ingested\.pdf/);
  });
});

describe('ingest of a folder says what it skipped', () => {
  it('a folder without PDF or XML files: the skipped entries with their reason, then an error (nothing started)', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'docroute-skip-'));
    try {
      await fs.writeFile(path.join(empty, 'scan.jpeg'), 'x');
      await fs.mkdir(path.join(empty, '2023'));
      const error = (await cli(['ingest', empty]).catch((e: { code: number; stderr: string }) => e)) as { code: number; stderr: string };
      expect(error.code).toBe(1);
      expect(error.stderr).toContain('skipped 2 entries (not ingested):');
      expect(error.stderr).toMatch(/2023: a subfolder \(folders are not searched recursively/);
      expect(error.stderr).toMatch(/scan\.jpeg: not a PDF or XML file/);
      expect(error.stderr).toMatch(/no PDF or XML files found in .* \(2 skipped, see above\)/);
    } finally {
      await fs.rm(empty, { recursive: true, force: true });
    }
  });
});
