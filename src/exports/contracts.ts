import { CONTRACT_SCALAR_FIELDS } from '../../schemas/index.ts';
import {
  contractListItem,
  findContractParties,
  findContracts,
  type ContractFilter,
  type ContractListItem,
  type ContractListRow,
  type ContractSort,
} from '../db/contracts.ts';
import type { Db } from '../db/database.ts';
import type { CursorState } from '../db/keyset.ts';
import {
  candidateColumns,
  candidateList,
  candidateScalars,
  documentsInReview,
  reasonsCell,
  recordColumns,
  REVIEW_COLUMNS,
  type ExportOptions,
  type InReviewDocument,
  type ValuesFrom,
} from './in-review.ts';
import type { ExportTable } from './writers.ts';

/**
 * Contract exports, as the invoice exports (src/exports/invoices.ts): GET
 * /v1/contracts?format=csv|jsonl and `docroute export contracts` write these rows.
 * JSON Lines keeps the parties as a list and durations as { count, unit }; CSV
 * writes them as text ("Acme Corp (Licensor); Globex (Licensee)", "12 months").
 */

/** One exported contract: a listing item (the API's ContractSummary), its source file, and where its values come from. */
export type ContractExportRow = Omit<ContractListItem, 'id' | 'version'> & {
  /** The record version's id; null for a document in review (no record yet). */
  id: string | null;
  version: number | null;
  fileName: string;
  valuesFrom: ValuesFrom;
  reviewReasons: string[];
};

/** The columns of a contract export, in order (ContractSummary's, with the file name after the document id). */
export const CONTRACT_COLUMNS = [
  'id',
  'documentId',
  'fileName',
  'status',
  'version',
  'source',
  'confidence',
  ...CONTRACT_SCALAR_FIELDS,
  'parties',
  'createdAt',
] as const satisfies readonly (keyof ContractExportRow)[];

/** "Acme Corp (Licensor); Globex" */
function partiesCell(value: unknown): string {
  if (!Array.isArray(value)) return String(value);
  return value.map((p: { name?: unknown; role?: unknown }) => (p.role ? `${String(p.name)} (${String(p.role)})` : String(p.name))).join('; ');
}

/** { count: 12, unit: 'months' } → "12 months" */
function durationCell(value: unknown): string {
  const d = value as { count?: unknown; unit?: unknown };
  return d.count !== undefined && d.unit !== undefined ? `${String(d.count)} ${String(d.unit)}` : JSON.stringify(value);
}

/**
 * Every matching contract (latest record versions) in `sort` order, read in keyset
 * batches; with `includeReview`, then every matching contract in review (its candidate's values).
 */
export function contractExport(db: Db, filters: ContractFilter, sort: ContractSort, options: ExportOptions = {}): ExportTable<ContractExportRow> {
  return {
    rows: (async function* () {
      yield* allContracts(db, filters, sort);
      if (options.includeReview) yield* contractsInReview(db, filters);
    })(),
    columns: options.includeReview ? [...CONTRACT_COLUMNS, ...REVIEW_COLUMNS] : CONTRACT_COLUMNS,
    cells: { parties: partiesCell, term: durationCell, noticePeriod: durationCell, reviewReasons: reasonsCell },
  };
}

async function* allContracts(db: Db, filters: ContractFilter, sort: ContractSort, batchSize = 500): AsyncGenerator<ContractExportRow> {
  let after: CursorState | null = null;
  for (;;) {
    const rows = await findContracts(db, filters, sort, batchSize, after);
    const parties = await findContractParties(db, rows.map((r) => r.id));
    for (const row of rows) yield recordRow(row, parties);
    const last = rows[rows.length - 1];
    if (rows.length < batchSize || !last) return;
    after = { scope: 'contracts', sort, value: last.sort_value, id: last.id };
  }
}

function recordRow(row: ContractListRow, parties: Parameters<typeof contractListItem>[1]): ContractExportRow {
  return { ...contractListItem(row, parties), ...recordColumns(row) };
}

async function* contractsInReview(db: Db, filters: ContractFilter): AsyncGenerator<ContractExportRow> {
  if (filters.status !== undefined && filters.status !== 'needs_review') return;
  for await (const doc of documentsInReview(db, 'contract')) {
    const row = contractCandidateRow(doc);
    if (matchesContractFilter(row, filters)) yield row;
  }
}

/** A contract in review as an export row: its candidate's values as the models gave them. */
export function contractCandidateRow(doc: InReviewDocument): ContractExportRow {
  const values = candidateScalars(doc, CONTRACT_SCALAR_FIELDS) as Pick<ContractListItem, (typeof CONTRACT_SCALAR_FIELDS)[number]>;
  return {
    ...candidateColumns(doc),
    ...values,
    parties: candidateList(doc.candidate?.fields, 'parties').map((p) => ({ name: String(p.name ?? ''), role: typeof p.role === 'string' ? p.role : null })),
  };
}

/**
 * The listing's filters (src/db/contracts.ts applies them in SQL) applied to a
 * candidate's values: party name prefix and governing law case-insensitive,
 * dates as exact text, an absent value never matching a filter on it.
 */
export function matchesContractFilter(row: Pick<ContractExportRow, 'parties' | 'governingLaw' | 'effectiveDate' | 'expirationDate' | 'status'>, f: ContractFilter): boolean {
  const within = (value: string | null, from?: string, to?: string) =>
    (from === undefined || (value !== null && value >= from)) && (to === undefined || (value !== null && value <= to));
  return (
    (f.party === undefined || row.parties.some((p) => p.name.toLowerCase().startsWith(f.party!.toLowerCase()))) &&
    (f.governingLaw === undefined || row.governingLaw?.toLowerCase() === f.governingLaw.toLowerCase()) &&
    within(row.effectiveDate, f.effectiveFrom, f.effectiveTo) &&
    within(row.expirationDate, f.expirationFrom, f.expirationTo) &&
    (f.status === undefined || row.status === f.status)
  );
}
