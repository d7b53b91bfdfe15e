import { z } from 'zod';
import type { DocumentRow } from '../../db/schema.ts';
import { describeDocumentRow } from '../../app/document-view.ts';
import { DOCUMENT_ORDER, findDocuments, getBlob, getDocument, type DocumentFilter } from '../../db/documents.ts';
import { contentDisposition } from '../../exports/writers.ts';
import { BEARER, requireScope } from '../auth.ts';
import { decodeCursor, toPage } from '../pagination.ts';
import { HttpProblem } from '../problem.ts';
import {
  CursorParam,
  DateOrDateTimeParam,
  DocumentDetail,
  DocumentKindParam,
  DocumentStatusParam,
  DocumentSummary,
  Id,
  LimitParam,
  pageOf,
  problems,
} from '../schemas.ts';
import type { RouteModule } from '../types.ts';

const DocumentListQuery = z.object({
  status: DocumentStatusParam.optional(),
  kind: DocumentKindParam.optional(),
  createdFrom: DateOrDateTimeParam.optional().describe('Created at or after: a date (from 00:00 UTC) or a date-time'),
  createdTo: DateOrDateTimeParam.optional().describe('Created at or before: a date (the whole day, UTC) or a date-time'),
  limit: LimitParam,
  cursor: CursorParam.optional(),
});

/** The listing's only order: newest first. */
const SORT = '-createdAt';
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

const IdParams = z.object({ id: Id.describe('The document id') });

function documentSummary(doc: DocumentRow) {
  return {
    id: doc.id,
    sha256: doc.sha256,
    fileName: doc.file_name,
    sizeBytes: Number(doc.size_bytes),
    pageCount: doc.page_count,
    kind: doc.kind,
    status: doc.status,
    route: doc.route,
    confidence: doc.confidence === null ? null : Number(doc.confidence),
    tokens: doc.token_count,
    reviewReasons: doc.review_reasons,
    error: doc.error,
    workflowId: doc.workflow_id,
    createdAt: doc.created_at.toISOString(),
    updatedAt: doc.updated_at.toISOString(),
  };
}

/** GET /v1/documents, GET /v1/documents/:id and GET /v1/documents/:id/file. */
export const documentRoutes: RouteModule = (app, deps) => {
  const { db } = deps;

  app.get(
    '/v1/documents',
    {
      preHandler: requireScope(db, 'read'),
      schema: {
        tags: ['documents'],
        summary: 'List documents, newest first',
        description: 'Keyset-paginated: pass nextCursor as cursor for the next page.',
        security: BEARER,
        querystring: DocumentListQuery,
        response: { 200: pageOf(DocumentSummary), ...problems(400, 401, 403, 429, 500) },
      },
    },
    async (request) => {
      const { status, kind, createdFrom, createdTo, limit, cursor } = request.query;
      const after = cursor ? decodeCursor(cursor, { scope: 'documents', sort: SORT, type: DOCUMENT_ORDER.type }) : null;
      const filter: DocumentFilter = { status, kind };
      if (createdFrom !== undefined) filter.createdFrom = new Date(DATE_ONLY.test(createdFrom) ? `${createdFrom}T00:00:00Z` : createdFrom);
      if (createdTo !== undefined) {
        if (DATE_ONLY.test(createdTo)) {
          // A date includes its whole (UTC) day.
          const next = new Date(`${createdTo}T00:00:00Z`);
          next.setUTCDate(next.getUTCDate() + 1);
          filter.createdBefore = next;
        } else {
          filter.createdUntil = new Date(createdTo);
        }
      }
      const rows = await findDocuments(db, filter, limit + 1, after);
      return toPage(rows, limit, { scope: 'documents', sort: SORT }, documentSummary);
    },
  );

  app.get(
    '/v1/documents/:id',
    {
      preHandler: requireScope(db, 'read'),
      schema: {
        tags: ['documents'],
        summary: 'One document: status, route, costs, and its record (latest version, with evidence) or review candidate',
        security: BEARER,
        params: IdParams,
        response: { 200: DocumentDetail, ...problems(400, 401, 403, 404, 429, 500) },
      },
    },
    async (request) => {
      const doc = await getDocument(db, request.params.id);
      if (!doc) throw new HttpProblem(404, 'Not found', `No document ${request.params.id}.`);
      const view = await describeDocumentRow(db, doc);
      return {
        ...documentSummary(doc),
        costUsd: view.costUsd,
        record: view.record,
        candidate: view.candidate,
      };
    },
  );

  app.get(
    '/v1/documents/:id/file',
    {
      preHandler: requireScope(db, 'read'),
      schema: {
        tags: ['documents'],
        summary: 'The original file (PDF) as uploaded',
        description: '404 when the document is unknown or its original was not stored (e.g. refused as too large).',
        security: BEARER,
        params: IdParams,
        response: {
          200: {
            description: 'The original bytes',
            content: { 'application/pdf': { schema: z.string().meta({ format: 'binary' }) } },
          },
          ...problems(400, 401, 403, 404, 429, 500),
        },
      },
    },
    async (request, reply) => {
      const doc = await getDocument(db, request.params.id);
      if (!doc) throw new HttpProblem(404, 'Not found', `No document ${request.params.id}.`);
      const bytes = await getBlob(db, doc.sha256);
      if (!bytes) throw new HttpProblem(404, 'Not found', `The original of document ${doc.id} was not stored${doc.error ? ` (${doc.error})` : ''}.`);
      return reply
        .code(200)
        .type('application/pdf')
        .header('content-disposition', contentDisposition(doc.file_name))
        .header('content-length', String(bytes.byteLength))
        // Bytes are sent as they are (no serializer); the schema above describes them.
        .send(bytes as never);
    },
  );
};
