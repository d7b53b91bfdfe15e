import { sql } from 'kysely';
import type { DocumentStatusColumn } from './schema.ts';
import type { Db } from './database.ts';

/** One line of `docroute list`: a document and the headline of its latest record. */
export interface DocumentListItem {
  documentId: string;
  sha256: string;
  file: string;
  status: DocumentStatusColumn;
  kind: 'invoice' | 'contract' | 'other' | null;
  route: string[];
  /** Invoice: "1234.50 EUR" from its latest record version. */
  total: string | null;
  /** Contract: its parties' names, from its latest record version. */
  parties: string[] | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * The most recent documents (newest first), optionally in one status, with the
 * total of an invoice's or the parties of a contract's latest record version.
 */
export async function listRecentDocuments(
  db: Db,
  filter: { status?: DocumentStatusColumn; limit: number; /** Only the documents with these contents. */ sha256s?: readonly string[] },
): Promise<DocumentListItem[]> {
  if (filter.sha256s?.length === 0) return [];
  let query = db
    .selectFrom('documents as d')
    .select(['d.id', 'd.sha256', 'd.file_name', 'd.status', 'd.kind', 'd.route', 'd.created_at', 'd.updated_at'])
    .select((eb) => [
      eb
        .selectFrom('invoices as i')
        .select(sql<string | null>`case when i.total is null then null else concat(i.total::text, ' ', coalesce(i.currency, '')) end`.as('t'))
        .whereRef('i.document_id', '=', 'd.id')
        .orderBy('i.version', 'desc')
        .limit(1)
        .as('total'),
      eb
        .selectFrom('contracts as c')
        .select(
          sql<string[] | null>`(select array_agg(p.name order by p.position) from contract_parties p where p.contract_id = c.id)`.as('p'),
        )
        .whereRef('c.document_id', '=', 'd.id')
        .orderBy('c.version', 'desc')
        .limit(1)
        .as('parties'),
    ])
    .orderBy('d.created_at', 'desc')
    .orderBy('d.id', 'desc')
    .limit(filter.limit);
  if (filter.status) query = query.where('d.status', '=', filter.status);
  if (filter.sha256s) query = query.where('d.sha256', 'in', filter.sha256s);
  const rows = await query.execute();
  return rows.map((r) => ({
    documentId: r.id,
    sha256: r.sha256,
    file: r.file_name,
    status: r.status,
    kind: r.kind,
    route: r.route,
    total: r.total ? amountText(r.total.trim()) : null,
    parties: r.parties ?? null,
    createdAt: new Date(r.created_at as unknown as string).toISOString(),
    updatedAt: new Date(r.updated_at as unknown as string).toISOString(),
  }));
}

/** "8288.350000 EUR" → "8288.35 EUR": the stored scale's trailing zeros dropped, at least two decimals kept. */
function amountText(text: string): string {
  return text.replace(/^(-?\d+)\.(\d*?)0*(\s|$)/, (_m, int: string, frac: string, end: string) => `${int}.${frac.padEnd(2, '0')}${end}`);
}
