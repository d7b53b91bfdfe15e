import { z } from 'zod';

/** What a subscriber can be told about a document. */
export const WEBHOOK_EVENTS = [
  'document.extracted',
  'document.needs_review',
  'document.failed',
  'document.reviewed',
  'document.cancelled',
] as const;
export const WebhookEvent = z.enum(WEBHOOK_EVENTS);
export type WebhookEvent = z.infer<typeof WebhookEvent>;

/** The event a settled status announces (stalled documents are not announced: they are retried). */
export function eventForStatus(status: string): WebhookEvent | null {
  switch (status) {
    case 'extracted':
      return 'document.extracted';
    case 'needs_review':
      return 'document.needs_review';
    case 'failed':
      return 'document.failed';
    case 'cancelled':
      return 'document.cancelled';
    default:
      return null;
  }
}

/**
 * The body a receiver gets, in the Standard Webhooks shape (`type`,
 * `timestamp`, `data`). Only ids, codes and a link: the record itself is
 * fetched with an API key, so a leaked delivery leaks no invoice.
 */
export interface WebhookPayload {
  type: WebhookEvent;
  timestamp: string;
  data: {
    documentId: string;
    status: string;
    kind: string | null;
    record: { id: string; version: number } | null;
    /** GET this (with an API key with the read scope) for the document, its record or candidate, and reasons. */
    url: string;
  };
}
