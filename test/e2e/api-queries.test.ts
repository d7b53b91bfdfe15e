import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentStatusColumn } from '../../src/db/schema.ts';
import { emptyContractExtraction, emptyInvoiceExtraction } from '../../schemas/index.ts';
import { registerUpload } from '../../src/db/documents.ts';
import { insertContractVersion, insertInvoiceVersion, type RecordProvenance } from '../../src/db/records.ts';
import { startApiHarness, type ApiHarness } from '../support/api-harness.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..');

let h: ApiHarness;
let key: string;

// ---- fixtures -------------------------------------------------------------------

interface InvoiceSpec {
  no: string;
  vendor: string | null;
  issue: string | null;
  due: string | null;
  currency: string | null;
  total: string | null;
  createdAt: string; // exact, microseconds
  status?: DocumentStatusColumn;
}

// Chosen for the filters: prefixes with %, _ and \ in names, NULLs in every sortable
// column, ties on dates, totals and creation times (down to the microsecond).
const INVOICES: InvoiceSpec[] = [
  { no: 'A-1', vendor: 'Acme Corp', issue: '2024-01-10', due: '2024-02-10', currency: 'EUR', total: '100.00', createdAt: '2026-01-01T10:00:00.000001Z' },
  { no: 'A-2', vendor: 'acme gmbh', issue: '2024-01-20', due: null, currency: 'USD', total: '250.50', createdAt: '2026-01-01T10:00:00.000002Z' },
  { no: 'A-3', vendor: 'ACME%Labs', issue: '2024-02-01', due: '2024-03-01', currency: 'EUR', total: '1000.00', createdAt: '2026-01-01T10:00:00.000002Z' },
  { no: 'A-4', vendor: 'Acmex', issue: null, due: '2024-03-15', currency: 'EUR', total: '99.99', createdAt: '2026-01-01T10:00:00.000002Z' },
  { no: 'B-1', vendor: 'Beta_Co', issue: '2024-02-01', due: null, currency: 'GBP', total: '100.00', createdAt: '2026-01-02T08:00:00.000000Z' },
  { no: 'B-2', vendor: 'BetaXCo', issue: '2024-03-05', due: '2024-04-05', currency: 'USD', total: null, createdAt: '2026-01-02T08:00:00.000000Z' },
  { no: 'G-1', vendor: 'Gamma\\Works', issue: '2024-03-31', due: '2024-04-30', currency: 'EUR', total: '5000.000001', createdAt: '2026-01-03T09:30:00.500000Z' },
  { no: 'N-1', vendor: null, issue: null, due: null, currency: 'EUR', total: '10.00', createdAt: '2026-01-03T09:30:00.500000Z' },
  { no: 'N-2', vendor: null, issue: null, due: null, currency: null, total: null, createdAt: '2026-01-04T00:00:00.000000Z' },
  { no: 'D-1', vendor: 'Delta', issue: '2024-04-01', due: '2024-05-01', currency: 'EUR', total: '300.00', createdAt: '2026-01-05T12:00:00.000000Z', status: 'needs_review' },
  { no: 'E-1', vendor: 'Epsilon', issue: '2024-01-10', due: '2024-02-10', currency: 'CHF', total: '0.10', createdAt: '2026-01-06T12:00:00.000000Z' },
  { no: 'Z-1', vendor: 'Zeta', issue: '2023-12-31', due: '2024-01-30', currency: 'EUR', total: '-50.00', createdAt: '2026-01-07T12:00:00.000000Z' },
  // Re-extracted: version 1 (below) is superseded by this version 2.
  { no: 'R-1', vendor: 'Acme Renamed', issue: '2024-02-15', due: '2024-03-15', currency: 'EUR', total: '777.00', createdAt: '2026-01-08T12:00:00.000000Z' },
];
const R1_OLD = { ...INVOICES[12]!, vendor: 'Old Acme Name', total: '1.00', createdAt: '2026-01-08T11:00:00.000000Z' };

interface Inserted extends InvoiceSpec {
  id: string;
  documentId: string;
}
const inserted: Inserted[] = [];
let r1OldId = '';

interface ContractSpec {
  title: string;
  parties: [string, string | null][];
  law: string | null;
  effective: string | null;
  expiration: string | null;
  createdAt: string;
}
const CONTRACTS: ContractSpec[] = [
  { title: 'NDA Acme', parties: [['Acme Corp', 'Disclosing Party'], ['Globex Ltd', 'Receiving Party']], law: 'Delaware', effective: '2024-01-01', expiration: '2025-01-01', createdAt: '2026-02-01T00:00:00.000001Z' },
  { title: 'MSA Initech', parties: [['Initech', 'Client'], ['ACME Services', 'Provider']], law: 'England and Wales', effective: '2024-03-01', expiration: null, createdAt: '2026-02-01T00:00:00.000001Z' },
  { title: 'Lease', parties: [['Hooli', null], ['50%_Partners', null]], law: 'delaware', effective: null, expiration: '2026-06-30', createdAt: '2026-02-02T00:00:00.000000Z' },
  { title: 'Supply', parties: [['Globex Ltd', 'Buyer'], ['Soylent', 'Seller']], law: 'Delaware County', effective: '2024-03-01', expiration: '2027-03-01', createdAt: '2026-02-03T00:00:00.000000Z' },
  { title: 'Consulting', parties: [['Umbrella', 'Client'], ['Tyrell', 'Consultant']], law: null, effective: '2023-06-15', expiration: '2024-06-14', createdAt: '2026-02-04T00:00:00.000000Z' },
  { title: 'Licence', parties: [['Wayne Ent', 'Licensor'], ['Stark Ind', 'Licensee']], law: 'New York', effective: '2024-12-31', expiration: null, createdAt: '2026-02-05T00:00:00.000000Z' },
  { title: 'Partnership', parties: [['5000 Partners', null]], law: 'New York', effective: null, expiration: null, createdAt: '2026-02-06T00:00:00.000000Z' },
];
const contracts: (ContractSpec & { id: string; documentId: string })[] = [];

