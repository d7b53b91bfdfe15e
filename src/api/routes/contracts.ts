import { sql } from 'kysely';
import { z } from 'zod';
import { DocumentStatus } from '../../../schemas/index.ts';
import type { Db } from '../../db/database.ts';
import { contractRecordFields, loadContractRecord } from '../../db/records.ts';
import { escapeLike } from '../../exports/invoices.ts';
import { BEARER, requireScope } from '../auth.ts';
import { afterCursor, decodeCursor, orderModifier, parseSort, sortValueText, toPage, type CursorState, type SortColumn } from '../pagination.ts';
import { HttpProblem } from '../problem.ts';
import { ContractDetail, ContractSummary, CursorParam, DateParam, Id, LimitParam, pageOf, problems, SearchParam } from '../schemas.ts';
import type { RouteModule } from '../types.ts';

const CONTRACT_SORTS = ['effectiveDate', '-effectiveDate', 'expirationDate', '-expirationDate', 'createdAt', '-createdAt'] as const;
type ContractSort = (typeof CONTRACT_SORTS)[number];
type ContractSortKey = 'effectiveDate' | 'expirationDate' | 'createdAt';

const SORT_COLUMNS: Record<ContractSortKey, SortColumn> = {
  effectiveDate: { expr: sql.ref('c.effective_date'), type: 'date' },
  expirationDate: { expr: sql.ref('c.expiration_date'), type: 'date' },
  createdAt: { expr: sql.ref('c.created_at'), type: 'timestamp' },
};

const ContractFilters = z.object({
  party: SearchParam.optional().describe('Prefix of any party name, case-insensitive (% and _ are literal)'),
  governingLaw: SearchParam.optional().describe('Governing law, case-insensitive exact match (e.g. "delaware")'),
  effectiveFrom: DateParam.optional().describe('Effective date on or after (YYYY-MM-DD)'),
  effectiveTo: DateParam.optional().describe('Effective date on or before (YYYY-MM-DD)'),
  expirationFrom: DateParam.optional().describe('Expiration date on or after (YYYY-MM-DD)'),
  expirationTo: DateParam.optional().describe('Expiration date on or before (YYYY-MM-DD)'),
  status: DocumentStatus.optional().describe("The document's status"),
});
type ContractFilters = z.infer<typeof ContractFilters>;

const ContractListQuery = ContractFilters.extend({
  sort: z.enum(CONTRACT_SORTS).default('-createdAt').describe('Sort key; "-" for descending. NULLs come last either way.'),
  limit: LimitParam,
  cursor: CursorParam.optional(),
});

function baseQuery(db: Db, f: ContractFilters) {
  let q = db
    .selectFrom('contracts as c')
    .innerJoin('documents as d', 'd.id', 'c.document_id')
    .selectAll('c')
    .select('d.status as document_status')
    // Only the latest version of each document's contract record.
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('contracts as newer')
            .select('newer.id')
            .whereRef('newer.document_id', '=', 'c.document_id')
            .whereRef('newer.version', '>', 'c.version'),
        ),
      ),
    );
  if (f.party !== undefined) {
    const pattern = escapeLike(f.party) + '%';
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('contract_parties as p')
          .select('p.id')
          .whereRef('p.contract_id', '=', 'c.id')
          .where(sql<boolean>`lower(${sql.ref('p.name')}) like lower(${pattern})`),
      ),
    );
  }
  if (f.governingLaw !== undefined) q = q.where(sql<boolean>`lower(${sql.ref('c.governing_law')}) = lower(${f.governingLaw})`);
  if (f.effectiveFrom !== undefined) q = q.where('c.effective_date', '>=', f.effectiveFrom);
  if (f.effectiveTo !== undefined) q = q.where('c.effective_date', '<=', f.effectiveTo);
  if (f.expirationFrom !== undefined) q = q.where('c.expiration_date', '>=', f.expirationFrom);
  if (f.expirationTo !== undefined) q = q.where('c.expiration_date', '<=', f.expirationTo);
  if (f.status !== undefined) q = q.where('d.status', '=', f.status);
  return q;
}

async function fetchContractRows(db: Db, filters: ContractFilters, sort: ContractSort, limit: number, after: CursorState | null) {
  const { key, direction } = parseSort<ContractSortKey>(sort);
  const column = SORT_COLUMNS[key];
  let q = baseQuery(db, filters).select(sortValueText(column).as('sort_value'));
  if (after) q = q.where(afterCursor(column, sql.ref('c.id'), direction, after));
  return q.orderBy(column.expr, orderModifier(direction)).orderBy('c.id', direction).limit(limit).execute();
}

/** GET /v1/contracts (list, filter, sort, page) and GET /v1/contracts/:id. */
export const contractRoutes: RouteModule = (app, deps) => {
  const { db } = deps;

  app.get(
    '/v1/contracts',
    {
      preHandler: requireScope(db, 'read'),
      schema: {
        tags: ['contracts'],
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
      const after = cursor ? decodeCursor(cursor, { scope: 'contracts', sort, type: SORT_COLUMNS[parseSort<ContractSortKey>(sort).key].type }) : null;
      const rows = await fetchContractRows(db, filters, sort, limit + 1, after);
      const ids = rows.slice(0, limit).map((r) => r.id);
      const parties =
        ids.length === 0
          ? []
          : await db
              .selectFrom('contract_parties')
              .select(['contract_id', 'name', 'role'])
              .where('contract_id', 'in', ids)
              .orderBy('contract_id')
              .orderBy('position')
              .execute();
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
        summary: 'One contract record with its parties and per-field evidence',
        security: BEARER,
        params: z.object({ id: Id.describe('The contract record id') }),
        response: { 200: ContractDetail, ...problems(400, 401, 403, 404, 429, 500) },
      },
    },
    async (request) => {
      const row = await db
        .selectFrom('contracts as c')
        .innerJoin('documents as d', 'd.id', 'c.document_id')
        .selectAll('c')
        .select('d.status as document_status')
        .select(({ exists, selectFrom }) =>
          exists(
            selectFrom('contracts as newer')
              .select('newer.id')
              .whereRef('newer.document_id', '=', 'c.document_id')
              .whereRef('newer.version', '>', 'c.version'),
          ).as('superseded'),
        )
        .where('c.id', '=', request.params.id)
        .executeTakeFirst();
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
