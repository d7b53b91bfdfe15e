import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, parseSort } from '../../src/api/pagination.ts';
import { HttpProblem } from '../../src/api/problem.ts';

const ID = '0b7f0c9e-3f4a-4c1e-9a55-2f8d2d3c1a10';
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');

function rejection(cursor: string, expected: Parameters<typeof decodeCursor>[1]): HttpProblem {
  try {
    decodeCursor(cursor, expected);
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
  throw new Error('the cursor was accepted');
}

describe('cursor encoding', () => {
  it('round-trips each value type, including a null sort value', () => {
    const cases = [
      { scope: 'invoices', sort: '-issueDate', value: '2024-02-29', id: ID, type: 'date' as const },
      { scope: 'invoices', sort: 'issueDate', value: null, id: ID, type: 'date' as const },
      { scope: 'invoices', sort: 'total', value: '-1234.500000', id: ID, type: 'decimal' as const },
      { scope: 'documents', sort: '-createdAt', value: '2026-01-02T03:04:05.123456Z', id: ID, type: 'timestamp' as const },
      { scope: 'invoices', sort: 'vendor', value: 'ünïcode "quoted" 100% _x_', id: ID, type: 'text' as const },
    ];
    for (const { type, ...state } of cases) {
      const cursor = encodeCursor(state);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(cursor, { scope: state.scope, sort: state.sort, type })).toEqual(state);
    }
  });

  it('is base64url of JSON with the scope, sort, value and id', () => {
    const cursor = encodeCursor({ scope: 'invoices', sort: '-total', value: '10.50', id: ID });
    expect(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).toEqual({ scope: 'invoices', sort: '-total', value: '10.50', id: ID });
  });

  it('rejects malformed, altered and foreign cursors with 400 "Invalid cursor"', () => {
    const expected = { scope: 'invoices', sort: '-issueDate', type: 'date' as const };
    const good = { scope: 'invoices', sort: '-issueDate', value: '2024-01-31', id: ID };
    const bad = [
      '',
      'not a cursor!',
      '%%%',
      b64('not json'),
      b64('[1,2]'),
      b64('null'),
      b64({ ...good, id: 'x' }), // id not a uuid
      b64({ ...good, value: '2024-13-99x' }), // value not a date
      b64({ ...good, value: '2024-13-45' }), // the shape of a date, but no such date (Postgres would refuse the cast: 500)
      b64({ ...good, value: '2023-02-29' }), // no 29 February that year
      b64({ ...good, value: '0000-01-01' }), // no year 0
      b64({ ...good, value: 20240131 }), // value not a string
      b64({ ...good, extra: 1 }), // unknown member
      b64({ scope: 'invoices', sort: '-issueDate', id: ID }), // value missing
      b64({ ...good, value: "2024-01-31' or 1=1 --" }),
      encodeCursor(good) + 'A', // appended to
      encodeCursor(good).slice(0, -2), // truncated
    ];
    for (const cursor of bad) {
      const problem = rejection(cursor, expected);
      expect(problem.status).toBe(400);
      expect(problem.title).toBe('Invalid cursor');
    }
    // Made for another sort, or another listing.
    expect(rejection(encodeCursor({ ...good, sort: 'issueDate' }), expected).message).toMatch(/sort=issueDate/);
    expect(rejection(encodeCursor({ ...good, scope: 'contracts' }), expected).message).toMatch(/another listing/);
    // A timestamp at an hour that does not exist.
    expect(
      rejection(encodeCursor({ ...good, sort: '-createdAt', value: '2024-01-31T25:61:00.000000Z' }), { scope: 'invoices', sort: '-createdAt', type: 'timestamp' })
        .title,
    ).toBe('Invalid cursor');
    // A decimal value where a timestamp is expected.
    expect(rejection(encodeCursor({ ...good, sort: '-createdAt', value: '12.5' }), { scope: 'invoices', sort: '-createdAt', type: 'timestamp' }).status).toBe(400);
  });

  it('parses sort directions', () => {
    expect(parseSort('-issueDate')).toEqual({ key: 'issueDate', direction: 'desc' });
    expect(parseSort('total')).toEqual({ key: 'total', direction: 'asc' });
  });
});
