import { createDb, type Db } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { startPostgres } from '../services/postgres.ts';
import type { CliContext } from './main.ts';

/** Runs a command against Postgres only (no Temporal, no worker). */
export async function withDb<T>({ config, log }: CliContext, run: (db: Db) => Promise<T>): Promise<T> {
  const postgres = await startPostgres(config, log);
  const db = createDb(postgres.url, { max: 2 });
  try {
    await migrateToLatest(db);
    return await run(db);
  } finally {
    await db.destroy();
    await postgres.stop();
  }
}
