import { z } from 'zod';
import { findInvoice, findInvoices, invoiceListItem, invoiceSortColumn } from '../../db/invoices.ts';
import { loadInvoiceRecord } from '../../db/records.ts';
import { invoiceExport } from '../../exports/invoices.ts';
import { contentDisposition, EXPORT_CONTENT_TYPES, writeTable } from '../../exports/writers.ts';
import { BEARER, requireScope } from '../auth.ts';
import { decodeCursor, toPage } from '../pagination.ts';
import { HttpProblem } from '../problem.ts';
import { CursorParam, Id, InvoiceDetail, InvoiceFilters, InvoiceSort, InvoiceSummary, LimitParam, pageOf, problems } from '../schemas.ts';
import type { RouteModule } from '../types.ts';

/** The export-only parameters, shared with GET /v1/contracts (src/api/routes/contracts.ts). */
export const ExportParams = z.object({
  bom: z
    .stringbool()
    .default(false)
    .describe('format=csv only: start with a UTF-8 byte order mark, so that Excel reads non-ASCII text (Präzisionstechnik) right'),
  includeReview: z
    .stringbool()
    .default(false)
    .describe(
      'format=csv or jsonl only: documents in review too, after the records, with the values of their candidate (what a reviewer sees) ' +
        'and two more columns: valuesFrom (record, candidate or none) and reviewReasons',
    ),
});

const InvoiceListQuery = InvoiceFilters.extend({
  sort: InvoiceSort,
  limit: LimitParam,
  cursor: CursorParam.optional(),
  format: z
    .enum(['json', 'csv', 'jsonl'])
    .default('json')
    .describe('json: one page; csv or jsonl: every matching invoice in one download (limit and cursor do not apply)'),
  raw: z
    .stringbool()
    .default(false)
    .describe(
      "format=csv only: cells exactly as stored. By default a text cell starting with = + - @, a tab or a carriage return is prefixed with ' so that a spreadsheet does not run it as a formula",
    ),
  ...ExportParams.shape,
});

/** GET /v1/invoices (list, filter, sort, page, export) and GET /v1/invoices/:id. */
export const invoiceRoutes: RouteModule = (app, deps) => {
  const { db } = deps;

  app.get(
    '/v1/invoices',
    {
      preHandler: requireScope(db, 'read'),
      schema: {
        tags: ['invoices'],
        operationId: 'listInvoices',
        summary: 'List, filter and export invoices',
        description:
          "The latest version of each document's invoice record. Filters combine with AND; pages are keyset-paginated " +
          '(pass nextCursor as cursor with the same sort). format=csv or jsonl streams every matching invoice (amounts as exact decimals).',
        security: BEARER,
        querystring: InvoiceListQuery,
        response: {
          200: {
            description: 'A page of invoices (json), or every matching invoice (csv, jsonl)',
            content: {
              'application/json': { schema: pageOf(InvoiceSummary) },
              'text/csv': { schema: z.string().describe('CSV with a header row; columns as the InvoiceSummary fields, with fileName (the file name as received) after documentId') },
              'application/x-ndjson': { schema: z.string().describe('One InvoiceSummary JSON object (with fileName) per line') },
            },
          },
          ...problems(400, 401, 403, 429, 500),
        },
      },
    },
    async (request, reply) => {
      const { sort, limit, cursor, format, raw, bom, includeReview, ...filters } = request.query;
      if (format !== 'json') {
        const table = invoiceExport(db, filters, sort, { includeReview });
        const stamp = new Date().toISOString().slice(0, 10);
        return reply
          .code(200)
          .type(EXPORT_CONTENT_TYPES[format])
          .header('content-disposition', contentDisposition(`invoices-${stamp}.${format}`))
          // A stream is sent as is (no serializer); the schema above describes its text.
          .send(writeTable(format, table, { raw, bom }) as never);
      }
      const after = cursor ? decodeCursor(cursor, { scope: 'invoices', sort, type: invoiceSortColumn(sort).type }) : null;
      const rows = await findInvoices(db, filters, sort, limit + 1, after);
      return reply.type('application/json').send(toPage(rows, limit, { scope: 'invoices', sort }, invoiceListItem));
    },
  );

  app.get(
    '/v1/invoices/:id',
    {
      preHandler: requireScope(db, 'read'),
      schema: {
        tags: ['invoices'],
        operationId: 'getInvoice',
        summary: 'One invoice record with its line items and per-field evidence',
        security: BEARER,
        params: z.object({ id: Id.describe('The invoice record id') }),
        response: { 200: InvoiceDetail, ...problems(400, 401, 403, 404, 429, 500) },
      },
    },
    async (request) => {
      const row = await findInvoice(db, request.params.id);
      if (!row) throw new HttpProblem(404, 'Not found', `No invoice ${request.params.id}.`);
      const record = await loadInvoiceRecord(db, row);
      return {
        ...record,
        documentId: row.document_id,
        status: row.document_status,
        isLatest: !row.superseded,
        createdAt: row.created_at.toISOString(),
      };
    },
  );
};
