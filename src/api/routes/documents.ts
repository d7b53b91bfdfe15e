import { Readable } from 'node:stream';
import { z } from 'zod';
import type { DocumentRow } from '../../db/schema.ts';
import { describeDocumentRow } from '../../app/document-view.ts';
import { openBlob } from '../../db/blobs.ts';
import { DOCUMENT_ORDER, findDocuments, getDocument, type DocumentFilter } from '../../db/documents.ts';
import { contentDisposition } from '../../exports/writers.ts';
import { sniffContent } from '../../pdf/sniff.ts';
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

const DocumentParams = z.object({ documentId: Id.describe('The document id') });

const FileQuery = z.object({
  disposition: z
    .enum(['attachment', 'inline'])
    .default('attachment')
    .describe('attachment (default): a download; inline: a browser shows the PDF (or the XML) in the tab'),
});

/** What an original is served as, decided by its first bytes (as at upload), never by its name. */
const ORIGINAL_MEDIA_TYPES = { pdf: 'application/pdf', xml: 'application/xml' } as const;

function documentSummary(doc: DocumentRow) {
  return {
    documentId: doc.id,
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

/** GET /v1/documents, GET /v1/documents/:documentId and GET /v1/documents/:documentId/file. */
export const documentRoutes: RouteModule = (app, deps) => {
  const { db } = deps;

  app.get(
    '/v1/documents',
    {
      preHandler: requireScope(db, 'read'),
      schema: {
        tags: ['documents'],
        operationId: 'listDocuments',
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
    '/v1/documents/:documentId',
    {
      preHandler: requireScope(db, 'read'),
      schema: {
        tags: ['documents'],
        operationId: 'getDocument',
        summary: 'One document: status, route, costs, and its record (latest version, with evidence) or review candidate',
        security: BEARER,
        params: DocumentParams,
        response: { 200: DocumentDetail, ...problems(400, 401, 403, 404, 429, 500) },
      },
    },
    async (request) => {
      const doc = await getDocument(db, request.params.documentId);
      if (!doc) throw new HttpProblem(404, 'Not found', `No document ${request.params.documentId}.`);
      const view = await describeDocumentRow(db, doc);
      return {
        ...documentSummary(doc),
        costUsd: view.costUsd,
        record: view.record,
        candidate: view.candidate,
        reviewReasonsInWords: view.reviewReasonsInWords,
      };
    },
  );

  app.get(
    '/v1/documents/:documentId/file',
    {
      preHandler: requireScope(db, 'read'),
      schema: {
        tags: ['documents'],
        operationId: 'getDocumentFile',
        summary: 'The original file (PDF or e-invoice XML) as uploaded',
        description:
          'Served as application/pdf or application/xml, by its content. A download by default; ' +
          '`?disposition=inline` lets a browser open it in the tab. 404 when the document is unknown or its original was not stored (e.g. refused as too large).',
        security: BEARER,
        params: DocumentParams,
        querystring: FileQuery,
        response: {
          200: {
            description: 'The original bytes',
            content: {
              [ORIGINAL_MEDIA_TYPES.pdf]: { schema: z.string().meta({ format: 'binary' }) },
              [ORIGINAL_MEDIA_TYPES.xml]: { schema: z.string().meta({ format: 'binary' }) },
            },
          },
          ...problems(400, 401, 403, 404, 429, 500),
        },
      },
    },
    async (request, reply) => {
      const doc = await getDocument(db, request.params.documentId);
      if (!doc) throw new HttpProblem(404, 'Not found', `No document ${request.params.documentId}.`);
      const blob = await openBlob(db, doc.sha256);
      if (!blob) throw new HttpProblem(404, 'Not found', `The original of document ${doc.id} was not stored${doc.error ? ` (${doc.error})` : ''}.`);
      const chunks = blob.chunks[Symbol.asyncIterator]();
      const first = await chunks.next();
      const head: Buffer = first.done ? Buffer.alloc(0) : first.value;
      const sniffed = sniffContent(head);
      // Stored content was sniffed at upload; anything else (it cannot be) is only ever a download.
      const mediaType = sniffed.kind === 'refused' ? 'application/octet-stream' : ORIGINAL_MEDIA_TYPES[sniffed.kind];
      const disposition = sniffed.kind === 'refused' ? 'attachment' : request.query.disposition;
      if (sniffed.kind !== 'pdf') {
        // A browser runs scripts that an XML document carries (XHTML elements) in the API's origin:
        // it may show the XML, never run anything from it. (Not for PDFs: a sandbox turns the PDF viewer off.)
        void reply.header('content-security-policy', "default-src 'none'; sandbox");
      }
      const rest = (async function* () {
        if (!first.done) yield head;
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
      })();
      return reply
        .code(200)
        .type(mediaType)
        .header('content-disposition', contentDisposition(doc.file_name, disposition))
        .header('content-length', String(blob.sizeBytes))
        .header('x-content-type-options', 'nosniff')
        // Streamed chunk by chunk as stored (no serializer); the schema above describes the bytes.
        .send(Readable.from(rest) as never);
    },
  );
};
