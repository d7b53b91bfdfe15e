/**
 * A local fake of the Gemini REST API (generativelanguage.googleapis.com), as
 * `@google/genai` calls it when `httpOptions.baseUrl` points here:
 *
 *   POST /{apiVersion}/models/{model}:generateContent
 *   POST /{apiVersion}/models/{model}:countTokens
 *
 * (apiVersion is "v1beta" for our client, "v1" is the SDK 3.x default; both are
 * accepted.) The API key arrives in the `x-goog-api-key` header; the fake only
 * records whether one was sent, never its value.
 *
 * Answers have the real shapes: a GenerateContentResponse
 * `{candidates, usageMetadata, modelVersion}`, a CountTokensResponse
 * `{totalTokens}`, and errors as `{error: {code, message, status, details}}`
 * with content-type application/json (the SDK turns that body into
 * `ApiError.message`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  model: string;
  method: 'generateContent' | 'countTokens';
  /** The parsed JSON body as sent by the SDK. */
  body: any;
  /** All text parts joined with "\n": the system instruction first (when sent), then the contents. */
  text: string;
  /** inlineData parts in the contents. */
  imageCount: number;
  /** Whether an `x-goog-api-key` header was present (its value is never stored). */
  apiKeySent: boolean;
  /** Date.now() when the request arrived. */
  at: number;
  /** "v1beta" or "v1": the API version in the path. */
  apiVersion: string;
  /** Only the system instruction's text ("" when none was sent). */
  systemText: string;
}

export type FakeReply = { status: number; body: unknown; delayMs?: number; headers?: Record<string, string> };
export type Responder = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** Default usage figures of `reply.json` / `reply.text` when none are given. */
export const DEFAULT_USAGE = { prompt: 1000, output: 200 } as const;

function usageMetadata(usage: { prompt?: number; output?: number; cached?: number } = {}) {
  const prompt = usage.prompt ?? DEFAULT_USAGE.prompt;
  const output = usage.output ?? DEFAULT_USAGE.output;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: output,
    totalTokenCount: prompt + output,
    ...(usage.cached !== undefined ? { cachedContentTokenCount: usage.cached } : {}),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
  };
}

function candidateReply(
  text: string,
  finishReason: string,
  usage?: { prompt?: number; output?: number; cached?: number },
  extra: { avgLogprobs?: number } = {},
): FakeReply {
  return {
    status: 200,
    body: {
      candidates: [
        {
          content: { role: 'model', parts: [{ text }] },
          finishReason,
          index: 0,
          ...(extra.avgLogprobs !== undefined ? { avgLogprobs: extra.avgLogprobs } : {}),
        },
      ],
      usageMetadata: usageMetadata(usage),
      modelVersion: 'fake-gemini',
      responseId: 'fake-response',
    },
  };
}

export const reply = {
  /** A STOP candidate whose text is JSON.stringify(value). */
  json(value: unknown, usage?: { prompt?: number; output?: number; cached?: number }, extra?: { avgLogprobs?: number }): FakeReply {
    return candidateReply(JSON.stringify(value), 'STOP', usage, extra);
  },
  /** Raw candidate text (malformed JSON, prose…), finishReason STOP unless given. */
  text(text: string, finishReason = 'STOP'): FakeReply {
    return candidateReply(text, finishReason);
  },
  /** A candidate cut off at the output limit (finishReason MAX_TOKENS). */
  truncated(text: string): FakeReply {
    return candidateReply(text, 'MAX_TOKENS');
  },
  /** A candidate stopped by the safety filter: no content. */
  safety(): FakeReply {
    return {
      status: 200,
      body: {
        candidates: [
          {
            finishReason: 'SAFETY',
            index: 0,
            safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }],
          },
        ],
        usageMetadata: { promptTokenCount: DEFAULT_USAGE.prompt, totalTokenCount: DEFAULT_USAGE.prompt },
        modelVersion: 'fake-gemini',
      },
    };
  },
  /** No candidates at all: the prompt itself was blocked. */
  empty(): FakeReply {
    return {
      status: 200,
      body: {
        promptFeedback: { blockReason: 'OTHER' },
        usageMetadata: { promptTokenCount: DEFAULT_USAGE.prompt, totalTokenCount: DEFAULT_USAGE.prompt },
        modelVersion: 'fake-gemini',
      },
    };
  },
  /** An error in Google's JSON error format, with a RetryInfo detail when retryDelay is given ("2s", "0.5s"). */
  error(status: number, options: { retryDelay?: string; message?: string } = {}): FakeReply {
    const details: unknown[] = [];
    if (options.retryDelay !== undefined) {
      details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: options.retryDelay });
    }
    return {
      status,
      body: {
        error: {
          code: status,
          message: options.message ?? `fake-gemini error ${status}`,
          status: STATUS_NAMES[status] ?? 'UNKNOWN',
          ...(details.length > 0 ? { details } : {}),
        },
      },
    };
  },
  /** A countTokens answer. */
  tokens(total: number): FakeReply {
    return { status: 200, body: { totalTokens: total } };
  },
};

