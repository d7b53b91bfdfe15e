import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

// Keep `date` columns as the text Postgres sends ("2024-03-01"): turning them into
// JS Dates would shift them by the process's time zone.
const DATE_OID = 1082;
pg.types.setTypeParser(DATE_OID, (value: string) => value);

/** Opens a pooled Kysely instance. Call `destroy()` when done. */
export function createDb(connectionString: string, options: { max?: number } = {}): Db {
  // A connect that hangs (a server starting up, a dropped network) fails after 10 s instead of
  // holding a request forever; the API answers it 503, the CLI and activities retry.
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10, connectionTimeoutMillis: 10_000 });
  // An idle client that loses its connection (server restart) must not crash the process.
  pool.on('error', () => undefined);
  // Nor must a client that loses it while checked out (between the queries of a transaction):
  // pg emits 'error' on it with no listener (an unhandled 'error' event kills the process);
  // the query in flight, or the next one, fails with the error instead.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Whether the database answers a trivial query (readiness probes); throws when it does not. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
