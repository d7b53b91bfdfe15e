import { ApplicationFailure, Context } from '@temporalio/activity';
import { enqueueDeliveries, hasDeliveryAttempt, loadDeliveryForSending, recordDeliveryAttempt, settleDelivery } from '../src/db/webhooks.ts';
import { WebhookAddressRefused } from '../src/webhooks/address-guard.ts';
import type { WebhookEvent, WebhookPayload } from '../src/webhooks/events.ts';
import { postWebhook } from '../src/webhooks/send.ts';
import { signedHeaders } from '../src/webhooks/signature.ts';
import { WEBHOOK_REJECTED } from './error-types.ts';
import type { ActivityDeps } from './support.ts';

export interface AnnounceInput {
  documentId: string;
  event: WebhookEvent;
  status: string;
  kind: string | null;
  record: { id: string; version: number } | null;
}

/**
 * Webhook activities. `announceDocument` writes one delivery per interested
 * subscription (idempotent per run and event); `deliverWebhook` POSTs one
 * delivery, signed, and records the attempt; Temporal retries it (workflows/
 * deliver-webhook.ts) with backoff for hours, always with the same `webhook-id`.
 */
export function createWebhookActivities(deps: ActivityDeps) {
  const { db } = deps;
  const settings = deps.config.webhooks;
  return {
    async announceDocument(input: AnnounceInput): Promise<string[]> {
      const payload: WebhookPayload = {
        type: input.event,
        timestamp: new Date().toISOString(),
        data: {
          documentId: input.documentId,
          status: input.status,
          kind: input.kind,
          record: input.record,
          url: `${settings.publicUrl}/v1/documents/${input.documentId}`,
        },
      };
      const runId = Context.current().info.workflowExecution?.runId;
      if (!runId) throw ApplicationFailure.nonRetryable('announceDocument runs only inside a workflow', WEBHOOK_REJECTED);
      return enqueueDeliveries(db, {
        documentId: input.documentId,
        workflowRunId: runId,
        event: input.event,
        kind: input.kind,
        payload: payload as unknown as Record<string, unknown>,
      });
    },

    async deliverWebhook(deliveryId: string): Promise<'delivered' | 'dropped' | 'failed'> {
      const attempt = Context.current().info.attempt;
      const delivery = await loadDeliveryForSending(db, deliveryId);
      if (!delivery) throw ApplicationFailure.nonRetryable(`webhook delivery ${deliveryId} does not exist`, WEBHOOK_REJECTED);
      if (delivery.status !== 'pending') return delivery.status;
      if (delivery.removed_at) {
        await settleDelivery(db, deliveryId, 'dropped', 'the subscription was removed before delivery');
        return 'dropped';
      }
      if (attempt > 1) await noteInterruptedAttempt(deliveryId, attempt - 1);
      const body = JSON.stringify(delivery.payload);
      const started = performance.now();
      let response;
      // Heartbeats while the receiver thinks: a worker that dies mid-POST is noticed in seconds, and the retry carries the same webhook-id.
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), 2_000);
      try {
        response = await postWebhook({
          url: delivery.url,
          headers: { ...signedHeaders(delivery.secret, delivery.id, Math.floor(Date.now() / 1000), body) },
          body,
          timeoutMs: settings.timeoutMs,
          allowPrivate: settings.allowPrivate,
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        await recordDeliveryAttempt(db, { deliveryId, attempt, statusCode: null, latencyMs: Math.round(performance.now() - started), error: message });
        if (error instanceof WebhookAddressRefused) throw ApplicationFailure.nonRetryable(message, WEBHOOK_REJECTED);
        throw ApplicationFailure.retryable(`the receiver could not be reached: ${message}`, 'WebhookUnreachable');
      } finally {
        clearInterval(beat);
      }
      const { statusCode, latencyMs, retryAfterMs } = response;
      const ok = statusCode >= 200 && statusCode < 300;
      await recordDeliveryAttempt(db, { deliveryId, attempt, statusCode, latencyMs, error: ok ? null : `answered HTTP ${statusCode}` });
      if (ok) {
        await settleDelivery(db, deliveryId, 'delivered', null);
        return 'delivered';
      }
      if (statusCode === 408 || statusCode === 429 || statusCode >= 500) {
        throw ApplicationFailure.create({
          message: `the receiver answered HTTP ${statusCode}`,
          type: 'WebhookRetry',
          ...(retryAfterMs !== null ? { nextRetryDelay: Math.min(retryAfterMs, 3600_000) } : {}),
        });
      }
      throw ApplicationFailure.nonRetryable(`the receiver answered HTTP ${statusCode} (4xx other than 408/429 is final)`, WEBHOOK_REJECTED);
    },

    async failWebhookDelivery(input: { deliveryId: string; reason: string }): Promise<void> {
      await settleDelivery(db, input.deliveryId, 'failed', input.reason);
    },
  };

  /** An attempt that left no row (its worker stopped mid-call) is recorded as such by the next one. */
  async function noteInterruptedAttempt(deliveryId: string, previous: number): Promise<void> {
    if (!(await hasDeliveryAttempt(db, deliveryId, previous))) {
      await recordDeliveryAttempt(db, {
        deliveryId,
        attempt: previous,
        statusCode: null,
        latencyMs: 0,
        error: 'interrupted: the worker stopped or timed out during this attempt (the receiver may have got it; the retry carries the same webhook-id)',
      });
    }
  }
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;
