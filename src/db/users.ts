import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { ConsoleRole, ConsoleUserRow } from './schema.ts';
import type { Db } from './database.ts';

/** Reviewer accounts and their sign-in sessions (the review console). */

export type { ConsoleRole };
export const CONSOLE_ROLES: readonly ConsoleRole[] = ['admin', 'reviewer', 'viewer'];

export interface ConsoleUser {
  id: string;
  name: string;
  role: ConsoleRole;
}

/** Roles that may decide documents in review. */
export const canReview = (role: ConsoleRole) => role === 'reviewer' || role === 'admin';

export async function createUser(db: Db, input: { name: string; role: ConsoleRole; passwordHash: string | null }): Promise<ConsoleUser> {
  const row = await db
    .insertInto('console_users')
    .values({ name: input.name, role: input.role, password_hash: input.passwordHash })
    .returning(['id', 'name', 'role'])
    .executeTakeFirstOrThrow();
  return row;
}

export async function findUserByName(db: Db, name: string): Promise<ConsoleUserRow | undefined> {
  return db.selectFrom('console_users').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function listUsers(db: Db): Promise<ConsoleUserRow[]> {
  return db.selectFrom('console_users').selectAll().orderBy('name').execute();
}

/** Sets (or resets, with null: set again on next sign-in) a password and clears the lockout. */
export async function setPasswordHash(db: Db, userId: string, passwordHash: string | null): Promise<void> {
  await db
    .updateTable('console_users')
    .set({ password_hash: passwordHash, failed_attempts: 0, locked_until: null })
    .where('id', '=', userId)
    .execute();
}

export async function setUserRole(db: Db, name: string, role: ConsoleRole): Promise<boolean> {
  const r = await db.updateTable('console_users').set({ role }).where('name', '=', name).executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** Disables an account and ends its sessions. */
export async function disableUser(db: Db, name: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const user = await trx
      .updateTable('console_users')
      .set({ disabled_at: sql`now()` })
      .where('name', '=', name)
      .returning('id')
      .executeTakeFirst();
    if (!user) return false;
    await trx.deleteFrom('console_sessions').where('user_id', '=', user.id).execute();
    await trx.deleteFrom('review_claims').where('user_id', '=', user.id).execute();
    return true;
  });
}

/**
 * A failed sign-in: counts it, and after `maxFailures` in a row locks the
 * account for `lockMinutes` (the count restarts when the lock ends).
 */
export async function recordFailedSignIn(db: Db, userId: string, maxFailures: number, lockMinutes: number): Promise<void> {
  await db
    .updateTable('console_users')
    .set((eb) => ({
      failed_attempts: sql<number>`case when ${eb.ref('failed_attempts')} + 1 >= ${maxFailures} then 0 else ${eb.ref('failed_attempts')} + 1 end`,
      locked_until: sql<Date | null>`case when ${eb.ref('failed_attempts')} + 1 >= ${maxFailures} then now() + make_interval(mins => ${lockMinutes}) else ${eb.ref('locked_until')} end`,
    }))
    .where('id', '=', userId)
    .execute();
}

export async function recordSignIn(db: Db, userId: string): Promise<void> {
  await db
    .updateTable('console_users')
    .set({ failed_attempts: 0, locked_until: null, last_sign_in_at: sql`now()` })
    .where('id', '=', userId)
    .execute();
}

// ---- sessions ------------------------------------------------------------------

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A new session: the token goes in the cookie (only its hash is stored), the CSRF token in the page. */
export async function createSession(db: Db, userId: string, hours: number): Promise<{ token: string; csrfToken: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await db
    .insertInto('console_sessions')
    .values({
      token_hash: hashToken(token),
      user_id: userId,
      csrf_token: csrfToken,
      expires_at: sql<Date>`now() + make_interval(hours => ${hours})`,
    })
    .execute();
  return { token, csrfToken };
}

export interface SessionUser extends ConsoleUser {
  csrfToken: string;
}

/**
 * The signed-in account for a cookie token, when the session is live (not
 * expired, idle less than `idleMinutes`, account enabled); touches it.
 */
export async function findSession(db: Db, token: string, idleMinutes: number): Promise<SessionUser | null> {
  const row = await db
    .updateTable('console_sessions')
    .set({ last_seen_at: sql`now()` })
    .from('console_users')
    .whereRef('console_users.id', '=', 'console_sessions.user_id')
    .where('console_sessions.token_hash', '=', hashToken(token))
    .where('console_sessions.expires_at', '>', sql<Date>`now()`)
    .where('console_sessions.last_seen_at', '>', sql<Date>`now() - make_interval(mins => ${idleMinutes})`)
    .where('console_users.disabled_at', 'is', null)
    .returning(['console_users.id', 'console_users.name', 'console_users.role', 'console_sessions.csrf_token'])
    .executeTakeFirst();
  return row ? { id: row.id, name: row.name, role: row.role, csrfToken: row.csrf_token } : null;
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('token_hash', '=', hashToken(token)).execute();
}
