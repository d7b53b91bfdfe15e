import type { CursorState, SortValueType } from '../db/keyset.ts';
import { HttpProblem } from './problem.ts';

// The SQL side (sort columns, ordering, the rows after a cursor) lives with the repositories.
export { afterCursor, orderModifier, parseSort, sortValueText } from '../db/keyset.ts';
export type { CursorState, Direction, SortColumn, SortValueType } from '../db/keyset.ts';

/**
 * Keyset (cursor) pagination on (sort value, id), never OFFSET.
 *
 * Rows are ordered by the sort expression in the asked direction with NULLs
 * last in BOTH directions, then by id in the same direction. A page asks for
 * `limit + 1` rows to know whether another page follows; the cursor names the
 * last row returned: its sort value (as text, exact) and its id.
 *
 * The cursor is opaque to clients: base64url of JSON
 * `{"scope":"invoices","sort":"-issueDate","value":"2024-03-01","id":"<uuid>"}`.
 * It is rejected (400 "Invalid cursor") when it is not such a JSON object, when its
 * value does not have the shape of the sort column's type, or when it was made for
 * another listing or another sort.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VALUE_SHAPES: Record<SortValueType, RegExp> = {
  date: /^\d{4}-\d{2}-\d{2}$/,
  // Microsecond precision (Postgres timestamptz), UTC, as sortValueText renders it.
  timestamp: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/,
  decimal: /^-?\d{1,30}(\.\d{1,12})?$/,
  text: /^[\s\S]{0,2000}$/,
};

export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify({ scope: state.scope, sort: state.sort, value: state.value, id: state.id }), 'utf8').toString(
    'base64url',
  );
}

/**
 * Reads a cursor made by encodeCursor for this listing (`scope`) and sort, with a
 * value of `type`. Anything else is a 400 problem "Invalid cursor".
 */
export function decodeCursor(cursor: string, expected: { scope: string; sort: string; type: SortValueType }): CursorState {
  const invalid = (why: string) => new HttpProblem(400, 'Invalid cursor', `The cursor parameter is not valid: ${why}. Start again without a cursor.`);
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(cursor)) throw invalid('it is not a cursor returned by this API');
  let parsed: unknown;
  try {
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    // Round trip: a string that is not canonical base64url of its content was altered.
    if (Buffer.from(text, 'utf8').toString('base64url') !== cursor) throw new Error('not canonical');
    parsed = JSON.parse(text);
  } catch {
    throw invalid('it is not a cursor returned by this API');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('it is not a cursor returned by this API');
  const { scope, sort, value, id, ...rest } = parsed as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof scope !== 'string' || typeof sort !== 'string' || typeof id !== 'string') {
    throw invalid('it is not a cursor returned by this API');
  }
  if (scope !== expected.scope) throw invalid(`it was made for another listing (${scope})`);
  if (sort !== expected.sort) throw invalid(`it was made for sort=${sort}, not sort=${expected.sort}`);
  if (!UUID.test(id)) throw invalid('it has been altered');
  if (value !== null && (typeof value !== 'string' || !VALUE_SHAPES[expected.type].test(value))) throw invalid('it has been altered');
  return { scope, sort, value: value as string | null, id };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Turns `limit + 1` fetched rows into a page: at most `limit` items and, when more
 * rows follow, the cursor of the last item.
 */
export function toPage<R extends { id: string; sort_value: string | null }, T>(
  rows: R[],
  limit: number,
  cursorOf: { scope: string; sort: string },
  map: (row: R) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const nextCursor =
    rows.length > limit && last ? encodeCursor({ scope: cursorOf.scope, sort: cursorOf.sort, value: last.sort_value, id: last.id }) : null;
  return { items: items.map(map), nextCursor };
}
