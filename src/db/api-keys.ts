import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { ApiKeyRow } from './schema.ts';
import type { Db } from './database.ts';

export const API_SCOPES = ['read', 'write', 'review'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** The whole key's sha256: keys are 32 random bytes, so a fast hash is safe (no guessing to slow down). */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Creates a key: `dr_<id>_<secret>`. Only its hash is stored; the key is returned
 * once, to be shown once.
 */
export async function createApiKey(db: Db, name: string, scopes: readonly ApiScope[]): Promise<{ id: string; key: string }> {
  const id = randomBytes(6).toString('hex');
  const key = `dr_${id}_${randomBytes(32).toString('base64url')}`;
  await db.insertInto('api_keys').values({ id, name, key_hash: hashKey(key), scopes: [...new Set(scopes)] }).execute();
  return { id, key };
}

export async function revokeApiKey(db: Db, id: string): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql`now()` })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function listApiKeys(db: Db): Promise<Omit<ApiKeyRow, 'key_hash'>[]> {
  return db
    .selectFrom('api_keys')
    .select(['id', 'name', 'scopes', 'created_at', 'revoked_at', 'last_used_at'])
    .orderBy('created_at')
    .execute();
}

/** The active key a presented secret belongs to, or null. Compared in constant time. */
export async function findActiveKey(db: Db, presented: string): Promise<Pick<ApiKeyRow, 'id' | 'name' | 'scopes'> | null> {
  const match = /^dr_([0-9a-f]{12})_[A-Za-z0-9_-]{20,}$/.exec(presented);
  if (!match) return null;
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'name', 'scopes', 'key_hash'])
    .where('id', '=', match[1] as string)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  const expected = Buffer.from(row.key_hash, 'hex');
  const actual = Buffer.from(hashKey(presented), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  // Best effort: when a key was last used is for humans, not for correctness.
  void db.updateTable('api_keys').set({ last_used_at: sql`now()` }).where('id', '=', row.id).execute().catch(() => undefined);
  return { id: row.id, name: row.name, scopes: row.scopes };
}

/** When a key was revoked (null: active), or undefined when no key has this id. */
export async function findApiKeyRevocation(db: Db, id: string): Promise<{ revokedAt: Date | null } | undefined> {
  const row = await db.selectFrom('api_keys').select(['revoked_at']).where('id', '=', id).executeTakeFirst();
  return row ? { revokedAt: row.revoked_at } : undefined;
}
