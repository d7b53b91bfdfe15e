import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/database.ts';
import { claimDocument, listReviewQueue, nextUnclaimed } from '../../src/db/review-queue.ts';
import { createUser } from '../../src/db/users.ts';
import { createTestDatabase } from '../support/harness.ts';

/*
 * Claims on documents in review lapse after inactivity (review-queue.ts,
 * `last_active_at`): a reviewer who walks away does not hold a document for
 * good. Against a real Postgres, whose clock decides; the claim is aged by
 * moving its last activity back, never by waiting.
 */

const CLAIM_MINUTES = 15;
let database: { url: string; drop(): Promise<void> };
let db: Db;
let clerk1: string;
let clerk2: string;
const docs: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url, { max: 2 });
  clerk1 = (await createUser(db, { name: 'clerk1', role: 'reviewer', passwordHash: null })).id;
  clerk2 = (await createUser(db, { name: 'clerk2', role: 'reviewer', passwordHash: null })).id;
  // Two documents in review, the first the older.
  for (const [i, minutesAgo] of [60, 30].entries()) {
    const row = await db
      .insertInto('documents')
      .values({
        sha256: randomUUID().replace(/-/g, '').padEnd(64, '0'),
        file_name: `in-review-${i + 1}.pdf`,
        size_bytes: 1000,
        workflow_id: `doc-${randomUUID()}`,
        status: 'needs_review',
        review_reasons: ['the deep tier is unavailable'],
        created_at: new Date(Date.now() - minutesAgo * 60_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    docs.push(row.id);
  }
});
afterAll(async () => {
  await db?.destroy();
  await database?.drop();
});

/** Moves the claim's last activity back by `minutes` from now. */
const lastActive = (documentId: string, minutes: number) =>
  db.updateTable('review_claims').set({ last_active_at: sql<Date>`now() - make_interval(mins => ${minutes})` }).where('document_id', '=', documentId).execute();
const claimedBy = async (documentId: string) => (await listReviewQueue(db, {}, CLAIM_MINUTES)).find((i) => i.documentId === documentId)?.claimedBy;

describe('claims on documents in review (Postgres)', () => {
  it('a claim holds while its reviewer is active and lapses after the inactivity limit: the queue shows it open and another reviewer takes it', async () => {
    const [older, newer] = docs as [string, string];
    expect(await claimDocument(db, older, clerk1, CLAIM_MINUTES)).toBeNull();
    expect(await claimedBy(older)).toBe('clerk1');
    // Held: the other reviewer is refused with the holder's name, and "next" passes it over.
    expect(await claimDocument(db, older, clerk2, CLAIM_MINUTES)).toBe('clerk1');
    expect(await nextUnclaimed(db, clerk2, CLAIM_MINUTES)).toBe(newer);

    // Inactive for a minute less than the limit: still held.
    await lastActive(older, CLAIM_MINUTES - 1);
    expect(await claimedBy(older)).toBe('clerk1');
    expect(await claimDocument(db, older, clerk2, CLAIM_MINUTES)).toBe('clerk1');
    // The holder's activity renews it (and keeps when it was first claimed).
    const before = await db.selectFrom('review_claims').select(['claimed_at', 'last_active_at']).where('document_id', '=', older).executeTakeFirstOrThrow();
    expect(await claimDocument(db, older, clerk1, CLAIM_MINUTES)).toBeNull();
    const renewed = await db.selectFrom('review_claims').select(['claimed_at', 'last_active_at']).where('document_id', '=', older).executeTakeFirstOrThrow();
    expect(renewed.claimed_at).toEqual(before.claimed_at);
    expect(renewed.last_active_at.getTime()).toBeGreaterThan(before.last_active_at.getTime());

    // Inactive for longer than the limit (claimed before that): no longer "being reviewed by clerk1".
    await lastActive(older, CLAIM_MINUTES + 1);
    await db.updateTable('review_claims').set({ claimed_at: sql<Date>`now() - make_interval(mins => ${CLAIM_MINUTES + 5})` }).where('document_id', '=', older).execute();
    expect(await claimedBy(older)).toBeNull();
    // The other reviewer's "next" offers it (the oldest), and their claim takes it over.
    expect(await nextUnclaimed(db, clerk2, CLAIM_MINUTES)).toBe(older);
    expect(await claimDocument(db, older, clerk2, CLAIM_MINUTES)).toBeNull();
    expect(await claimedBy(older)).toBe('clerk2');
    const taken = await db.selectFrom('review_claims').select(['user_id', 'claimed_at']).where('document_id', '=', older).executeTakeFirstOrThrow();
    expect(taken.user_id).toBe(clerk2);
    expect(Date.now() - taken.claimed_at.getTime(), 'a new claim, not the lapsed one').toBeLessThan(60_000);
    // Now the first reviewer is the one refused.
    expect(await claimDocument(db, older, clerk1, CLAIM_MINUTES)).toBe('clerk2');
    expect(await nextUnclaimed(db, clerk1, CLAIM_MINUTES)).toBe(newer);
  });
});
