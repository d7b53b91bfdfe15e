import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Logger } from '../logger.ts';

/**
 * Errors as RFC 9457 problem details (`application/problem+json`), one shape for
 * every error. Messages say what the client can do; internals (stack traces, SQL,
 * upstream errors) stay in the server's log.
 */
export const Problem = z
  .object({
    type: z.string().describe('A URI reference naming the kind of problem'),
    title: z.string(),
    status: z.number().int().min(400).max(599).describe('The HTTP status code, repeated'),
    detail: z.string().optional().describe('What went wrong and what the client can do about it'),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });
export type Problem = z.infer<typeof Problem>;

/** The media type of every error response (RFC 9457). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** A documented error response: a Problem sent as application/problem+json. */
const problemResponse = { description: 'A problem detail (RFC 9457)', content: { [PROBLEM_MEDIA_TYPE]: { schema: Problem } } } as const;

/**
 * The error responses of a route, by status. The serializer validates a problem sent with
 * this media type; the OpenAPI transform (openapi.ts) adds an example per status.
 */
export function problems<const S extends readonly number[]>(...statuses: S): { [K in S[number]]: typeof problemResponse } {
  return Object.fromEntries(statuses.map((s) => [s, problemResponse])) as { [K in S[number]]: typeof problemResponse };
}

/** An error a route raises on purpose, with the status and words the client should see. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly type: string;

  constructor(status: number, title: string, detail?: string, type?: string) {
    super(detail ?? title);
    this.status = status;
    this.title = title;
    this.type = type ?? `https://docroute.dev/problems/${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  }
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: Omit<Problem, 'instance'>): FastifyReply {
  return reply
    .code(problem.status)
    .type(PROBLEM_MEDIA_TYPE)
    .send({ ...problem, instance: request.url.split('?')[0] });
}

export function problemHandler(log: Logger) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof HttpProblem) {
      return sendProblem(reply, request, { type: error.type, title: error.title, status: error.status, detail: error.message });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      return sendProblem(reply, request, {
        type: 'https://docroute.dev/problems/invalid-request',
        title: 'Invalid request',
        status: 400,
        detail: 'The request does not match the API description; see errors.',
        errors: error.validation.map((v) => ({
          path: `${error.validationContext ?? 'request'}${v.instancePath || ''}`,
          message: v.message ?? 'invalid',
        })),
      });
    }
    if (isDatabaseUnavailable(error)) {
      log.warn('database unavailable', { method: request.method, url: request.url.split('?')[0], error: String(error) });
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      return sendProblem(reply, request, {
        type: 'https://docroute.dev/problems/unavailable',
        title: 'Service unavailable',
        status: 503,
        detail: `The database is unavailable; nothing was changed. Retry in ${DATABASE_RETRY_AFTER_SECONDS} s.`,
      });
    }
    if (isInvalidValue(error)) {
      // A value that passed the schema but that Postgres cannot take (a NUL in a text, a date it cannot represent).
      return sendProblem(reply, request, {
        type: 'https://docroute.dev/problems/invalid-request',
        title: 'Invalid request',
        status: 400,
        detail: 'A parameter holds a value that cannot be stored or compared (e.g. a NUL character or an impossible date).',
      });
    }
    const status = (error as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500 && !isResponseSerializationError(error)) {
      // Fastify's own client errors (bad JSON, too large, unsupported media type, rate limit).
      return sendProblem(reply, request, {
        type: `https://docroute.dev/problems/http-${status}`,
        title: httpTitle(status),
        status,
        detail: (error as FastifyError).message,
      });
    }
    log.error('request failed', { method: request.method, url: request.url.split('?')[0], error: String(error), stack: error.stack });
    return sendProblem(reply, request, {
      type: 'https://docroute.dev/problems/internal',
      title: 'Internal error',
      status: 500,
      detail: 'The server could not complete the request. It has been logged; try again later.',
    });
  };
}

/** The title a problem of this status carries when no route names it more precisely. */
export function httpTitle(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not found',
    406: 'Not acceptable',
    408: 'Request timeout',
    409: 'Conflict',
    413: 'Payload too large',
    415: 'Unsupported media type',
    429: 'Too many requests',
    500: 'Internal error',
    503: 'Service unavailable',
  };
  return titles[status] ?? 'Client error';
}

/** Seconds a client is asked to wait when the database is down (Retry-After). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

/**
 * The database could not be reached or went away mid-request: a connection
 * error (ECONNREFUSED …), a Postgres connection exception (SQLSTATE class 08),
 * a server shutting down or starting (57P01–57P03), or the pool's connect
 * timeout. The client should retry (503), nothing is wrong with its request.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code))) return true;
    if (e instanceof AggregateError && e.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
    if (typeof message === 'string' && /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/.test(message)) return true;
  }
  return false;
}

/** Postgres refused a value (SQLSTATE class 22, data exception: bad encoding, NUL byte, date out of range …). */
function isInvalidValue(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code) && (error as { severity?: unknown }).severity !== undefined;
}
