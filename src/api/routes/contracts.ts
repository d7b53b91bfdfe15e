import { z } from 'zod';
import { DocumentStatus } from '../../../schemas/index.ts';
import { CONTRACT_SORTS, contractListItem, contractSortColumn, findContract, findContractParties, findContracts, type ContractFilter } from '../../db/contracts.ts';
import { loadContractRecord } from '../../db/records.ts';
import { contractExport } from '../../exports/contracts.ts';
import { contentDisposition, EXPORT_CONTENT_TYPES, writeTable } from '../../exports/writers.ts';
import { BEARER, requireScope } from '../auth.ts';
import { decodeCursor, toPage } from '../pagination.ts';
import { HttpProblem } from '../problem.ts';
import { ContractDetail, ContractSummary, CursorParam, DateParam, Id, LimitParam, pageOf, problems, SearchParam } from '../schemas.ts';
import type { RouteModule } from '../types.ts';
import { ExportParams } from './invoices.ts';

/** The listing's filters (GET /v1/contracts and `docroute export contracts`: same names, same errors). */
export const ContractFilters = z.object({
  party: SearchParam.optional().describe('Prefix of any party name, case-insensitive (% and _ are literal)'),
  governingLaw: SearchParam.optional().describe('Governing law, case-insensitive exact match (e.g. "delaware")'),
  effectiveFrom: DateParam.optional().describe('Effective date on or after (YYYY-MM-DD)'),
  effectiveTo: DateParam.optional().describe('Effective date on or before (YYYY-MM-DD)'),
  expirationFrom: DateParam.optional().describe('Expiration date on or after (YYYY-MM-DD)'),
  expirationTo: DateParam.optional().describe('Expiration date on or before (YYYY-MM-DD)'),
  status: DocumentStatus.optional().describe("The document's status"),
}) satisfies z.ZodType<ContractFilter>;

export const ContractSort = z.enum(CONTRACT_SORTS).default('-createdAt').describe('Sort key; "-" for descending. NULLs come last either way.');

const ContractListQuery = ContractFilters.extend({
  sort: ContractSort,
  limit: LimitParam,
  cursor: CursorParam.optional(),
  format: z
    .enum(['json', 'csv', 'jsonl'])
    .default('json')
    .describe('json: one page; csv or jsonl: every matching contract in one download (limit and cursor do not apply)'),
  raw: z
    .stringbool()
    .default(false)
    .describe("format=csv only: cells exactly as stored, without the ' before a cell a spreadsheet would run as a formula"),
  ...ExportParams.shape,
});

/** GET /v1/contracts (list, filter, sort, page) and GET /v1/contracts/:id. */
export const contractRoutes: RouteModule = (app, deps) => {
  const { db } = deps;

  app.get(
    '/v1/contracts',
    {
      preHandler: requireScope(db, 'read'),
      schema: {
        tags: ['contracts'],
        operationId: 'listContracts',
        summary: 'List, filter and export contracts',
        description:
          "The latest version of each document's contract record, with its parties. Keyset-paginated: pass nextCursor as cursor with the same sort. " +
          'format=csv or jsonl streams every matching contract (in CSV the parties as "Name (role); Name", durations as "12 months").',
        security: BEARER,
        querystring: ContractListQuery,
        response: {
          200: {
            description: 'A page of contracts (json), or every matching contract (csv, jsonl)',
            content: {
              'application/json': { schema: pageOf(ContractSummary) },
              'text/csv': { schema: z.string().describe('CSV with a header row; columns as the ContractSummary fields, with fileName after documentId') },
              'application/x-ndjson': { schema: z.string().describe('One ContractSummary JSON object (with fileName) per line') },
            },
          },
          ...problems(400, 401, 403, 429, 500),
        },
      },
    },
    async (request, reply) => {
      const { sort, limit, cursor, format, raw, bom, includeReview, ...filters } = request.query;
      if (format !== 'json') {
        const table = contractExport(db, filters, sort, { includeReview });
        const stamp = new Date().toISOString().slice(0, 10);
        return reply
          .code(200)
          .type(EXPORT_CONTENT_TYPES[format])
          .header('content-disposition', contentDisposition(`contracts-${stamp}.${format}`))
          // A stream is sent as is (no serializer); the schema above describes its text.
          .send(writeTable(format, table, { raw, bom }) as never);
      }
      const after = cursor ? decodeCursor(cursor, { scope: 'contracts', sort, type: contractSortColumn(sort).type }) : null;
      const rows = await findContracts(db, filters, sort, limit + 1, after);
      const ids = rows.slice(0, limit).map((r) => r.id);
      const parties = await findContractParties(db, ids);
      return reply.type('application/json').send(toPage(rows, limit, { scope: 'contracts', sort }, (row) => contractListItem(row, parties)));
    },
  );

  app.get(
    '/v1/contracts/:id',
    {
      preHandler: requireScope(db, 'read'),
      schema: {
        tags: ['contracts'],
        operationId: 'getContract',
        summary: 'One contract record with its parties and per-field evidence',
        security: BEARER,
        params: z.object({ id: Id.describe('The contract record id') }),
        response: { 200: ContractDetail, ...problems(400, 401, 403, 404, 429, 500) },
      },
    },
    async (request) => {
      const row = await findContract(db, request.params.id);
      if (!row) throw new HttpProblem(404, 'Not found', `No contract ${request.params.id}.`);
      const record = await loadContractRecord(db, row);
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
