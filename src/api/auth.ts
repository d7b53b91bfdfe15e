import type { FastifyReply, FastifyRequest } from 'fastify';
import { findActiveKey, type ApiScope } from '../db/api-keys.ts';
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
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const key = match ? await findActiveKey(db, match[1] as string) : null;
    if (!key) {
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
