import { openDbRuntime } from '../app/runtime.ts';
import type { Db } from '../db/database.ts';
import type { CliContext } from './main.ts';

/**
 * Runs a read (or key-management) command against Postgres only: no Temporal, no
 * worker. This data dir's running embedded PostgreSQL is used as it is; only
 * when none runs is one started, for the command's duration.
 */
export async function withDb<T>({ config, log }: CliContext, run: (db: Db) => Promise<T>): Promise<T> {
  const runtime = await openDbRuntime(config, log);
  try {
    return await run(runtime.db);
  } finally {
    await runtime.close();
  }
}