const documentIds: { id: string; sha256: string; createdAt: string; status: string; kind: string | null }[] = [];

async function addDocument(kind: 'invoice' | 'contract' | 'other' | null, status: DocumentStatusColumn, createdAt: string): Promise<string> {
  const sha256 = randomBytes(32).toString('hex');
  const { id } = await h.db
    .insertInto('documents')
    .values({ sha256, file_name: `${sha256.slice(0, 8)}.pdf`, size_bytes: 1234, workflow_id: `wf-${sha256}`, kind, status, created_at: createdAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  documentIds.push({ id, sha256, createdAt, status, kind });
  return id;
}

function provenance(documentId: string): RecordProvenance {
  return { documentId, candidateId: null, workflowId: 'wf', runId: 'run', source: 'extraction', confidence: 0.9, tier: 'flash' };
}

const ev = (value: unknown, quote: string) => ({ value, confidence: 0.95, evidence: value === null ? null : { page: 1, quote } });

async function addInvoiceVersion(documentId: string, spec: InvoiceSpec): Promise<string> {
  const fields = emptyInvoiceExtraction();
  Object.assign(fields, {
    vendorName: ev(spec.vendor, `From: ${spec.vendor}`),
    invoiceNumber: ev(spec.no, `Invoice no. ${spec.no}`),
    issueDate: ev(spec.issue, `Date: ${spec.issue}`),
    dueDate: ev(spec.due, `Due: ${spec.due}`),
    currency: ev(spec.currency, `Currency ${spec.currency}`),
    total: ev(spec.total, `Total ${spec.total}`),
    lineItems: [
      { description: `Services ${spec.no}`, quantity: '2', unitPrice: '12.50', amount: '25.00', confidence: 0.9, evidence: { page: 1, quote: `Services ${spec.no} 2 x 12.50` } },
      { description: 'Shipping', quantity: null, unitPrice: null, amount: '5.00', confidence: 0.8, evidence: null },
    ],
  });
  const { id } = await h.db.transaction().execute((trx) => insertInvoiceVersion(trx, fields, provenance(documentId), null));
  await h.db.updateTable('invoices').set({ created_at: spec.createdAt }).where('id', '=', id).execute();
  return id;
}

async function addContract(spec: ContractSpec) {
  const documentId = await addDocument('contract', 'extracted', spec.createdAt);
  const fields = emptyContractExtraction();
  Object.assign(fields, {
    title: ev(spec.title, spec.title),
    governingLaw: ev(spec.law, `governed by the laws of ${spec.law}`),
    effectiveDate: ev(spec.effective, `effective ${spec.effective}`),
    expirationDate: ev(spec.expiration, `until ${spec.expiration}`),
    parties: spec.parties.map(([name, role], i) => ({ name, role, confidence: 0.9, evidence: { page: 1, quote: `${name} (party ${i + 1})` } })),
  });
  const { id } = await h.db.transaction().execute((trx) => insertContractVersion(trx, fields, provenance(documentId)));
  await h.db.updateTable('contracts').set({ created_at: spec.createdAt }).where('id', '=', id).execute();
  contracts.push({ ...spec, id, documentId });
}

// ---- helpers --------------------------------------------------------------------

async function get(pathAndQuery: string, k: string | undefined = key) {
  const res = await h.call(pathAndQuery, { key: k });
  const text = await res.text();
  return { res, status: res.status, text, body: text && /^application\/(problem\+)?json/.test(res.headers.get('content-type') ?? '') ? JSON.parse(text) : undefined };
}

/** Every page of a listing, following nextCursor; checks that the last page ends the walk. */
async function walk(base: string, limit: number): Promise<{ items: Record<string, unknown>[]; pages: number }> {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = base.includes('?') ? '&' : '?';
    const { status, body } = await get(`${base}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(status).toBe(200);
    expect(body.items.length).toBeLessThanOrEqual(limit);
    if (body.nextCursor !== null) expect(body.items.length).toBe(limit);
    items.push(...body.items);
    cursor = body.nextCursor;
    pages += 1;
    expect(pages).toBeLessThan(100);
  } while (cursor);
  return { items, pages };
}

type Key = string | null;
/** NULLs last in both directions, then id in the sort's direction. */
function expectedOrder<T extends { id: string }>(rows: T[], value: (r: T) => Key, compare: (a: string, b: string) => number, desc: boolean): string[] {
  return [...rows]
    .sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      if (va === null && vb !== null) return 1;
      if (vb === null && va !== null) return -1;
      let c = va !== null && vb !== null ? compare(va, vb) : 0;
      if (desc) c = -c;
      if (c !== 0) return c;
      return desc ? (a.id < b.id ? 1 : -1) : a.id < b.id ? -1 : 1;
    })
    .map((r) => r.id);
}
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byDecimal = (a: string, b: string) => new Decimal(a).cmp(new Decimal(b));

const numbersOf = (items: Record<string, unknown>[]) => items.map((i) => i.invoiceNumber).sort();
const numbersWhere = (pred: (s: Inserted) => boolean) => inserted.filter(pred).map((s) => s.no).sort();

/** RFC 4180 CSV → rows of strings. */
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
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

const asCsvCell = (v: unknown) => (v === null || v === undefined ? '' : String(v));

// ---- setup ----------------------------------------------------------------------

beforeAll(async () => {
  h = await startApiHarness({ startWorker: false });
  key = await h.key(['read']);
  for (const spec of INVOICES) {
    const documentId = await addDocument('invoice', spec.status ?? 'extracted', spec.createdAt);
    if (spec.no === 'R-1') r1OldId = await addInvoiceVersion(documentId, R1_OLD);
    const id = await addInvoiceVersion(documentId, spec);
    inserted.push({ ...spec, id, documentId });
  }
  for (const spec of CONTRACTS) await addContract(spec);
});

afterAll(async () => h?.close());

// ---- invoices -------------------------------------------------------------------

describe('GET /v1/invoices', () => {
  it('needs a key with the read scope', async () => {
    expect((await get('/v1/invoices', '')).status).toBe(401);
    const writeOnly = await h.key(['write']);
    const { status, body } = await get('/v1/invoices', writeOnly);
    expect(status).toBe(403);
    expect(body.title).toBe('Forbidden');
  });

  it('lists only the latest version of each record, newest first by default', async () => {
    const { status, body } = await get('/v1/invoices?limit=200');
    expect(status).toBe(200);
    expect(body.nextCursor).toBeNull();
    expect(body.items.map((i: { id: string }) => i.id)).toEqual(expectedOrder(inserted, (s) => s.createdAt, byText, true));
    const r1 = body.items.find((i: { invoiceNumber: string }) => i.invoiceNumber === 'R-1');
    expect(r1).toMatchObject({ version: 2, vendorName: 'Acme Renamed', total: '777.00', status: 'extracted' });
    expect(body.items.map((i: { id: string }) => i.id)).not.toContain(r1OldId);
    expect(body.items.some((i: { vendorName: string }) => i.vendorName === 'Old Acme Name')).toBe(false);
    const g1 = body.items.find((i: { invoiceNumber: string }) => i.invoiceNumber === 'G-1');
    expect(g1).toMatchObject({
      vendorName: 'Gamma\\Works',
      issueDate: '2024-03-31',
      dueDate: '2024-04-30',
      currency: 'EUR',
      total: '5000.000001',
      documentId: inserted.find((s) => s.no === 'G-1')!.documentId,
      createdAt: '2026-01-03T09:30:00.500Z',
    });
  });

  it('filters by vendor prefix, case-insensitively, with %, _ and \\ taken literally', async () => {
    const cases: [string, string[]][] = [
      ['acme', ['A-1', 'A-2', 'A-3', 'A-4', 'R-1']],
      ['ACME C', ['A-1']],
      ['acme%', ['A-3']],
      ['%', []],
      ['beta_', ['B-1']],
      ['_', []],
      ['gamma\\', ['G-1']],
      ['old acme', []],
      ['cme', []],
    ];
    for (const [vendor, expected] of cases) {
      const { status, body } = await get(`/v1/invoices?vendor=${encodeURIComponent(vendor)}&limit=200`);
      expect(status, vendor).toBe(200);
      expect(numbersOf(body.items), vendor).toEqual(expected.sort());
    }
  });

  it('filters by number, dates (inclusive), currency, total (numeric) and status', async () => {
    const cases: [string, string[]][] = [
      ['invoiceNumber=A-2', ['A-2']],
      ['invoiceNumber=a-2', []],
      ['issueDateFrom=2024-01-20&issueDateTo=2024-02-01', ['A-2', 'A-3', 'B-1']],
      ['issueDateFrom=2024-03-31', ['D-1', 'G-1']],
      ['issueDateTo=2024-01-10', ['A-1', 'E-1', 'Z-1']],
      ['dueDateFrom=2024-03-01&dueDateTo=2024-03-15', ['A-3', 'A-4', 'R-1']],
      ['currency=eur', numbersWhere((s) => s.currency === 'EUR')],
      ['currency=GBP', ['B-1']],
      ['totalMin=100&totalMax=300', ['A-1', 'A-2', 'B-1', 'D-1']],
      ['totalMin=5000.000001', ['G-1']],
      ['totalMin=5000.000002', []],
      ['totalMax=0.1', ['E-1', 'Z-1']],
      ['totalMax=-50', ['Z-1']],
      ['status=needs_review', ['D-1']],
      ['status=extracted&currency=EUR&totalMin=10&issueDateFrom=2024-01-01', ['A-1', 'A-3', 'G-1', 'R-1']],
    ];
    for (const [query, expected] of cases) {
      const { status, body } = await get(`/v1/invoices?${query}&limit=200`);
      expect(status, query).toBe(200);
      expect(numbersOf(body.items), query).toEqual([...expected].sort());
    }
  });

  it('a NUL byte in a filter, or a forged cursor with an impossible date, is a 400 problem, never a 500', async () => {
    for (const q of ['vendor=ac%00me', 'invoiceNumber=INV%001']) {
      const res = await get(`/v1/invoices?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.title).toMatch(/Invalid request/);
    }
    const forged = Buffer.from(
      JSON.stringify({ scope: 'invoices', sort: '-issueDate', value: '2024-13-45', id: '00000000-0000-4000-8000-000000000000' }),
    ).toString('base64url');
    const res = await get(`/v1/invoices?sort=-issueDate&cursor=${forged}`);
    expect(res.status).toBe(400);
    expect(res.body.title).toBe('Invalid cursor');
  });

  it('an empty result is an empty last page', async () => {
    const { status, body } = await get('/v1/invoices?vendor=nobody');
    expect(status).toBe(200);
    expect(body).toEqual({ items: [], nextCursor: null });
  });

  const SORTS: [string, (s: Inserted) => Key, (a: string, b: string) => number][] = [
    ['issueDate', (s) => s.issue, byText],
    ['dueDate', (s) => s.due, byText],
    ['total', (s) => s.total, byDecimal],
    ['createdAt', (s) => s.createdAt, byText],
    ['vendor', (s) => s.vendor?.toLowerCase() ?? null, byText],
  ];
  for (const [name, value, compare] of SORTS) {
    for (const desc of [false, true]) {
      const sort = `${desc ? '-' : ''}${name}`;
      it(`sort=${sort}: one page and every page (limit 3) give every row once, NULLs last`, async () => {
        const expected = expectedOrder(inserted, value, compare, desc);
        const whole = await get(`/v1/invoices?sort=${sort}&limit=200`);
        expect(whole.body.items.map((i: { id: string }) => i.id)).toEqual(expected);
        const { items, pages } = await walk(`/v1/invoices?sort=${sort}`, 3);
        expect(items.map((i) => i.id)).toEqual(expected);
        expect(new Set(items.map((i) => i.id)).size).toBe(inserted.length);
        expect(pages).toBe(Math.ceil(inserted.length / 3));
      });
    }
  }

  it('pages with filters, and a page size that divides the rows exactly ends with nextCursor null', async () => {
    const eur = inserted.filter((s) => s.currency === 'EUR');
    expect(eur.length).toBe(8);
    const { items, pages } = await walk('/v1/invoices?currency=EUR&sort=-issueDate', 4);
    expect(items.map((i) => i.id)).toEqual(expectedOrder(eur, (s) => s.issue, byText, true));
    expect(pages).toBe(2);
  });

  it('rejects bad cursors, cursors of another sort or listing, and bad parameters with 400 naming them', async () => {
    const first = await get('/v1/invoices?sort=issueDate&limit=2');
    const cursor = first.body.nextCursor as string;
    expect(cursor).toEqual(expect.any(String));
    expect((await get(`/v1/invoices?sort=issueDate&limit=2&cursor=${cursor}`)).status).toBe(200);

    const tampered = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(cursor, 'base64url').toString()), value: "x' or '1'='1" }),
    ).toString('base64url');
    for (const bad of ['garbage', 'eyJ4IjoxfQ', tampered, cursor.slice(0, -3)]) {
      const { status, body } = await get(`/v1/invoices?sort=issueDate&cursor=${bad}`);
      expect(status, bad).toBe(400);
      expect(body.title).toBe('Invalid cursor');
      expect(body.detail).toMatch(/cursor/);
    }
    const otherSort = await get(`/v1/invoices?sort=-issueDate&cursor=${cursor}`);
    expect(otherSort.status).toBe(400);
    expect(otherSort.body.title).toBe('Invalid cursor');
    const defaultSort = await get(`/v1/invoices?cursor=${cursor}`);
    expect(defaultSort.status).toBe(400);
    const contractsCursor = (await get('/v1/contracts?limit=1')).body.nextCursor as string;
    expect((await get(`/v1/invoices?cursor=${contractsCursor}`)).status).toBe(400);

    const params: [string, string][] = [
      ['limit=0', 'querystring/limit'],
      ['limit=201', 'querystring/limit'],
      ['limit=abc', 'querystring/limit'],
      ['limit=1.5', 'querystring/limit'],
      ['issueDateFrom=2024-02-30', 'querystring/issueDateFrom'],
      ['dueDateTo=2024-1-5', 'querystring/dueDateTo'],
      ['totalMin=1e3', 'querystring/totalMin'],
      ['totalMax=1.0000001', 'querystring/totalMax'],
      ['currency=ZZZ', 'querystring/currency'],
      ['status=done', 'querystring/status'],
      ['sort=amount', 'querystring/sort'],
      ['format=xml', 'querystring/format'],
    ];
    for (const [query, where] of params) {
      const { status, body, res } = await get(`/v1/invoices?${query}`);
      expect(status, query).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(body.errors.map((e: { path: string }) => e.path), query).toContain(where);
    }
    expect((await get('/v1/invoices?limit=1')).status).toBe(200);
    expect((await get('/v1/invoices?limit=200')).status).toBe(200);
  });

  it('exports every matching row as CSV (header, exact decimals) equal to the JSON rows', async () => {
    const json = await get('/v1/invoices?sort=issueDate&limit=200');
    const { res, text, status } = await get('/v1/invoices?sort=issueDate&format=csv&limit=1');
    expect(status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="invoices-\d{4}-\d{2}-\d{2}\.csv"/);
    const [header, ...rows] = parseCsv(text);
    // The listing's columns, with the source file name after the document id (export only).
    const columns = Object.keys(json.body.items[0]);
    columns.splice(columns.indexOf('documentId') + 1, 0, 'fileName');
    expect(header).toEqual(columns);
    const fileOf = new Map(documentIds.map((d) => [d.id, `${d.sha256.slice(0, 8)}.pdf`]));
    expect(rows).toHaveLength(inserted.length);
    const withFile = (item: Record<string, unknown>): Record<string, unknown> => ({ ...item, fileName: fileOf.get(item.documentId as string) });
    expect(rows).toEqual(json.body.items.map((item: Record<string, unknown>) => columns.map((c) => asCsvCell(withFile(item)[c]))));
    expect(rows.find((r) => r[columns.indexOf('invoiceNumber')] === 'G-1')?.[columns.indexOf('total')]).toBe('5000.000001');

    const filtered = await get('/v1/invoices?vendor=acme&sort=-total&format=csv');
    const filteredJson = await get('/v1/invoices?vendor=acme&sort=-total');
    expect(parseCsv(filtered.text).slice(1)).toEqual(
      filteredJson.body.items.map((item: Record<string, unknown>) => columns.map((c) => asCsvCell(withFile(item)[c]))),
    );
    const empty = await get('/v1/invoices?vendor=nobody&format=csv');
    expect(parseCsv(empty.text)).toEqual([columns]);
  });

  it('exports every matching row as JSON Lines equal to the JSON rows', async () => {
    const json = await get('/v1/invoices?sort=-vendor&limit=200&currency=EUR');
    const { res, text } = await get('/v1/invoices?sort=-vendor&currency=EUR&format=jsonl');
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/filename="invoices-\d{4}-\d{2}-\d{2}\.jsonl"/);
    expect(text.endsWith('\n')).toBe(true);
    // The listing's items, with the source file name (export only).
    const items = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(items.map(({ fileName: _fileName, ...rest }) => rest)).toEqual(json.body.items);
    expect(items.every((i) => typeof i.fileName === 'string' && i.fileName.endsWith('.pdf'))).toBe(true);
  });
});

