import { createDb } from '../../db/database.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { startPostgres } from '../../services/postgres.ts';
import type { CliContext } from '../main.ts';

export async function migrateCommand({ config, log }: CliContext): Promise<void> {
  const postgres = await startPostgres(config, log);
  const db = createDb(postgres.url, { max: 1 });
  try {
    const results = await migrateToLatest(db);
    if (results.length === 0) process.stdout.write('schema is up to date\n');
    for (const r of results) process.stdout.write(`${r.status === 'Success' ? 'applied' : r.status}: ${r.migrationName}\n`);
  } finally {
    await db.destroy();
    await postgres.stop();
  }
}
