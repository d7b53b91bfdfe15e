import { sql } from 'kysely';
import type { Db } from './database.ts';
import { afterCursor, orderModifier, parseSort, sortValueText, type CursorState, type SortColumn } from './keyset.ts';
import { escapeLike } from './like.ts';
import { contractRecordFields, type ContractRecordFields } from './records.ts';
import type { DocumentStatusColumn } from './schema.ts';
import { findRecordVersion, superseded } from './versions.ts';

/**
 * Contract records: the listing (filters, sorts, keyset pages) of GET /v1/contracts,
 * one version by id, and parties by contract. Writing a version is records.ts
 * (insertContractVersion).
 */

/** What a listing may filter on; every filter given must hold (AND). Validated by the API's ContractFilters. */
export interface ContractFilter {
  /** Prefix of any party's name, case-insensitive; % and _ are literal. */
  party?: string;
  /** Case-insensitive exact match. */
  governingLaw?: string;
  effectiveFrom?: string;
  effectiveTo?: string;
  expirationFrom?: string;
  expirationTo?: string;
  status?: DocumentStatusColumn;
}

export const CONTRACT_SORTS = ['effectiveDate', '-effectiveDate', 'expirationDate', '-expirationDate', 'createdAt', '-createdAt'] as const;
export type ContractSort = (typeof CONTRACT_SORTS)[number];
type ContractSortKey = 'effectiveDate' | 'expirationDate' | 'createdAt';

const SORT_COLUMNS: Record<ContractSortKey, SortColumn> = {
  effectiveDate: { expr: sql.ref('c.effective_date'), type: 'date' },
  expirationDate: { expr: sql.ref('c.expiration_date'), type: 'date' },
  createdAt: { expr: sql.ref('c.created_at'), type: 'timestamp' },
};

export function contractSortColumn(sort: ContractSort): SortColumn {
  return SORT_COLUMNS[parseSort<ContractSortKey>(sort).key];
}

function latestContracts(db: Db, f: ContractFilter) {
  let q = db
    .selectFrom('contracts as c')
    .innerJoin('documents as d', 'd.id', 'c.document_id')
    .selectAll('c')
    .select(['d.status as document_status', 'd.file_name as document_file_name', 'd.review_reasons as document_review_reasons'])
    .where(({ not }) => not(superseded('contracts', 'c')));
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

/**
 * Up to `limit` of the latest contract versions matching `filter`, after `after`
 * (a decoded cursor), in `sort` order; each row carries its `sort_value` for the next cursor.
 */
export async function findContracts(db: Db, filter: ContractFilter, sort: ContractSort, limit: number, after: CursorState | null) {
  const { direction } = parseSort<ContractSortKey>(sort);
  const column = contractSortColumn(sort);
  let q = latestContracts(db, filter).select(sortValueText(column).as('sort_value'));
  if (after) q = q.where(afterCursor(column, sql.ref('c.id'), direction, after));
  return q.orderBy(column.expr, orderModifier(direction)).orderBy('c.id', direction).limit(limit).execute();
}

export type ContractListRow = Awaited<ReturnType<typeof findContracts>>[number];

/** One contract in a listing or export: the record's fields, its parties, document and status. */
export type ContractListItem = Omit<ContractRecordFields, 'kind'> & {
  documentId: string;
  status: DocumentStatusColumn;
  parties: { name: string; role: string | null }[];
  createdAt: string;
};

/** A listing row in the shape the API's ContractSummary and the exports show, with its parties (from findContractParties). */
export function contractListItem(row: ContractListRow, parties: readonly { contract_id: string; name: string; role: string | null }[]): ContractListItem {
  const { kind: _kind, ...fields } = contractRecordFields(row);
  return {
    ...fields,
    documentId: row.document_id,
    status: row.document_status,
    parties: parties.filter((p) => p.contract_id === row.id).map((p) => ({ name: p.name, role: p.role })),
    createdAt: row.created_at.toISOString(),
  };
}

/** The parties (name and role) of the given contract versions, in their order. */
export async function findContractParties(db: Db, contractIds: readonly string[]) {
  if (contractIds.length === 0) return [];
  return db
    .selectFrom('contract_parties')
    .select(['contract_id', 'name', 'role'])
    .where('contract_id', 'in', contractIds)
    .orderBy('contract_id')
    .orderBy('position')
    .execute();
}

/** One contract version by id, with its document's status and whether a newer version exists. */
export async function findContract(db: Db, id: string) {
  return findRecordVersion(db, 'contracts', id);
}
