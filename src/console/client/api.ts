/** The console's calls to its server: JSON, the session cookie, and the CSRF token on every post. */

export type { Box, FieldView, LineView, PartyView, ReasonView, ReviewDocumentView, SourceView } from '../view-model.ts';
import type { ReasonView } from '../view-model.ts';

let csrfToken = '';
export const setCsrf = (token: string) => {
  csrfToken = token;
};

export class ApiError extends Error {
  readonly status: number;
  /** The refusal's details (e.g. failedChecks). */
  readonly data: Record<string, unknown>;
  constructor(status: number, message: string, data: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.data = data;
  }
}

export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(method === 'POST' ? { 'content-type': 'application/json', 'x-csrf-token': csrfToken } : {}),
    },
    ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
  });
  const data = (await response.json().catch(() => ({}))) as { error?: string; message?: string };
  if (!response.ok) throw new ApiError(response.status, data.error ?? data.message ?? `HTTP ${response.status}`, data);
  return data as T;
}

export interface Me {
  user: { name: string; role: string; canReview: boolean } | null;
  csrfToken: string;
  doneToday?: number;
  recent?: { documentId: string; file: string; action: string; at: string; recordId: string | null }[];
}

export interface QueueItem {
  documentId: string;
  kind: string | null;
  file: string;
  counterparty: string | null;
  total: string | null;
  currency: string | null;
  createdAt: string;
  reasons: ReasonView[];
  claimedBy: string | null;
}

export type DecisionResult = { ok: true; status: 'extracted' | 'failed'; recordId: string | null; version: number | null };

export type FailedCheck = { name: string; message: string; fields: string[] };