describe('GET /v1/invoices/:id', () => {
  it('returns the record with its line items, evidence and document id', async () => {
    const a1 = inserted.find((s) => s.no === 'A-1')!;
    const { status, body } = await get(`/v1/invoices/${a1.id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      kind: 'invoice',
      id: a1.id,
      documentId: a1.documentId,
      version: 1,
      isLatest: true,
      status: 'extracted',
      vendorName: 'Acme Corp',
      invoiceNumber: 'A-1',
      total: '100.00',
      createdAt: '2026-01-01T10:00:00.000Z',
    });
    expect(body.lineItems).toEqual([
      // No text runs are stored for these documents: the quotes cannot be located, so no boxes.
      { description: 'Services A-1', quantity: '2.00', unitPrice: '12.50', amount: '25.00', vatRate: null, confidence: 0.9, evidence: { page: 1, quote: 'Services A-1 2 x 12.50', boxes: null } },
      { description: 'Shipping', quantity: null, unitPrice: null, amount: '5.00', vatRate: null, confidence: 0.8, evidence: null },
    ]);
    expect(Object.keys(body.evidence).sort()).toEqual(['currency', 'dueDate', 'invoiceNumber', 'issueDate', 'total', 'vendorName']);
    expect(body.evidence.total).toEqual({ confidence: 0.95, page: 1, quote: 'Total 100.00', tier: 'flash', boxes: null });
  });

  it('an older version is served as such; unknown ids are 404 and malformed ones 400', async () => {
    const old = await get(`/v1/invoices/${r1OldId}`);
    expect(old.body).toMatchObject({ version: 1, isLatest: false, vendorName: 'Old Acme Name', total: '1.00' });
    const missing = await get('/v1/invoices/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ status: 404, title: 'Not found' });
    const bad = await get('/v1/invoices/not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('params/id');
  });
});

// ---- contracts ------------------------------------------------------------------

describe('GET /v1/contracts', () => {
  const titles = (items: Record<string, unknown>[]) => items.map((i) => i.title).sort();

  it('filters by any party prefix, governing law (case-insensitive exact) and date ranges', async () => {
    const cases: [string, string[]][] = [
      ['party=acme', ['MSA Initech', 'NDA Acme']],
      ['party=GLOBEX', ['NDA Acme', 'Supply']],
      ['party=50%25_', ['Lease']],
      ['party=5', ['Lease', 'Partnership']],
      ['party=500', ['Partnership']],
      ['party=%25', []],
      ['governingLaw=delaware', ['Lease', 'NDA Acme']],
      ['governingLaw=NEW%20YORK', ['Licence', 'Partnership']],
      ['governingLaw=Delaware%20Count', []],
      ['effectiveFrom=2024-01-01&effectiveTo=2024-03-01', ['MSA Initech', 'NDA Acme', 'Supply']],
      ['effectiveTo=2023-06-15', ['Consulting']],
      ['expirationFrom=2025-01-01&expirationTo=2026-06-30', ['Lease', 'NDA Acme']],
      ['party=globex&governingLaw=delaware', ['NDA Acme']],
    ];
    for (const [query, expected] of cases) {
      const { status, body } = await get(`/v1/contracts?${query}&limit=200`);
      expect(status, query).toBe(200);
      expect(titles(body.items), query).toEqual([...expected].sort());
    }
    const nda = (await get('/v1/contracts?party=acme%20corp')).body.items[0];
    expect(nda.parties).toEqual([
      { name: 'Acme Corp', role: 'Disclosing Party' },
      { name: 'Globex Ltd', role: 'Receiving Party' },
    ]);
  });

  const SORTS: [string, (c: (typeof contracts)[number]) => Key][] = [
    ['effectiveDate', (c) => c.effective],
    ['expirationDate', (c) => c.expiration],
    ['createdAt', (c) => c.createdAt],
  ];
  for (const [name, value] of SORTS) {
    for (const desc of [false, true]) {
      const sort = `${desc ? '-' : ''}${name}`;
      it(`sort=${sort} pages through every contract once (limit 2), NULLs last`, async () => {
        const expected = expectedOrder(contracts, value, byText, desc);
        const { items, pages } = await walk(`/v1/contracts?sort=${sort}`, 2);
        expect(items.map((i) => i.id)).toEqual(expected);
        expect(pages).toBe(4);
      });
    }
  }

  it('rejects a cursor of another sort and bad parameters', async () => {
    const cursor = (await get('/v1/contracts?sort=effectiveDate&limit=1')).body.nextCursor;
    const { status, body } = await get(`/v1/contracts?sort=-effectiveDate&cursor=${cursor}`);
    expect(status).toBe(400);
    expect(body.title).toBe('Invalid cursor');
    for (const [query, where] of [
      ['effectiveFrom=2024-13-01', 'querystring/effectiveFrom'],
      ['sort=title', 'querystring/sort'],
      ['limit=500', 'querystring/limit'],
    ]) {
      const res = await get(`/v1/contracts?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(where);
    }
  });

  it('GET /v1/contracts/:id has the parties and evidence; unknown is 404', async () => {
    const nda = contracts.find((c) => c.title === 'NDA Acme')!;
    const { status, body } = await get(`/v1/contracts/${nda.id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      kind: 'contract',
      id: nda.id,
      documentId: nda.documentId,
      isLatest: true,
      title: 'NDA Acme',
      governingLaw: 'Delaware',
      effectiveDate: '2024-01-01',
      expirationDate: '2025-01-01',
    });
    expect(body.parties).toEqual([
      { name: 'Acme Corp', role: 'Disclosing Party', confidence: 0.9, evidence: { page: 1, quote: 'Acme Corp (party 1)', boxes: null } },
      { name: 'Globex Ltd', role: 'Receiving Party', confidence: 0.9, evidence: { page: 1, quote: 'Globex Ltd (party 2)', boxes: null } },
    ]);
    expect(body.evidence.governingLaw).toEqual({ confidence: 0.95, page: 1, quote: 'governed by the laws of Delaware', tier: 'flash', boxes: null });
    expect((await get('/v1/contracts/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});

// ---- documents ------------------------------------------------------------------

describe('documents', () => {
  it('GET /v1/documents lists newest first, pages, and filters by status, kind and creation time', async () => {
    const all = await walk('/v1/documents', 4);
    const expected = expectedOrder(documentIds, (d) => d.createdAt, byText, true);
    expect(all.items.map((i) => i.documentId)).toEqual(expected);

    const review = await get('/v1/documents?status=needs_review');
    expect(review.body.items.map((i: { documentId: string }) => i.documentId)).toEqual([inserted.find((s) => s.no === 'D-1')!.documentId]);
    const kinds = await get('/v1/documents?kind=contract&limit=200');
    expect(kinds.body.items.map((i: { documentId: string }) => i.documentId).sort()).toEqual(contracts.map((c) => c.documentId).sort());

    // A date bound covers the whole UTC day; a date-time bound is exact (inclusive).
    const day = await get('/v1/documents?createdFrom=2026-01-02&createdTo=2026-01-03&limit=200');
    const inDays = documentIds.filter((d) => d.createdAt >= '2026-01-02' && d.createdAt < '2026-01-04').map((d) => d.id);
    expect(day.body.items.map((i: { documentId: string }) => i.documentId).sort()).toEqual(inDays.sort());
    expect(inDays).toHaveLength(4);
    const exact = await get(`/v1/documents?createdFrom=${encodeURIComponent('2026-01-03T09:30:00.5Z')}&createdTo=${encodeURIComponent('2026-01-05T13:00:00+01:00')}&limit=200`);
    expect(exact.body.items.map((i: { documentId: string }) => i.documentId).sort()).toEqual(
      documentIds.filter((d) => d.createdAt >= '2026-01-03T09:30:00.5' && d.createdAt <= '2026-01-05T12:00:00.000000Z').map((d) => d.id).sort(),
    );
    expect(exact.body.items).toHaveLength(4);

    for (const [query, where] of [
      ['createdFrom=2026-02-30', 'querystring/createdFrom'],
      ['createdTo=yesterday', 'querystring/createdTo'],
      ['kind=letter', 'querystring/kind'],
      ['limit=0', 'querystring/limit'],
    ]) {
      const res = await get(`/v1/documents?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(where);
    }
    const badCursor = await get('/v1/documents?cursor=abc');
    expect(badCursor.status).toBe(400);
    expect(badCursor.body.title).toBe('Invalid cursor');
  });

  it('GET /v1/documents/:documentId has the status, costs and the latest record with lines and evidence', async () => {
    const r1 = inserted.find((s) => s.no === 'R-1')!;
    await h.db
      .insertInto('extraction_attempts')
      .values({
        document_id: r1.documentId,
        workflow_id: 'wf',
        run_id: 'run',
        activity_id: '1',
        activity_attempt: 1,
        tier: 'flash',
        model: 'm',
        page_from: 1,
        page_to: 1,
        input_tokens: 10,
        output_tokens: 5,
        tokens_estimated: false,
        cost_usd: '0.001250',
        latency_ms: 3,
        outcome: 'ok',
      })
      .execute();
    await h.db.updateTable('documents').set({ route: ['flash'], confidence: '0.9100', token_count: 321 }).where('id', '=', r1.documentId).execute();
    const { status, body } = await get(`/v1/documents/${r1.documentId}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      documentId: r1.documentId,
      kind: 'invoice',
      status: 'extracted',
      route: ['flash'],
      confidence: 0.91,
      tokens: 321,
      costUsd: '0.001250',
      reviewReasons: [],
      error: null,
      createdAt: '2026-01-08T12:00:00.000Z',
      candidate: null,
    });
    expect(body.record).toMatchObject({ kind: 'invoice', version: 2, vendorName: 'Acme Renamed', total: '777.00' });
    expect(body.record.lineItems).toHaveLength(2);
    expect(body.record.evidence.vendorName).toMatchObject({ page: 1, quote: 'From: Acme Renamed' });
  });

  it('a document in review shows its candidate; unknown ids are 404, malformed 400', async () => {
    const documentId = await addDocument('invoice', 'needs_review', '2026-03-01T00:00:00.000000Z');
    await h.db
      .updateTable('documents')
      .set({ review_reasons: ['total does not match the lines'] })
      .where('id', '=', documentId)
      .execute();
    await h.db
      .insertInto('candidates')
      .values({
        document_id: documentId,
        workflow_id: 'wf-review',
        run_id: 'run',
        stage: 'flash',
        kind: 'invoice',
        fields: JSON.stringify({ vendorName: { value: 'Candidate Co' } }),
        confidence: '0.5000',
        checks: JSON.stringify([]),
        attempt_ids: [],
      })
      .execute();
    const { body } = await get(`/v1/documents/${documentId}`);
    expect(body).toMatchObject({
      status: 'needs_review',
      record: null,
      reviewReasons: ['total does not match the lines'],
      candidate: { stage: 'flash', confidence: 0.5, fields: { vendorName: { value: 'Candidate Co' } } },
      costUsd: '0',
    });
    const missing = await get('/v1/documents/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.res.headers.get('content-type')).toContain('application/problem+json');
    const bad = await get('/v1/documents/123');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('params/documentId');
    // Listed with the rest: this is now the newest document.
    expect((await get('/v1/documents?limit=1')).body.items[0].documentId).toBe(documentId);
  });

  it('GET /v1/documents/:documentId/file returns the original bytes (a download, or inline), as PDF or XML by content; 404 without a stored original', async () => {
    const bytes = await fs.readFile(path.join(ROOT, 'samples', 'rechnung-de-eur.pdf'));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const fileName = 'Rechnung "März" 2024;x.pdf';
    const { document } = await registerUpload(h.db, {
      sha256,
      fileName,
      content: async function* () {
        yield bytes;
      },
      sizeBytes: bytes.byteLength,
      source: 'test',
      workflowId: `wf-${sha256}`,
    });
    const res = await h.call(`/v1/documents/${document.id}/file`, { key });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="Rechnung _M_rz_ 2024;x.pdf"; filename*=UTF-8''Rechnung%20%22M%C3%A4rz%22%202024%3Bx.pdf`,
    );
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    // inline: a browser opens the PDF in the tab (no sandbox: it would turn the PDF viewer off).
    const inline = await h.call(`/v1/documents/${document.id}/file?disposition=inline`, { key });
    expect(inline.status).toBe(200);
    expect(inline.headers.get('content-type')).toBe('application/pdf');
    expect(inline.headers.get('content-disposition')).toMatch(/^inline; filename="Rechnung _M_rz_ 2024;x.pdf"/);
    expect(inline.headers.get('content-security-policy')).toBeNull();
    expect(Buffer.from(await inline.arrayBuffer()).equals(bytes)).toBe(true);
    const badDisposition = await get(`/v1/documents/${document.id}/file?disposition=open`);
    expect(badDisposition.status).toBe(400);
    expect(badDisposition.body.errors.map((e: { path: string }) => e.path)).toContain('querystring/disposition');

    // An e-invoice's original is XML, whatever its name says; shown, never run (a sandbox CSP).
    const xml = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>X-1</ID></Invoice>\n');
    const xmlDoc = await registerUpload(h.db, {
      sha256: createHash('sha256').update(xml).digest('hex'),
      fileName: 'x-1.pdf',
      content: async function* () {
        yield xml;
      },
      sizeBytes: xml.byteLength,
      source: 'test',
      workflowId: 'wf-xml-original',
    });
    for (const disposition of ['attachment', 'inline']) {
      const served = await h.call(`/v1/documents/${xmlDoc.document.id}/file?disposition=${disposition}`, { key });
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toMatch(/^application\/xml/);
      expect(served.headers.get('content-disposition')).toMatch(new RegExp(`^${disposition}; filename="x-1.pdf"`));
      expect(served.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
      expect(served.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.from(await served.arrayBuffer()).equals(xml)).toBe(true);
    }

    const tooLarge = await registerUpload(h.db, {
      sha256: randomBytes(32).toString('hex'),
      fileName: 'huge.pdf',
      content: null,
      sizeBytes: 999_999_999,
      source: 'test',
      workflowId: 'wf-huge',
    });
    const missing = await get(`/v1/documents/${tooLarge.document.id}/file`);
    expect(missing.status).toBe(404);
    expect(missing.body.title).toBe('Not found');
    expect((await get('/v1/documents/00000000-0000-4000-8000-000000000000/file')).status).toBe(404);
    expect((await get(`/v1/documents/${document.id}/file`, '')).status).toBe(401);
  });
});

// ---- OpenAPI and the CLI ----------------------------------------------------------

describe('OpenAPI and CLI', () => {
  it('the OpenAPI document describes these routes and is valid', async () => {
    const res = await h.call('/openapi.json');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const doc = (await res.json()) as any;
    for (const [p, codes] of [
      ['/v1/documents', ['200', '400', '401']],
      ['/v1/documents/{documentId}', ['200', '400', '404']],
      ['/v1/documents/{documentId}/file', ['200', '404']],
      ['/v1/invoices', ['200', '400']],
      ['/v1/invoices/{id}', ['200', '404']],
      ['/v1/contracts', ['200', '400']],
      ['/v1/contracts/{id}', ['200', '404']],
    ] as const) {
      const op = doc.paths[p]?.get;
      expect(op, p).toBeDefined();
      expect(op.security, p).toEqual([{ bearerAuth: [] }]);
      expect(op.summary, p).toEqual(expect.any(String));
      for (const code of codes) expect(op.responses[code], `${p} ${code}`).toBeDefined();
    }
    const invoices = doc.paths['/v1/invoices'].get;
    expect(Object.keys(invoices.responses['200'].content).sort()).toEqual(['application/json', 'application/x-ndjson', 'text/csv']);
    expect(invoices.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['vendor', 'invoiceNumber', 'issueDateFrom', 'totalMin', 'sort', 'limit', 'cursor', 'format']),
    );
    expect(Object.keys(doc.paths['/v1/documents/{documentId}/file'].get.responses['200'].content).sort()).toEqual(['application/pdf', 'application/xml']);
    expect(doc.paths['/v1/documents/{documentId}/file'].get.parameters.find((p: { name: string }) => p.name === 'disposition').schema.enum).toEqual([
      'attachment',
      'inline',
    ]);
    await SwaggerParser.validate(structuredClone(doc));
  });

  it('docroute export invoices writes the same rows as the API export', async () => {
    const env = {
      PATH: [path.join(ROOT, 'node_modules', '.bin'), process.env.PATH ?? ''].join(path.delimiter),
      HOME: process.env.HOME ?? '/tmp',
      DOCROUTE_LOG_LEVEL: 'warn',
      DATABASE_URL: h.config.database.url as string,
    };
    const cli = (args: string[]) => run(process.execPath, [path.join(ROOT, 'bin', 'docroute.js'), ...args], { cwd: ROOT, env, timeout: 60_000 });

    const jsonl = await cli(['export', 'invoices', '--format', 'jsonl', '--vendor', 'acme', '--sort', 'issueDate']);
    const api = await get('/v1/invoices?vendor=acme&sort=issueDate&format=jsonl');
    expect(jsonl.stdout).toBe(api.text);
    expect(jsonl.stdout.trimEnd().split('\n')).toHaveLength(5);

    const dir = await mkdtemp(path.join(tmpdir(), 'docroute-export-'));
    const out = path.join(dir, 'inv.csv');
    await cli(['export', 'invoices', '--format', 'csv', '--out', out, '--from', '2024-01-20', '--to', '2024-02-01', '--currency', 'eur', '--total-min', '100']);
    const apiCsv = await get('/v1/invoices?issueDateFrom=2024-01-20&issueDateTo=2024-02-01&currency=EUR&totalMin=100&format=csv');
    // The CLI's CSV starts with a UTF-8 BOM (for Excel); the API's only with bom=true.
    const written = await fs.readFile(out, 'utf8');
    expect(written).toBe('\uFEFF' + apiCsv.text);
    expect(parseCsv(apiCsv.text).slice(1).map((r) => r[parseCsv(apiCsv.text)[0]!.indexOf('invoiceNumber')])).toEqual(['A-3']);

    await expect(cli(['export', 'invoices', '--format', 'csv', '--from', '2024-02-30'])).rejects.toMatchObject({
      stderr: expect.stringContaining('--from'),
    });
    await fs.rm(dir, { recursive: true, force: true });
  });
});
