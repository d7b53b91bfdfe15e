import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/api/app.ts';
import { ROUTES } from '../../src/api/routes/index.ts';
import type { ApiApp } from '../../src/api/types.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createLogger } from '../../src/logger.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The OpenAPI document as generated clients and Swagger UI read it. Building it needs no
 * database or Temporal (routes only register); the document is what /openapi.json serves.
 */
describe('the OpenAPI document', () => {
  let app: ApiApp;
  let doc: any;
  const operations = () =>
    Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([p, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ where: `${method.toUpperCase()} ${p}`, op })),
    );

  beforeAll(async () => {
    app = await buildApi(
      { db: {} as never, client: {} as never, config: loadConfig({}), log: createLogger('error'), temporalReady: async () => false },
      { routes: ROUTES },
    );
    await app.ready();
    doc = structuredClone(app.swagger());
  });
  afterAll(async () => app?.close());

  it('names every operation with a unique camelCase operationId', () => {
    const ids = operations().map(({ where, op }) => {
      expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
      return op.operationId as string;
    });
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['uploadDocuments', 'getDocument', 'getDocumentFile', 'listInvoices', 'getInvoice', 'decideReview']));
  });

  it('documents every error as application/problem+json with an example of its own status', () => {
    let errors = 0;
    for (const { where, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
        if (Number(status) < 400) continue;
        errors++;
        expect(Object.keys(response.content), `${where} ${status}`).toEqual(['application/problem+json']);
        const media = response.content['application/problem+json'];
        expect(media.schema, `${where} ${status}`).toEqual({ $ref: '#/components/schemas/Problem' });
        expect(media.example, `${where} ${status}`).toMatchObject({ status: Number(status), title: expect.any(String) });
      }
    }
    expect(errors).toBeGreaterThan(50);
  });

  it('carries no safe-integer bounds (zod writes them for every int; Swagger UI showed them as example values)', () => {
    expect(JSON.stringify(doc)).not.toContain(String(Number.MAX_SAFE_INTEGER));
    expect(doc.components.schemas.Problem.properties.status).toMatchObject({ type: 'integer', minimum: 400, maximum: 599 });
  });

  it('every example validates against its schema (review decisions: one per action)', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'doc', components: doc.components });
    const validate = (schema: object, value: unknown) => {
      const check = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));
      return check(value) ? [] : (check.errors ?? []);
    };
    let checked = 0;
    for (const { where, op } of operations()) {
      const bodies = Object.entries((op.requestBody?.content ?? {}) as Record<string, any>);
      const responses = Object.entries(op.responses as Record<string, any>).flatMap(([, r]) => Object.entries((r.content ?? {}) as Record<string, any>));
      for (const [type, media] of [...bodies, ...responses]) {
        const examples = [...(media.example !== undefined ? [media.example] : []), ...Object.values(media.examples ?? {}).map((e: any) => e.value)];
        for (const example of examples) {
          expect(validate(media.schema, example), `${where} ${type} example ${JSON.stringify(example)}`).toEqual([]);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(50);

    const review = doc.paths['/v1/review/{documentId}'].post.requestBody.content['application/json'];
    expect(Object.values(review.examples).map((e: any) => e.value.action)).toEqual(['approve', 'correct', 'reject']);
    // A wrong body is told apart: the examples are not vacuously valid.
    expect(validate(review.schema, { action: 'reject' })).not.toEqual([]);
    expect(validate(review.schema, { action: 'correct', fields: { invoiceNumbr: 'x' } })).not.toEqual([]);
  });

  it('names the review decision variants, so that they render as Approve | Correct | Reject', () => {
    const decision = doc.components.schemas.ReviewDecisionInput;
    const variants = decision.oneOf.map((v: { $ref: string }) => doc.components.schemas[v.$ref.split('/').pop()!]);
    expect(variants.map((v: any) => v.title)).toEqual(['Approve', 'Correct', 'Reject']);
    for (const v of variants) expect(v.description).toEqual(expect.any(String));
    expect(variants[1].properties.fields.anyOf).toEqual([
      { $ref: '#/components/schemas/InvoiceCorrectionInput' },
      { $ref: '#/components/schemas/ContractCorrectionInput' },
    ]);
  });

  it('calls a document documentId and its name fileName in every response and path', () => {
    const text = JSON.stringify(doc.paths);
    expect(text).not.toMatch(/\/v1\/(documents|review)\/\{id\}/);
    for (const name of ['DocumentSummary', 'DocumentDetail', 'UploadedDocument', 'ReviewItem']) {
      const properties = doc.components.schemas[name].properties;
      expect(properties.documentId, name).toBeDefined();
      expect(properties.id, name).toBeUndefined();
      expect(properties.file, name).toBeUndefined();
      expect(properties.fileName, name).toBeDefined();
    }
    const upload = doc.paths['/v1/documents'].post.requestBody.content['multipart/form-data'].schema;
    expect(upload.properties.file.items).toEqual({ type: 'string', format: 'binary' });
  });

  it('gives review reasons in words next to their codes, as added fields (the code arrays stay as they were)', () => {
    const reason = { $ref: '#/components/schemas/ReviewReason' };
    const item = doc.components.schemas.ReviewItem;
    expect(item.properties.reasons).toMatchObject({ type: 'array', items: { type: 'string' } });
    expect(item.properties.reasonsInWords).toMatchObject({ type: 'array', items: reason });
    const detail = doc.components.schemas.DocumentDetail;
    expect(detail.properties.reviewReasons).toMatchObject({ type: 'array', items: { type: 'string' } });
    expect(detail.properties.reviewReasonsInWords).toMatchObject({ type: 'array', items: reason });
    expect(doc.components.schemas.ReviewReason.required.sort()).toEqual(['code', 'text']);
  });
});
