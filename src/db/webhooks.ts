import { sql } from 'kysely';
import type { Db } from './database.ts';
import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookRow } from './schema.ts';
import { newWebhookSecret } from '../webhooks/signature.ts';

/** A subscription as shown after creation: never its secret. */
export type WebhookView = Omit<WebhookRow, 'secret'>;

export async function createWebhook(
  db: Db,
  input: { url: string; events: readonly string[]; kind: string | null; createdBy: string | null },
): Promise<{ id: string; secret: string }> {
  const secret = newWebhookSecret();
  const row = await db
    .insertInto('webhooks')
    .values({ url: input.url, events: [...new Set(input.events)], kind: input.kind, secret, created_by: input.createdBy })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, secret };
}

const VIEW = ['id', 'url', 'events', 'kind', 'created_by', 'created_at', 'removed_at'] as const;

export async function listWebhooks(db: Db, options: { includeRemoved?: boolean } = {}): Promise<WebhookView[]> {
  let query = db.selectFrom('webhooks').select(VIEW).orderBy('created_at');
  if (!options.includeRemoved) query = query.where('removed_at', 'is', null);
  return query.execute();
}

export async function getWebhook(db: Db, id: string): Promise<WebhookView | undefined> {
  return db.selectFrom('webhooks').select(VIEW).where('id', '=', id).executeTakeFirst();
}

/** Stops a subscription: no new deliveries, and pending ones are dropped. Its history stays. */
export async function removeWebhook(db: Db, id: string): Promise<boolean> {
  const result = await db
    .updateTable('webhooks')
    .set({ removed_at: sql`now()` })
    .where('id', '=', id)
    .where('removed_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * One delivery per active subscription that wants `event` for a document of
 * this kind, for this run. Idempotent: a retried activity finds the rows its
 * first attempt wrote (unique per subscription, run and event) and returns the same ids.
 */
export async function enqueueDeliveries(
  db: Db,
  input: { documentId: string; workflowRunId: string; event: string; kind: string | null; payload: Record<string, unknown> },
): Promise<string[]> {
  return db.transaction().execute(async (trx) => {
    const subscriptions = await trx
      .selectFrom('webhooks')
      .select('id')
      .where('removed_at', 'is', null)
      .where(sql<boolean>`${input.event} = any(events)`)
      .where((eb) => eb.or([eb('kind', 'is', null), eb('kind', '=', input.kind)]))
      .execute();
    if (subscriptions.length > 0) {
      await trx
        .insertInto('webhook_deliveries')
        .values(
          subscriptions.map((s) => ({
            webhook_id: s.id,
            document_id: input.documentId,
            workflow_run_id: input.workflowRunId,
            event: input.event,
            payload: JSON.stringify(input.payload),
          })),
        )
        .onConflict((oc) => oc.columns(['webhook_id', 'workflow_run_id', 'event']).doNothing())
        .execute();
    }
    const rows = await trx
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('workflow_run_id', '=', input.workflowRunId)
      .where('event', '=', input.event)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map((r) => r.id);
  });
}

/** A delivery with what sending it needs (the subscription's URL and secret). */
export async function loadDeliveryForSending(db: Db, deliveryId: string) {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .select(['d.id', 'd.event', 'd.payload', 'd.status', 'd.created_at', 'w.url', 'w.secret', 'w.removed_at'])
    .where('d.id', '=', deliveryId)
    .executeTakeFirst();
}

export async function recordDeliveryAttempt(
  db: Db,
  attempt: { deliveryId: string; attempt: number; statusCode: number | null; latencyMs: number; error: string | null },
): Promise<void> {
  await db
    .insertInto('webhook_attempts')
    .values({
      delivery_id: attempt.deliveryId,
      attempt: attempt.attempt,
      status_code: attempt.statusCode,
      latency_ms: attempt.latencyMs,
      error: attempt.error,
    })
    .execute();
}

/** Settles a pending delivery (a settled one stays as it is). */
export async function settleDelivery(db: Db, deliveryId: string, status: 'delivered' | 'failed' | 'dropped', error: string | null): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ status, error, settled_at: sql`now()` })
    .where('id', '=', deliveryId)
    .where('status', '=', 'pending')
    .execute();
}

export interface DeliveryView extends Omit<WebhookDeliveryRow, 'payload' | 'workflow_run_id'> {
  attempts: Omit<WebhookAttemptRow, 'delivery_id'>[];
}

/** Deliveries, newest first, each with its attempts in order. */
export async function listDeliveries(
  db: Db,
  filter: { webhookId?: string; documentId?: string; limit?: number },
): Promise<DeliveryView[]> {
  let query = db
    .selectFrom('webhook_deliveries')
    .select(['id', 'webhook_id', 'document_id', 'event', 'status', 'error', 'created_at', 'settled_at'])
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(filter.limit ?? 100);
  if (filter.webhookId) query = query.where('webhook_id', '=', filter.webhookId);
  if (filter.documentId) query = query.where('document_id', '=', filter.documentId);
  const deliveries = await query.execute();
  if (deliveries.length === 0) return [];
  const attempts = await db
    .selectFrom('webhook_attempts')
    .select(['id', 'delivery_id', 'attempt', 'status_code', 'latency_ms', 'error', 'created_at'])
    .where(
      'delivery_id',
      'in',
      deliveries.map((d) => d.id),
    )
    .orderBy('created_at')
    .execute();
  return deliveries.map((d) => ({
    ...d,
    attempts: attempts.filter((a) => a.delivery_id === d.id).map(({ delivery_id: _d, ...a }) => a),
  }));
}

/** Whether an attempt of a delivery left its row (one that did not was interrupted mid-call). */
export async function hasDeliveryAttempt(db: Db, deliveryId: string, attempt: number): Promise<boolean> {
  const row = await db.selectFrom('webhook_attempts').select('id').where('delivery_id', '=', deliveryId).where('attempt', '=', attempt).executeTakeFirst();
  return row !== undefined;
}
