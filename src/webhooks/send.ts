import http from 'node:http';
import https from 'node:https';
import { checkWebhookUrl, guardedLookup } from './address-guard.ts';

export interface WebhookResponse {
  statusCode: number;
  latencyMs: number;
  /** From a Retry-After header (seconds or an HTTP date), when the receiver sent one. */
  retryAfterMs: number | null;
}

/** What a receiver may answer with at most; the rest is not read. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one signed delivery. Resolves with the receiver's status (any status);
 * rejects on a refused address, a network error or the timeout — a receiver
 * that hangs costs at most `timeoutMs` of a worker's slot.
 */
export function postWebhook(request: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
}): Promise<WebhookResponse> {
  const url = checkWebhookUrl(request.url, request.allowPrivate);
  const started = performance.now();
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'docroute-webhooks',
          'content-length': Buffer.byteLength(request.body),
          ...request.headers,
        },
        lookup: guardedLookup(request.allowPrivate),
        // Redirects are not followed (a 3xx is an answer like another): they could lead anywhere.
      },
      (res) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) res.destroy();
        });
        const done = () => {
          clearTimeout(timer);
          resolve({
            statusCode: res.statusCode ?? 0,
            latencyMs: Math.round(performance.now() - started),
            retryAfterMs: parseRetryAfter(res.headers['retry-after']),
          });
        };
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${request.timeoutMs} ms`)), request.timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(request.body);
  });
}

export function parseRetryAfter(value: string | undefined): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