export interface FakeGemini {
  url: string;
  requests: FakeRequest[];
  /** Default answers per model and method (function of the request). countTokens defaults to ceil(chars/4) of the text (+258 per image). */
  on(model: string, method: FakeRequest['method'], responder: Responder): void;
  /** One-off replies consumed in order before the default responder (e.g. two 429s then success). */
  enqueue(model: string, method: FakeRequest['method'], ...replies: FakeReply[]): void;
  /** Forgets requests, responders and queued replies. */
  reset(): void;
  close(): Promise<void>;
}

/** Tokens the fake's default countTokens charges per image (Gemini's figure for a small image). */
export const FAKE_IMAGE_TOKENS = 258;

const PATH = /^\/(v1beta|v1)\/models\/([^/:]+):(generateContent|countTokens)$/;

function collectParts(body: any): { text: string; systemText: string; imageCount: number } {
  const texts: string[] = [];
  let imageCount = 0;
  const system: string[] = [];
  const walkContent = (content: any, into: string[], countImages: boolean) => {
    for (const part of Array.isArray(content?.parts) ? content.parts : []) {
      if (typeof part?.text === 'string') into.push(part.text);
      if (countImages && part?.inlineData) imageCount++;
    }
  };
  // generateContent: {contents, systemInstruction, generationConfig}
  // countTokens (Gemini API): {contents} or {generateContentRequest: {model, contents, ...}}
  const request = body?.generateContentRequest ?? body;
  if (request?.systemInstruction) walkContent(request.systemInstruction, system, false);
  for (const content of Array.isArray(request?.contents) ? request.contents : []) walkContent(content, texts, true);
  const systemText = system.join('\n');
  return { text: [...system, ...texts].join('\n'), systemText, imageCount };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(payload);
}

export async function startFakeGemini(): Promise<FakeGemini> {
  const requests: FakeRequest[] = [];
  const responders = new Map<string, Responder>();
  const queues = new Map<string, FakeReply[]>();
  const key = (model: string, method: string) => `${model}:${method}`;
  const sockets = new Set<import('node:net').Socket>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const m = PATH.exec(url.pathname);
        if (req.method !== 'POST' || !m) {
          sendJson(res, 404, {
            error: { code: 404, message: `fake-gemini: unknown endpoint ${req.method} ${url.pathname}`, status: 'NOT_FOUND' },
          });
          return;
        }
        const [, apiVersion, model, method] = m as unknown as [string, string, string, FakeRequest['method']];
        let body: any;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        } catch {
          sendJson(res, 400, { error: { code: 400, message: 'fake-gemini: request body is not JSON', status: 'INVALID_ARGUMENT' } });
          return;
        }
        const { text, systemText, imageCount } = collectParts(body);
        const request: FakeRequest = {
          model,
          method,
          body,
          text,
          imageCount,
          apiKeySent: typeof req.headers['x-goog-api-key'] === 'string' && req.headers['x-goog-api-key'] !== '',
          at: Date.now(),
          apiVersion,
          systemText,
        };
        requests.push(request);

        let answer: FakeReply;
        try {
          const queued = queues.get(key(model, method));
          const responder = responders.get(key(model, method));
          if (queued && queued.length > 0) answer = queued.shift() as FakeReply;
          else if (responder) answer = await responder(request);
          else if (method === 'countTokens') answer = reply.tokens(Math.ceil(text.length / 4) + FAKE_IMAGE_TOKENS * imageCount);
          else answer = reply.error(500, { message: `fake-gemini: no responder for model "${model}" method "${method}"` });
        } catch (error) {
          answer = reply.error(500, { message: `fake-gemini: responder for ${model}:${method} threw: ${String(error)}` });
        }
        if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
        if (res.destroyed) return;
        sendJson(res, answer.status, answer.body, answer.headers);
      })();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on(model, method, responder) {
      responders.set(key(model, method), responder);
    },
    enqueue(model, method, ...replies) {
      const k = key(model, method);
      queues.set(k, [...(queues.get(k) ?? []), ...replies]);
    },
    reset() {
      requests.length = 0;
      responders.clear();
      queues.clear();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
