import { sql } from 'kysely';
import type { Db } from './database.ts';

/** What one model may be sent in any window of `windowMs`: requests and input tokens. */
export interface WindowLimits {
  requests: number;
  tokens: number;
  windowMs: number;
}

/**
 * Admits one request of `tokens` input tokens to `model` when the requests
 * admitted in the last `windowMs` — by any process on this database — leave room
 * for it and the last one was at least windowMs/requests ago, and records it. Otherwise records nothing and returns how long to wait
 * (ms) until enough of them have left the window. 0: admitted.
 *
 * One transaction under an advisory lock per model: two workers never both take
 * the last place. Times are the database's (clock_timestamp), so workers on
 * machines with skewed clocks still agree. Rows that left the window are deleted
 * here, so the table holds at most `requests` rows per model.
 */
export async function admitModelRequest(db: Db, model: string, tokens: number, limits: WindowLimits): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`docroute.model_rate_window:${model}`}))`.execute(trx);
    const windowSeconds = limits.windowMs / 1000;
    await trx
      .deleteFrom('model_rate_window')
      .where('model', '=', model)
      .where(sql<boolean>`sent_at <= clock_timestamp() - make_interval(secs => ${windowSeconds})`)
      .execute();
    const inWindow = await trx
      .selectFrom('model_rate_window')
      .select([
        'tokens',
        // When this row leaves the window, from now.
        sql<number>`extract(epoch from (sent_at + make_interval(secs => ${windowSeconds}) - clock_timestamp())) * 1000`.as('leaves_in_ms'),
      ])
      .where('model', '=', model)
      .orderBy('sent_at')
      .orderBy('id')
      .execute();
    const used = inWindow.reduce((sum, row) => sum + row.tokens, 0);
    // Requests go as an even stream, one per window/requests: a burst of the whole quota at once
    // would come back as a burst of free places a minute later, which the workers cannot fill
    // at once (measured: 90% of the quota used; paced: see the README).
    const spacingMs = limits.windowMs / limits.requests;
    const latest = inWindow[inWindow.length - 1];
    const untilSpaced = latest ? spacingMs - (limits.windowMs - Number(latest.leaves_in_ms)) : 0;
    if (inWindow.length < limits.requests && used + tokens <= limits.tokens && untilSpaced <= 0) {
      await trx.insertInto('model_rate_window').values({ model, tokens }).execute();
      return 0;
    }
    let waitMs = Math.max(0, untilSpaced);
    // Requests: the oldest rows must leave until one place is free.
    if (inWindow.length >= limits.requests) waitMs = Number(inWindow[inWindow.length - limits.requests]!.leaves_in_ms);
    // Tokens: the oldest rows must leave until this request's tokens fit.
    let freed = 0;
    for (const row of inWindow) {
      if (used - freed + tokens <= limits.tokens) break;
      freed += row.tokens;
      waitMs = Math.max(waitMs, Number(row.leaves_in_ms));
    }
    return Math.max(1, Math.ceil(waitMs));
  });
}
