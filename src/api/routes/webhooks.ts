import { z } from 'zod';
import { createWebhook, getWebhook, listDeliveries, listWebhooks, removeWebhook } from '../../db/webhooks.ts';
import { checkWebhookTarget, WebhookAddressRefused } from '../../webhooks/address-guard.ts';
import { WEBHOOK_EVENTS } from '../../webhooks/events.ts';
import { BEARER, requireScope } from '../auth.ts';
import { HttpProblem, problems } from '../problem.ts';
import type { RouteModule } from '../types.ts';

const Event = z.enum(WEBHOOK_EVENTS);

const WebhookCreate = z
  .object({
    url: z.string().max(2000).describe('http(s) URL that receives a POST per event (not a loopback or private address)'),
    events: z.array(Event).min(1).describe('Events to receive'),
    kind: z.enum(['invoice', 'contract', 'other']).optional().describe('Only documents of this kind'),
  })
  .meta({ id: 'WebhookCreate' });

const Webhook = z
  .object({
    id: z.uuid(),
    url: z.string(),
    events: z.array(z.string()),
    kind: z.string().nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Webhook' });

const WebhookCreated = Webhook.extend({
  secret: z.string().describe('Signing secret (Standard Webhooks, whsec_…): shown once, now'),
}).meta({ id: 'WebhookCreated' });

const WebhookAttempt = z.object({
  attempt: z.number().int(),
  statusCode: z.number().int().nullable(),
  latencyMs: z.number().int(),
  error: z.string().nullable(),
  at: z.string(),
});

const WebhookDelivery = z
  .object({
    id: z.uuid().describe('Also the webhook-id header the receiver saw on every attempt'),
    documentId: z.uuid(),
    event: z.string(),
    status: z.enum(['pending', 'delivered', 'failed', 'dropped']),
    error: z.string().nullable(),
    createdAt: z.string(),
    settledAt: z.string().nullable(),
    attempts: z.array(WebhookAttempt),
  })
  .meta({ id: 'WebhookDelivery' });

const IdParams = z.object({ id: z.uuid().describe('The webhook id') });

type WebhookView = NonNullable<Awaited<ReturnType<typeof getWebhook>>>;
const view = (w: WebhookView): z.infer<typeof Webhook> => ({
  id: w.id,
  url: w.url,
  events: w.events,
  kind: w.kind,
  createdBy: w.created_by,
  createdAt: new Date(w.created_at).toISOString(),
});

/**
 * Webhook subscriptions and their deliveries (scope `webhooks`). Deliveries are
 * made by the document's workflow; see README "Webhooks" for the signature.
 */
export const webhookRoutes: RouteModule = (app, deps) => {
  const guard = requireScope(deps.db, 'webhooks');
  const common = { tags: ['webhooks'], security: BEARER };

  app.post(
    '/v1/webhooks',
    {
      preHandler: guard,
      schema: {
        ...common,
        operationId: 'createWebhook',
        summary: 'Subscribe a URL to document events (the secret is shown once)',
        body: WebhookCreate,
        response: { 201: WebhookCreated, ...problems(400, 401, 403, 429, 500) },
      },
    },
    async (request, reply) => {
      const { url, events, kind } = request.body;
      try {
        await checkWebhookTarget(url, deps.config.webhooks.allowPrivate);
      } catch (error) {
        if (error instanceof WebhookAddressRefused) throw new HttpProblem(400, 'URL refused', `The webhook URL was refused: ${error.message}.`);
        throw error;
      }
      const created = await createWebhook(deps.db, {
        url,
        events,
        kind: kind ?? null,
        createdBy: request.apiKey ? `key:${request.apiKey.name}` : null,
      });
      const row = await getWebhook(deps.db, created.id);
      return reply.code(201).send({ ...view(row!), secret: created.secret });
    },
  );

  app.get(
    '/v1/webhooks',
    {
      preHandler: guard,
      schema: { ...common, operationId: 'listWebhooks', summary: 'Active webhook subscriptions', response: { 200: z.object({ items: z.array(Webhook) }), ...problems(401, 403, 429, 500) } },
    },
    async () => ({ items: (await listWebhooks(deps.db)).map(view) }),
  );

  app.delete(
    '/v1/webhooks/:id',
    {
      preHandler: guard,
      schema: {
        ...common,
        operationId: 'deleteWebhook',
        summary: 'Remove a subscription (pending deliveries are dropped; history stays)',
        params: IdParams,
        response: { 204: z.null(), ...problems(400, 401, 403, 404, 429, 500) },
      },
    },
    async (request, reply) => {
      if (!(await removeWebhook(deps.db, request.params.id))) throw new HttpProblem(404, 'Not found', 'No active webhook has this id.');
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      preHandler: guard,
      schema: {
        ...common,
        operationId: 'listWebhookDeliveries',
        summary: "A subscription's deliveries (newest first), each with every HTTP attempt",
        params: IdParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }),
        response: { 200: z.object({ items: z.array(WebhookDelivery) }), ...problems(400, 401, 403, 404, 429, 500) },
      },
    },
    async (request) => {
      if (!(await getWebhook(deps.db, request.params.id))) throw new HttpProblem(404, 'Not found', 'No webhook has this id.');
      const deliveries = await listDeliveries(deps.db, { webhookId: request.params.id, limit: request.query.limit });
      return {
        items: deliveries.map((d) => ({
          id: d.id,
          documentId: d.document_id,
          event: d.event,
          status: d.status,
          error: d.error,
          createdAt: new Date(d.created_at).toISOString(),
          settledAt: d.settled_at ? new Date(d.settled_at).toISOString() : null,
          attempts: d.attempts.map((a) => ({
            attempt: a.attempt,
            statusCode: a.status_code,
            latencyMs: a.latency_ms,
            error: a.error,
            at: new Date(a.created_at).toISOString(),
          })),
        })),
      };
    },
  );
};
