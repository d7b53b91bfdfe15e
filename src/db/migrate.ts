import { promises as fs } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { FileMigrationProvider, Migrator, type MigrationResult } from 'kysely/migration';
import type { Db } from './database.ts';

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '..', '..', 'migrations');

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Brings the schema to the latest migration. Kysely's migrator takes a lock, so
 * several processes starting at once (CLI, worker, API) are safe.
 */
export async function migrateToLatest(db: Db): Promise<MigrationResult[]> {
  const migrator = new Migrator({
    // `Kysely<Database>` is fine here: migrations themselves take `Kysely<any>`.
    db,
    provider: new FileMigrationProvider({ fs, path, migrationFolder: MIGRATIONS_DIR }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new MigrationError(
      `migration ${failed?.migrationName ?? '(unknown)'} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return results ?? [];
}

/**
 * True when every migration file in migrations/ is recorded as applied (kysely's
 * own table), read without importing the files: the cheap check a command makes
 * before deciding to run the migrator. Any doubt (no table yet) says false.
 */
export async function schemaIsCurrent(db: Db): Promise<boolean> {
  const files = (await fs.readdir(MIGRATIONS_DIR)).filter((f) => /\.(ts|js|mjs)$/.test(f) && !f.endsWith('.d.ts')).map((f) => f.replace(/\.(ts|js|mjs)$/, ''));
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    const applied = new Set(rows.map((r) => r.name));
    return files.every((f) => applied.has(f));
  } catch {
    return false;
  }
}
