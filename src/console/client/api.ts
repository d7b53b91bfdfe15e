/** The console's calls to its server: JSON, the session cookie, and the CSRF token on every post. */

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

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
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
  reasons: string[];
  claimedBy: string | null;
}

export interface FieldView {
  name: string;
  label: string;
  type: 'text' | 'date' | 'amount' | 'currency' | 'iban' | 'duration' | 'boolean';
  value: unknown;
  confidence: number | null;
  page: number | null;
  quote: string | null;
  boxes: Box[] | null;
  checks: { name: string; passed: boolean; message: string }[];
  attention: string[];
}

export interface LineView {
  description: string;
  quantity: string | null;
  unitPrice: string | null;
  amount: string | null;
  confidence: number | null;
  page: number | null;
  boxes: Box[] | null;
}

export interface DocumentView {
  documentId: string;
  file: string;
  kind: 'invoice' | 'contract' | 'other' | null;
  status: string;
  reasons: string[];
  createdAt: string;
  pages: { page: number; width: number | null; height: number | null }[];
  fields: FieldView[];
  lineItems: LineView[] | null;
  parties: { name: string; role: string | null; confidence: number | null; page: number | null; boxes: Box[] | null }[] | null;
  documentChecks: { name: string; passed: boolean; message: string }[];
  candidate: boolean;
}

export type DecisionResult = { ok: true; status: 'extracted' | 'failed'; recordId: string | null; version: number | null };

export type FailedCheck = { name: string; message: string; fields: string[] };
