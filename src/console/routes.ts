import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiApp, ApiDeps } from '../api/types.ts';
import { claimDocument, listReviewQueue, loadDocumentBytes, nextUnclaimed, releaseClaim, reviewerDay } from '../db/review-queue.ts';
import { canReview, createSession, deleteSession, findSession, findUserByName, recordFailedSignIn, recordSignIn, setPasswordHash } from '../db/users.ts';
import { consoleAssets } from './assets.ts';
import { reviewDocumentView } from './document-view.ts';
import { createPageImages } from './page-images.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { submitConsoleReview } from './review-adapter.ts';
import { CSRF_HEADER, newToken, PRE_AUTH_COOKIE, readCookies, requireUser, sameToken, SESSION_COOKIE, setCookie } from './session.ts';

/**
 * The review console, on the API's server at / (the API stays at /v1): a page
 * and its script and style (built from src/console/client at start), a JSON
 * API of its own under /console/api (session cookie + CSRF header, never an API
 * key), and rendered page images. Everything from this server: a strict
 * Content-Security-Policy allows nothing else.
 */

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export async function consoleRoutes(app: ApiApp, deps: ApiDeps): Promise<void> {
  const assets = await consoleAssets();
  const cfg = deps.config.console;
  const pageImages = createPageImages({ load: (id) => loadDocumentBytes(deps.db, id) });

  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<ZodTypeProvider>();
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-security-policy', CONSOLE_CSP);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
      if (!reply.getHeader('cache-control')) reply.header('cache-control', 'no-store');
      return payload;
    });
    const hide = { hide: true } as const;
    const user = requireUser(deps.db, cfg);
    const reviewer = requireUser(deps.db, cfg, { review: true });

    scope.get('/', { schema: hide }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(assets.html));
    scope.get('/assets/console.js', { schema: hide }, async (_request, reply) =>
      reply.header('cache-control', 'no-cache').header('etag', assets.etag).type('text/javascript; charset=utf-8').send(assets.js),
    );
    scope.get('/assets/console.css', { schema: hide }, async (_request, reply) =>
      reply.header('cache-control', 'no-cache').header('etag', assets.etag).type('text/css; charset=utf-8').send(assets.css),
    );

    // ---- sign-in ---------------------------------------------------------------
    scope.get('/console/api/me', { schema: hide }, async (request, reply) => {
      const token = readCookies(request)[SESSION_COOKIE];
      const me = token ? await findSession(deps.db, token, cfg.idleMinutes) : null;
      if (me) {
        return { user: { name: me.name, role: me.role, canReview: canReview(me.role) }, csrfToken: me.csrfToken, ...(await reviewerDay(deps.db, me.name)) };
      }
      // Double-submit token for the sign-in form itself.
      const pre = newToken();
      setCookie(request, reply, PRE_AUTH_COOKIE, pre, 3600);
      return { user: null, csrfToken: pre };
    });

    scope.post(
      '/console/api/sign-in',
      { schema: { ...hide, body: z.object({ name: z.string().min(1).max(200), password: z.string().min(1).max(1024), newPassword: z.string().max(1024).optional() }) } },
      async (request, reply) => {
        const sent = request.headers[CSRF_HEADER];
        if (!sameToken(typeof sent === 'string' ? sent : undefined, readCookies(request)[PRE_AUTH_COOKIE])) {
          return reply.code(403).send({ error: 'missing or wrong CSRF token; reload the page' });
        }
        const { name, password, newPassword } = request.body;
        const account = await findUserByName(deps.db, name);
        const refused = () => reply.code(401).send({ error: 'wrong name or password' });
        if (!account || account.disabled_at !== null || account.password_hash === null) {
          await verifyPassword(password, 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAA'); // same time either way
          return refused();
        }
        if (account.locked_until !== null && account.locked_until > new Date()) {
          return reply.code(423).send({ error: `too many failed sign-ins; the account is locked until ${account.locked_until.toISOString().slice(11, 16)} UTC` });
        }
        if (!(await verifyPassword(password, account.password_hash))) {
          await recordFailedSignIn(deps.db, account.id, cfg.maxFailedSignIns, cfg.lockoutMinutes);
          return refused();
        }
        if (newPassword !== undefined) {
          const problem = passwordProblem(newPassword);
          if (problem) return reply.code(400).send({ error: problem });
          await setPasswordHash(deps.db, account.id, await hashPassword(newPassword));
        }
        await recordSignIn(deps.db, account.id);
        const session = await createSession(deps.db, account.id, cfg.sessionHours);
        setCookie(request, reply, SESSION_COOKIE, session.token, cfg.sessionHours * 3600);
        setCookie(request, reply, PRE_AUTH_COOKIE, '', 0);
        return { user: { name: account.name, role: account.role, canReview: canReview(account.role) }, csrfToken: session.csrfToken };
      },
    );

    scope.post('/console/api/sign-out', { schema: hide, preHandler: user }, async (request, reply) => {
      const token = readCookies(request)[SESSION_COOKIE];
      if (token) await deleteSession(deps.db, token);
      setCookie(request, reply, SESSION_COOKIE, '', 0);
      return { ok: true };
    });

    // ---- queue -------------------------------------------------------------------
    scope.get(
      '/console/api/queue',
      {
        schema: {
          ...hide,
          querystring: z.object({
            kind: z.enum(['invoice', 'contract', 'other']).optional().or(z.literal('').transform(() => undefined)),
            reason: z.string().max(200).optional(),
            vendor: z.string().max(200).optional(),
            sort: z.enum(['oldest', 'amount']).optional(),
          }),
        },
        preHandler: user,
      },
      async (request) => {
        const items = await listReviewQueue(deps.db, request.query, cfg.claimMinutes);
        return { items: items.map((i) => ({ ...i, createdAt: i.createdAt.toISOString(), claimedAt: i.claimedAt?.toISOString() ?? null })) };
      },
    );

    scope.post(
      '/console/api/next',
      { schema: { ...hide, body: z.object({ after: z.uuid().optional() }).optional() }, preHandler: reviewer },
      async (request) => {
        const me = request.consoleUser!;
        const id = await nextUnclaimed(deps.db, me.id, cfg.claimMinutes, request.body?.after);
        if (id) {
          await claimDocument(deps.db, id, me.id, cfg.claimMinutes);
          // Its first page, then the first page of the one after it, rendered while the clerk works:
          // going through the queue, a page is usually served from the cache.
          const following = await nextUnclaimed(deps.db, me.id, cfg.claimMinutes, id);
          pageImages.warm([{ documentId: id, page: 1 }, ...(following ? [{ documentId: following, page: 1 }] : [])]);
        }
        return { documentId: id };
      },
    );

    // ---- one document ------------------------------------------------------------
    const Id = z.object({ id: z.uuid() });
    scope.get('/console/api/documents/:id', { schema: { ...hide, params: Id }, preHandler: user }, async (request, reply) => {
      const view = await reviewDocumentView(deps.db, request.params.id);
      if (!view) return reply.code(404).send({ error: 'no such document' });
      return view;
    });

    scope.post('/console/api/documents/:id/claim', { schema: { ...hide, params: Id }, preHandler: reviewer }, async (request) => {
      const holder = await claimDocument(deps.db, request.params.id, request.consoleUser!.id, cfg.claimMinutes);
      return { claimed: holder === null, claimedBy: holder };
    });

    scope.post('/console/api/documents/:id/release', { schema: { ...hide, params: Id }, preHandler: reviewer }, async (request) => {
      await releaseClaim(deps.db, request.params.id, request.consoleUser!.id);
      return { ok: true };
    });

    scope.post(
      '/console/api/documents/:id/decision',
      {
        schema: {
          ...hide,
          params: Id,
          body: z.object({
            action: z.enum(['approve', 'correct', 'reject']),
            fields: z.record(z.string(), z.unknown()).optional(),
            note: z.string().max(2000).optional(),
            confirm: z.record(z.string().min(1).max(100), z.string().min(1).max(2000)).optional(),
          }),
        },
        preHandler: reviewer,
      },
      async (request, reply) => {
        const me = request.consoleUser!;
        const holder = await claimDocument(deps.db, request.params.id, me.id, cfg.claimMinutes);
        if (holder !== null) return reply.code(409).send({ error: `being reviewed by ${holder}` });
        const result = await submitConsoleReview(deps, { documentId: request.params.id, decision: request.body, reviewer: me.name });
        if (!result.ok) return reply.code(result.status).send({ error: result.reason, failedChecks: result.failedChecks ?? [] });
        await releaseClaim(deps.db, request.params.id, me.id);
        return result;
      },
    );

    scope.get(
      '/console/pages/:id/:page',
      { schema: { ...hide, params: z.object({ id: z.uuid(), page: z.coerce.number().int().min(1).max(100_000) }) }, preHandler: user },
      async (request, reply) => {
        const image = await pageImages.get(request.params.id, request.params.page);
        if (!image.ok) return reply.code(image.status).send({ error: image.error });
        // Documents are immutable: the image of a page never changes.
        return reply.header('cache-control', 'private, max-age=86400, immutable').type('image/png').send(image.png);
      },
    );
  });
}
