import { z } from 'zod';
import { DocumentStatus } from '../../../schemas/index.ts';
import { CONTRACT_SORTS, contractSortColumn, findContract, findContractParties, findContracts, type ContractFilter } from '../../db/contracts.ts';
import { contractRecordFields, loadContractRecord } from '../../db/records.ts';
import { BEARER, requireScope } from '../auth.ts';
import { decodeCursor, toPage } from '../pagination.ts';
import { HttpProblem } from '../problem.ts';
import { ContractDetail, ContractSummary, CursorParam, DateParam, Id, LimitParam, pageOf, problems, SearchParam } from '../schemas.ts';
import type { RouteModule } from '../types.ts';

const ContractFilters = z.object({
  party: SearchParam.optional().describe('Prefix of any party name, case-insensitive (% and _ are literal)'),
  governingLaw: SearchParam.optional().describe('Governing law, case-insensitive exact match (e.g. "delaware")'),
  effectiveFrom: DateParam.optional().describe('Effective date on or after (YYYY-MM-DD)'),
  effectiveTo: DateParam.optional().describe('Effective date on or before (YYYY-MM-DD)'),
  expirationFrom: DateParam.optional().describe('Expiration date on or after (YYYY-MM-DD)'),
  expirationTo: DateParam.optional().describe('Expiration date on or before (YYYY-MM-DD)'),
  status: DocumentStatus.optional().describe("The document's status"),
}) satisfies z.ZodType<ContractFilter>;

const ContractListQuery = ContractFilters.extend({
  sort: z.enum(CONTRACT_SORTS).default('-createdAt').describe('Sort key; "-" for descending. NULLs come last either way.'),
  limit: LimitParam,
  cursor: CursorParam.optional(),
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
        summary: 'List and filter contracts',
        description:
          "The latest version of each document's contract record, with its parties. Keyset-paginated: pass nextCursor as cursor with the same sort.",
        security: BEARER,
        querystring: ContractListQuery,
        response: { 200: pageOf(ContractSummary), ...problems(400, 401, 403, 429, 500) },
      },
    },
    async (request) => {
      const { sort, limit, cursor, ...filters } = request.query;
      const after = cursor ? decodeCursor(cursor, { scope: 'contracts', sort, type: contractSortColumn(sort).type }) : null;
      const rows = await findContracts(db, filters, sort, limit + 1, after);
      const ids = rows.slice(0, limit).map((r) => r.id);
      const parties = await findContractParties(db, ids);
      return toPage(rows, limit, { scope: 'contracts', sort }, (row) => {
        const { kind: _kind, ...fields } = contractRecordFields(row);
        return {
          ...fields,
          documentId: row.document_id,
          status: row.document_status,
          parties: parties.filter((p) => p.contract_id === row.id).map((p) => ({ name: p.name, role: p.role })),
          createdAt: row.created_at.toISOString(),
        };
      });
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
