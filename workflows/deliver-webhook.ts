import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import { WEBHOOK_REJECTED } from '../activities/error-types.ts';
import type { WebhookActivities } from '../activities/index.ts';

export interface DeliverWebhookInput {
  deliveryId: string;
  /** One HTTP attempt (DOCROUTE_WEBHOOK_TIMEOUT_MS). */
  timeoutMs: number;
  /** How long to keep retrying (DOCROUTE_WEBHOOK_RETRY_HOURS). */
  retryForMs: number;
}

/**
 * One webhook delivery, as a child workflow of the document's run (abandoned
 * by it, so a receiver that is down for hours never holds a document): the
 * POST is retried with backoff (10 s doubling, at most an hour apart) on 5xx,
 * 408, 429 (after its Retry-After), timeouts and connection errors, for
 * `retryForMs`; a 4xx is final. A worker that dies mid-POST is retried by
 * Temporal with the same delivery id, so the receiver sees the same
 * `webhook-id` and can drop the duplicate.
 */
export async function deliverWebhook(input: DeliverWebhookInput): Promise<'delivered' | 'dropped' | 'failed'> {
  const { deliverWebhook: post } = proxyActivities<Pick<WebhookActivities, 'deliverWebhook'>>({
    startToCloseTimeout: input.timeoutMs + 30_000,
    heartbeatTimeout: '10 seconds',
    scheduleToCloseTimeout: input.retryForMs,
    retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '1 hour', nonRetryableErrorTypes: [WEBHOOK_REJECTED] },
  });
  const { failWebhookDelivery } = proxyActivities<Pick<WebhookActivities, 'failWebhookDelivery'>>({
    startToCloseTimeout: '1 minute',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  try {
    return await post(input.deliveryId);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    await failWebhookDelivery({ deliveryId: input.deliveryId, reason: lastReason(err) });
    return 'failed';
  }
}

function lastReason(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure && current.message) message = current.message;
    current = (current as { cause?: unknown }).cause;
  }
  return message;
}
