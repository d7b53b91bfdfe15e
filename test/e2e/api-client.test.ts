import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../support/api-harness.ts';
import { DATASETS_DIR, DATASETS_SKIP_MESSAGE, HAVE_DATASETS } from '../support/harness.ts';

/**
 * The issue's acceptance: a client that holds only the OpenAPI document and a
 * key uploads a PDF, polls it to completion, queries it back by vendor and date
 * range, and a reviewer resolves a document in review — every URL and parameter
 * name taken from the OpenAPI document, nothing else assumed.
 */
describe.skipIf(!HAVE_DATASETS)(`an API client with only the OpenAPI document and a key${HAVE_DATASETS ? '' : ` — ${DATASETS_SKIP_MESSAGE}`}`, () => {
  let api: ApiHarness;
  let key: string;
  let spec: any;

  beforeAll(async () => {
    api = await startApiHarness();
    key = await api.key(['read', 'write', 'review'], 'ap-clerk');
    spec = await (await fetch(`${api.baseUrl}/openapi.json`)).json();
  });
  afterAll(async () => api?.close());

  /** The operation for a method and path from the spec; fails when the spec does not have it. */
  const operation = (method: string, pathTemplate: string) => {
    const op = spec.paths?.[pathTemplate]?.[method];
    expect(op, `${method.toUpperCase()} ${pathTemplate} in the OpenAPI document`).toBeTruthy();
    expect(op.security).toEqual([{ bearerAuth: [] }]);
    return op;
  };
  const queryParam = (op: any, name: string) => {
    const param = (op.parameters ?? []).find((p: any) => p.in === 'query' && p.name === name);
    expect(param, `query parameter ${name}`).toBeTruthy();
    return param.name as string;
  };
  const send = (method: string, url: string, init: RequestInit = {}) =>
    fetch(api.baseUrl + url, { ...init, method, headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) } });
  const fill = (template: string, id: string) => template.replace('{id}', id);

  async function uploadAndPoll(file: string): Promise<any> {
    operation('post', '/v1/documents');
    const body = new FormData();
    body.append('file', new Blob([await fs.readFile(file)], { type: 'application/pdf' }), path.basename(file));
    const uploaded = await send('post', '/v1/documents', { body });
    expect(uploaded.status).toBe(202);
    const { documents } = (await uploaded.json()) as any;
    operation('get', '/v1/documents/{id}');
    for (let i = 0; i < 300; i++) {
      const doc = (await (await send('get', fill('/v1/documents/{id}', documents[0].documentId))).json()) as any;
      if (!['received', 'processing'].includes(doc.status)) return doc;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the document never settled');
  }

  it('uploads, polls to completion, and finds the invoice by vendor and issue date range', async () => {
    const doc = await uploadAndPoll(path.join(DATASETS_DIR, 'invoice2data', 'AmazonWebServices.pdf'));
    expect(doc.status).toBe('extracted');
    const vendor: string = doc.record.vendorName;
    const issued: string = doc.record.issueDate;
    expect(vendor.length).toBeGreaterThan(3);
    const list = operation('get', '/v1/invoices');
    const params = new URLSearchParams({
      [queryParam(list, 'vendor')]: vendor.slice(0, 4).toLowerCase(),
      [queryParam(list, 'issueDateFrom')]: issued,
      [queryParam(list, 'issueDateTo')]: issued,
    });
    const found = (await (await send('get', `/v1/invoices?${params}`)).json()) as any;
    expect(found.items.map((i: any) => i.documentId)).toContain(doc.id ?? doc.documentId);
    const outside = new URLSearchParams({ vendor: vendor.slice(0, 4), issueDateFrom: '1990-01-01', issueDateTo: '1990-12-31' });
    expect(((await (await send('get', `/v1/invoices?${outside}`)).json()) as any).items).toEqual([]);
  });

  it('a reviewer resolves a document in review through the queue', async () => {
    const doc = await uploadAndPoll(path.join(DATASETS_DIR, 'invoice2data', 'saeco.pdf'));
    expect(doc.status).toBe('needs_review');
    const id = doc.id ?? doc.documentId;
    operation('get', '/v1/review');
    const queue = (await (await send('get', '/v1/review')).json()) as any;
    expect(queue.items.map((i: any) => i.documentId)).toContain(id);
    const resolve = operation('post', '/v1/review/{id}');
    expect(resolve.requestBody.content['application/json'].schema).toBeTruthy();
    const answer = await send('post', fill('/v1/review/{id}', id), {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'correct', fields: { invoiceNumber: '15-00371', currency: 'EUR' } }),
    });
    expect(answer.status).toBe(200);
    let settled: any;
    for (let i = 0; i < 300; i++) {
      settled = await (await send('get', fill('/v1/documents/{id}', id))).json();
      if (settled.status !== 'needs_review') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(settled.status).toBe('extracted');
    expect(settled.record).toMatchObject({ invoiceNumber: '15-00371', source: 'reviewer:ap-clerk' });
    expect(((await (await send('get', '/v1/review')).json()) as any).items.map((i: any) => i.documentId)).not.toContain(id);
  });
});
