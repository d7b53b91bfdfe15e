import type { FastifyReply, FastifyRequest } from 'fastify';
import { findActiveKey, looksLikeKey, type ApiScope } from '../db/api-keys.ts';
import type { Db } from '../db/database.ts';
import { sendProblem } from './problem.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key that authenticated this request (set by requireScope). */
    apiKey?: { id: string; name: string; scopes: string[] };
  }
}

/** The OpenAPI security requirement for routes behind a key. */
export const BEARER = [{ bearerAuth: [] }];

/**
 * A preHandler that lets a request through only with an active API key
 * (`Authorization: Bearer dr_…`) that has `scope`. 401 without a valid key,
 * 403 with a key that lacks the scope. Never says which part of a key was wrong.
 */
export function requireScope(db: Db, scope: ApiScope) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const tracker = failureTracker(db);
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const presented = match?.[1];
    const blocked = tracker.blocked(request.ip);
    // A blocked address still gets its valid keys through: only a key of the right
    // shape costs a lookup (by its id), and the lockout answers the invented ones.
    const key = presented && (!blocked || looksLikeKey(presented)) ? await findActiveKey(db, presented) : null;
    if (!key && blocked) {
      reply.header('retry-after', String(tracker.retryAfterSeconds(request.ip)));
      return sendProblem(reply, request, {
        type: 'https://docroute.dev/problems/too-many-requests',
        title: 'Too many requests',
        status: 429,
        detail: 'Too many requests with invalid API keys from this address; retry later.',
      });
    }
    if (!key) {
      if (match) tracker.fail(request.ip);
      reply.header('www-authenticate', 'Bearer realm="docroute"');
      return sendProblem(reply, request, {
        type: 'https://docroute.dev/problems/unauthorized',
        title: 'Unauthorized',
        status: 401,
        detail: match ? 'The API key is not valid or has been revoked.' : 'Send an API key: Authorization: Bearer <key>.',
      });
    }
    if (!key.scopes.includes(scope)) {
      return sendProblem(reply, request, {
        type: 'https://docroute.dev/problems/forbidden',
        title: 'Forbidden',
        status: 403,
        detail: `This API key lacks the "${scope}" scope.`,
      });
    }
    request.apiKey = key;
  };
}

/**
 * Invalid keys per client address: the per-key rate limit cannot stop someone
 * inventing a new key for every request, so after MAX_FAILED_AUTH invalid keys
 * in a minute an address is refused (429) until the minute is over, without a
 * database lookup for anything that is not shaped like a key. A valid key from
 * that address is still let through: the lockout must not lock out the
 * address's honest clients (a shared NAT, a script with one bad key in its list).
 */
export const MAX_FAILED_AUTH_PER_MINUTE = 30;
const WINDOW_MS = 60_000;

interface FailureTracker {
  fail(ip: string): void;
  blocked(ip: string): boolean;
  retryAfterSeconds(ip: string): number;
}

const trackers = new WeakMap<Db, FailureTracker>();

function failureTracker(db: Db): FailureTracker {
  let tracker = trackers.get(db);
  if (!tracker) {
    const windows = new Map<string, { count: number; resetAt: number }>();
    const current = (ip: string) => {
      const now = Date.now();
      const w = windows.get(ip);
      if (w && w.resetAt > now) return w;
      if (windows.size > 10_000) for (const [k, v] of windows) if (v.resetAt <= now) windows.delete(k);
      return undefined;
    };
    tracker = {
      fail(ip) {
        const w = current(ip);
        if (w) w.count += 1;
        else windows.set(ip, { count: 1, resetAt: Date.now() + WINDOW_MS });
      },
      blocked: (ip) => (current(ip)?.count ?? 0) >= MAX_FAILED_AUTH_PER_MINUTE,
      retryAfterSeconds: (ip) => Math.max(1, Math.ceil(((current(ip)?.resetAt ?? Date.now()) - Date.now()) / 1000)),
    };
    trackers.set(db, tracker);
  }
  return tracker;
}
