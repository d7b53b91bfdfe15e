import { sql, type Expression, type OrderByModifiersCallbackExpression, type RawBuilder } from 'kysely';

/**
 * Keyset (cursor) pagination in SQL, on (sort value, id), never OFFSET.
 *
 * Rows are ordered by the sort expression in the asked direction with NULLs
 * last in BOTH directions, then by id in the same direction. The repositories'
 * listings (findInvoices, findContracts, ...) use these; the opaque cursor that
 * clients see is src/api/pagination.ts.
 */

/** How a sort column's values look, in the cursor and in SQL. */
export type SortValueType = 'date' | 'timestamp' | 'decimal' | 'text';

export interface SortColumn {
  /** The expression rows are ordered by (a column ref or e.g. lower(name)). */
  expr: Expression<unknown>;
  type: SortValueType;
}

export type Direction = 'asc' | 'desc';

export interface CursorState {
  /** The listing the cursor belongs to ("invoices", "contracts", "documents"). */
  scope: string;
  /** The sort parameter as the client gave it, e.g. "-issueDate". */
  sort: string;
  /** The last row's sort value as exact text, or null when that row had none. */
  value: string | null;
  /** The last row's id. */
  id: string;
}

/** "-issueDate" → { key: "issueDate", direction: "desc" }. */
export function parseSort<K extends string>(sort: `${'' | '-'}${K}`): { key: K; direction: Direction } {
  return sort.startsWith('-') ? { key: sort.slice(1) as K, direction: 'desc' } : { key: sort as K, direction: 'asc' };
}

/** The sort value as exact text, for the cursor (timestamps to the microsecond, in UTC). */
export function sortValueText(column: SortColumn): RawBuilder<string | null> {
  switch (column.type) {
    case 'date':
      return sql<string | null>`to_char(${column.expr}, 'YYYY-MM-DD')`;
    case 'timestamp':
      return sql<string | null>`to_char(${column.expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    case 'decimal':
      return sql<string | null>`(${column.expr})::text`;
    case 'text':
      return sql<string | null>`${column.expr}`;
  }
}

function typed(column: SortColumn, value: string): RawBuilder<unknown> {
  switch (column.type) {
    case 'date':
      return sql`cast(${value} as date)`;
    case 'timestamp':
      return sql`cast(${value} as timestamptz)`;
    case 'decimal':
      return sql`cast(${value} as numeric)`;
    case 'text':
      return sql`cast(${value} as text)`;
  }
}

/**
 * The rows that come after the cursor's row in the order
 * `expr <direction> NULLS LAST, id <direction>`.
 */
export function afterCursor(column: SortColumn, idRef: Expression<string>, direction: Direction, after: CursorState): RawBuilder<boolean> {
  const idCmp = direction === 'asc' ? sql`${idRef} > ${after.id}` : sql`${idRef} < ${after.id}`;
  if (after.value === null) return sql<boolean>`(${column.expr} is null and ${idCmp})`;
  const v = typed(column, after.value);
  const beyond = direction === 'asc' ? sql`${column.expr} > ${v}` : sql`${column.expr} < ${v}`;
  return sql<boolean>`(${beyond} or (${column.expr} = ${v} and ${idCmp}) or ${column.expr} is null)`;
}

/** ORDER BY modifiers for the sort expression: NULLs last in both directions. */
export function orderModifier(direction: Direction): OrderByModifiersCallbackExpression {
  return (ob) => (direction === 'asc' ? ob.asc() : ob.desc()).nullsLast();
}
