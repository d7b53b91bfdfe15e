import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import { canReview, findSession, type SessionUser } from '../db/users.ts';

/**
 * Console sessions: an HttpOnly, SameSite=Strict cookie (Secure when the
 * request came over HTTPS) holding a random token whose hash is the session's
 * key; every state-changing request must also send the session's CSRF token in
 * the X-CSRF-Token header (a cross-site page can neither read it nor set the
 * header). Before sign-in, a double-submit token guards the sign-in itself.
 */

export const SESSION_COOKIE = 'dr_session';
export const PRE_AUTH_COOKIE = 'dr_presession';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in console user (set by requireUser). */
    consoleUser?: SessionUser;
  }
}

export function readCookies(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name && !(name in out)) {
      try {
        out[name] = decodeURIComponent(value);
      } catch {
        // a malformed cookie is ignored, not an error
      }
    }
  }
  return out;
}

export function setCookie(request: FastifyRequest, reply: FastifyReply, name: string, value: string, maxAgeSeconds: number): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  const cookie = `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(maxAgeSeconds)}${secure}`;
  // Fastify appends a set-cookie header to those already set (adding them again here sent each earlier cookie twice).
  reply.header('set-cookie', cookie);
}

export const newToken = () => randomBytes(24).toString('base64url');

export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function refuse(reply: FastifyReply, status: number, reason: string) {
  return reply.code(status).type('application/json').send({ error: reason });
}

/**
 * A preHandler: the request must come from a signed-in account (401 otherwise);
 * for anything but GET, with the session's CSRF token (403); with `review`,
 * from an account that may review (403).
 */
export function requireUser(db: Db, config: Config['console'], options: { review?: boolean } = {}) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const token = readCookies(request)[SESSION_COOKIE];
    const user = token ? await findSession(db, token, config.idleMinutes) : null;
    if (!user) return refuse(reply, 401, 'not signed in');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      const sent = request.headers[CSRF_HEADER];
      if (!sameToken(typeof sent === 'string' ? sent : undefined, user.csrfToken)) {
        return refuse(reply, 403, 'missing or wrong CSRF token; reload the page');
      }
    }
    if (options.review && !canReview(user.role)) return refuse(reply, 403, `the ${user.role} role may not review documents`);
    request.consoleUser = user;
  };
}
