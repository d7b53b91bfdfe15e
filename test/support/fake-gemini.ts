/**
 * A local fake of the Gemini REST API (generativelanguage.googleapis.com), as
 * `@google/genai` calls it when `httpOptions.baseUrl` points here:
 *
 *   POST /{apiVersion}/models/{model}:generateContent
 *   POST /{apiVersion}/models/{model}:countTokens
 *   GET  /{apiVersion}/models/{model}                      models.get (known models; retired → 404 naming the replacement)
 *   POST /{apiVersion}/models/{model}:batchGenerateContent  batches.create (inlined requests)
 *   GET  /{apiVersion}/batches/{id}                        batches.get (state; inlined responses once done)
 *   GET  /{apiVersion}/batches                             batches.list (newest first, pageSize/pageToken)
 *   POST /{apiVersion}/batches/{id}:cancel                 batches.cancel (recorded; an ended batch: 400 FAILED_PRECONDITION)
 *   POST /upload/{apiVersion}/files + the upload URL       files.upload (resumable protocol)
 *
 * Like current models, answers carry no log-probabilities; usage can carry
 * thinking tokens (`thoughtsTokenCount`); requests may hold PDF parts
 * (inline `application/pdf` or `fileData`) and image parts, counted apart.
 * A batch is answered by the model's generateContent responder, request by
 * request, when it runs: `completeBatches()` runs every pending batch (or
 * `batchAutoCompleteAfterPolls` gets of a batch do).
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
  /** batchGenerateContent requests reach the generateContent responder one by one, with `batch` set. */
  method: 'generateContent' | 'countTokens';
  /** The parsed JSON body as sent by the SDK. */
  body: any;
  /** All text parts joined with "\n": the system instruction first (when sent), then the contents. */
  text: string;
  /** Image parts (inlineData image/*) in the contents. */
  imageCount: number;
  /** PDF parts (inline application/pdf, or fileData) in the contents. */
  pdfCount: number;
  /** The generationConfig as sent (thinkingConfig, temperature, maxOutputTokens, mediaResolution …). */
  generationConfig: any;
  /** The batch this request came in (batches/…), or null for an online call. */
  batch: string | null;
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

/** Token figures of an answer; `thoughts` are thinking tokens (billed as output, reported apart). */
export interface FakeUsage {
  prompt?: number;
  output?: number;
  cached?: number;
  thoughts?: number;
}

function usageMetadata(usage: FakeUsage = {}) {
  const prompt = usage.prompt ?? DEFAULT_USAGE.prompt;
  const output = usage.output ?? DEFAULT_USAGE.output;
  const thoughts = usage.thoughts ?? 0;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: output,
    totalTokenCount: prompt + output + thoughts,
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
    ...(usage.cached !== undefined ? { cachedContentTokenCount: usage.cached } : {}),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
  };
}

function candidateReply(text: string, finishReason: string, usage?: FakeUsage): FakeReply {
  return {
    status: 200,
    body: {
      candidates: [
        {
          content: { role: 'model', parts: [{ text }] },
          finishReason,
          index: 0,
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
  json(value: unknown, usage?: FakeUsage): FakeReply {
    return candidateReply(JSON.stringify(value), 'STOP', usage);
  },
  /** Raw candidate text (malformed JSON, prose…), finishReason STOP unless given. */
  text(text: string, finishReason = 'STOP', usage?: FakeUsage): FakeReply {
    return candidateReply(text, finishReason, usage);
  },
  /** A candidate cut off at the output limit (finishReason MAX_TOKENS): the text so far. */
  truncated(text: string, usage?: FakeUsage): FakeReply {
    return candidateReply(text, 'MAX_TOKENS', usage);
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

export interface FakeBatch {
  /** "batches/<id>" */
  name: string;
  model: string;
  displayName: string;
  state: 'BATCH_STATE_PENDING' | 'BATCH_STATE_RUNNING' | 'BATCH_STATE_SUCCEEDED' | 'BATCH_STATE_FAILED' | 'BATCH_STATE_CANCELLED' | 'BATCH_STATE_EXPIRED';
  /** The inlined requests as sent ({request, metadata}). */
  requests: { request: any; metadata?: Record<string, string> }[];
  /** Filled when the batch ran: one per request, in order. */
  responses: { response?: unknown; error?: unknown; metadata?: Record<string, string> }[] | null;
  polls: number;
  createTime: string;
  /** When batches.cancel cancelled it (Date.now()), or null. */
  cancelledAt: number | null;
}

export interface FakeGemini {
  url: string;
  requests: FakeRequest[];
  /** Default answers per model and method (function of the request). countTokens defaults to ceil(chars/4) of the text (+258 per image). */
  on(model: string, method: FakeRequest['method'], responder: Responder): void;
  /** One-off replies consumed in order before the default responder (e.g. two 429s then success). */
  enqueue(model: string, method: FakeRequest['method'], ...replies: FakeReply[]): void;
  /** Models models.get knows (besides any model with a responder), and retired ones (404 naming the replacement). */
  knownModels: Set<string>;
  retire(model: string, replacement: string | null, shutdown?: string): void;
  /** Batches created so far, by name. */
  batches: Map<string, FakeBatch>;
  /** Every batches.cancel call, in order: the batch name and what it found (cancelled, or already ended). */
  batchCancels: { name: string; result: 'cancelled' | 'already-ended' | 'not-found' }[];
  /** The next this-many batches.create calls create the batch but answer 503, as if the answer were lost on the way. */
  loseBatchCreateAnswers: number;
  /** Runs every pending batch now (each request through the model's generateContent responder). */
  completeBatches(): Promise<void>;
  /** A batch gets this many `batches.get` polls before it runs by itself (default: never; tests call completeBatches). */
  batchAutoCompleteAfterPolls: number | null;
  /** Files uploaded through the Files API, by name. */
  files: Map<string, { mimeType: string; bytes: number }>;
  /** Forgets requests, responders, queued replies, batches and files. */
  reset(): void;
  close(): Promise<void>;
}

/** Tokens the fake's default countTokens charges per image (Gemini's figure for a small image). */
export const FAKE_IMAGE_TOKENS = 258;

const PATH = /^\/(v1beta|v1)\/models\/([^/:]+):(generateContent|countTokens|batchGenerateContent)$/;
const MODEL_PATH = /^\/(v1beta|v1)\/models\/([^/:]+)$/;
const BATCH_PATH = /^\/(v1beta|v1)\/batches\/([^/:]+)$/;
const BATCH_CANCEL_PATH = /^\/(v1beta|v1)\/batches\/([^/:]+):cancel$/;
const BATCH_LIST_PATH = /^\/(v1beta|v1)\/batches$/;
const UPLOAD_START = /^\/upload\/(v1beta|v1)\/files$/;
const UPLOAD_URL = /^\/fake-upload\/([a-z0-9]+)$/;

function collectParts(body: any): { text: string; systemText: string; imageCount: number; pdfCount: number } {
  const texts: string[] = [];
  let imageCount = 0;
  let pdfCount = 0;
  const system: string[] = [];
  const walkContent = (content: any, into: string[], countMedia: boolean) => {
    for (const part of Array.isArray(content?.parts) ? content.parts : []) {
      if (typeof part?.text === 'string') into.push(part.text);
      if (!countMedia) continue;
      const mime = part?.inlineData?.mimeType ?? part?.fileData?.mimeType;
      if (mime === 'application/pdf') pdfCount++;
      else if (part?.inlineData) imageCount++;
    }
  };
  // generateContent: {contents, systemInstruction, generationConfig}
  // countTokens (Gemini API): {contents} or {generateContentRequest: {model, contents, ...}}
  const request = body?.generateContentRequest ?? body;
  if (request?.systemInstruction) walkContent(request.systemInstruction, system, false);
  for (const content of Array.isArray(request?.contents) ? request.contents : []) walkContent(content, texts, true);
  const systemText = system.join('\n');
  return { text: [...system, ...texts].join('\n'), systemText, imageCount, pdfCount };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(payload);
}

function errorBody(status: number, message: string) {
  return { error: { code: status, message, status: STATUS_NAMES[status] ?? 'UNKNOWN' } };
}

export async function startFakeGemini(): Promise<FakeGemini> {
  const requests: FakeRequest[] = [];
  const responders = new Map<string, Responder>();
  const queues = new Map<string, FakeReply[]>();
  const key = (model: string, method: string) => `${model}:${method}`;
  const sockets = new Set<import('node:net').Socket>();
  const knownModels = new Set<string>();
  const retired = new Map<string, { replacement: string | null; shutdown: string }>();
  const batches = new Map<string, FakeBatch>();
  const files = new Map<string, { mimeType: string; bytes: number }>();
  const uploads = new Map<string, { mimeType: string }>();
  let nextId = 1;
  let port = 0;

  const answer = async (request: FakeRequest): Promise<FakeReply> => {
    try {
      const queued = queues.get(key(request.model, request.method));
      const responder = responders.get(key(request.model, request.method));
      if (queued && queued.length > 0) return queued.shift() as FakeReply;
      if (responder) return await responder(request);
      if (request.method === 'countTokens') return reply.tokens(Math.ceil(request.text.length / 4) + FAKE_IMAGE_TOKENS * request.imageCount);
      return reply.error(500, { message: `fake-gemini: no responder for model "${request.model}" method "${request.method}"` });
    } catch (error) {
      return reply.error(500, { message: `fake-gemini: responder for ${request.model}:${request.method} threw: ${String(error)}` });
    }
  };

  const toRequest = (model: string, method: FakeRequest['method'], body: any, apiVersion: string, apiKeySent: boolean, batch: string | null): FakeRequest => {
    const { text, systemText, imageCount, pdfCount } = collectParts(body);
    return {
      model,
      method,
      body,
      text,
      imageCount,
      pdfCount,
      generationConfig: (body?.generateContentRequest ?? body)?.generationConfig ?? {},
      batch,
      apiKeySent,
      at: Date.now(),
      apiVersion,
      systemText,
    };
  };

  const runBatch = async (batch: FakeBatch): Promise<void> => {
    if (batch.responses !== null || batch.state === 'BATCH_STATE_CANCELLED') return;
    batch.state = 'BATCH_STATE_RUNNING';
    const out: NonNullable<FakeBatch['responses']> = [];
    for (const item of batch.requests) {
      const request = toRequest(batch.model, 'generateContent', item.request, 'v1beta', true, batch.name);
      requests.push(request);
      const a = await answer(request);
      out.push(
        a.status === 200
          ? { response: a.body, ...(item.metadata ? { metadata: item.metadata } : {}) }
          : { error: (a.body as any)?.error ?? { code: a.status }, ...(item.metadata ? { metadata: item.metadata } : {}) },
      );
    }
    batch.responses = out;
    batch.state = 'BATCH_STATE_SUCCEEDED';
  };

  const batchOperation = (batch: FakeBatch) => {
    const done = batch.responses !== null && batch.state === 'BATCH_STATE_SUCCEEDED';
    const metadata = {
      '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch',
      model: `models/${batch.model}`,
      displayName: batch.displayName,
      state: batch.state,
      createTime: batch.createTime,
      updateTime: new Date().toISOString(),
      batchStats: { requestCount: String(batch.requests.length), ...(done ? { successfulRequestCount: String(batch.requests.length) } : { pendingRequestCount: String(batch.requests.length) }) },
      ...(done ? { endTime: new Date().toISOString(), output: { inlinedResponses: { inlinedResponses: batch.responses } } } : {}),
    };
    return { name: batch.name, metadata, done: batch.state !== 'BATCH_STATE_PENDING' && batch.state !== 'BATCH_STATE_RUNNING' };
  };

  const fake: FakeGemini = {
    url: '',
    requests,
    knownModels,
    batches,
    files,
    batchAutoCompleteAfterPolls: null,
    batchCancels: [],
    loseBatchCreateAnswers: 0,
    on(model, method, responder) {
      responders.set(key(model, method), responder);
    },
    enqueue(model, method, ...replies) {
      const k = key(model, method);
      queues.set(k, [...(queues.get(k) ?? []), ...replies]);
    },
    retire(model, replacement, shutdown = '2026-12-01') {
      retired.set(model, { replacement, shutdown });
    },
    async completeBatches() {
      for (const batch of batches.values()) await runBatch(batch);
    },
    reset() {
      requests.length = 0;
      responders.clear();
      queues.clear();
      knownModels.clear();
      retired.clear();
      batches.clear();
      files.clear();
      uploads.clear();
      fake.batchAutoCompleteAfterPolls = null;
      fake.batchCancels.length = 0;
      fake.loseBatchCreateAnswers = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://fake');
        const apiKeySent = typeof req.headers['x-goog-api-key'] === 'string' && req.headers['x-goog-api-key'] !== '';
        const raw = Buffer.concat(chunks);
        const parseBody = (): any => {
          try {
            return JSON.parse(raw.toString('utf8') || '{}');
          } catch {
            return undefined;
          }
        };

        // Files API: resumable upload (start, then the bytes to the upload URL).
        if (req.method === 'POST' && UPLOAD_START.test(url.pathname)) {
          const id = String(nextId++);
          uploads.set(id, { mimeType: String(req.headers['x-goog-upload-header-content-type'] ?? 'application/octet-stream') });
          sendJson(res, 200, {}, { 'x-goog-upload-url': `http://127.0.0.1:${port}/fake-upload/${id}`, 'x-goog-upload-status': 'active' });
          return;
        }
        const up = UPLOAD_URL.exec(url.pathname);
        if (req.method === 'POST' && up) {
          const upload = uploads.get(up[1] as string);
          if (!upload) return sendJson(res, 404, errorBody(404, 'fake-gemini: unknown upload'));
          const name = `files/fake${up[1]}`;
          files.set(name, { mimeType: upload.mimeType, bytes: raw.length });
          sendJson(
            res,
            200,
            { file: { name, uri: `http://127.0.0.1:${port}/v1beta/${name}`, mimeType: upload.mimeType, sizeBytes: String(raw.length), state: 'ACTIVE' } },
            { 'x-goog-upload-status': 'final' },
          );
          return;
        }

        // models.get
        const mm = MODEL_PATH.exec(url.pathname);
        if (req.method === 'GET' && mm) {
          const model = mm[2] as string;
          const gone = retired.get(model);
          if (gone) {
            sendJson(
              res,
              404,
              errorBody(
                404,
                `models/${model} was shut down on ${gone.shutdown} and is no longer available.` +
                  (gone.replacement ? ` Use models/${gone.replacement} instead.` : ''),
              ),
            );
            return;
          }
          const known = knownModels.has(model) || [...responders.keys()].some((k) => k.startsWith(`${model}:`));
          if (!known) {
            sendJson(res, 404, errorBody(404, `models/${model} is not found for API version ${mm[1]}, or is not supported for generateContent.`));
            return;
          }
          sendJson(res, 200, {
            name: `models/${model}`,
            displayName: model,
            version: '001',
            inputTokenLimit: 1_048_576,
            outputTokenLimit: 65_536,
            supportedGenerationMethods: ['generateContent', 'countTokens', 'batchGenerateContent'],
            temperature: 1,
            maxTemperature: 2,
            thinking: true,
          });
          return;
        }

        // batches.get
        const bm = BATCH_PATH.exec(url.pathname);
        if (req.method === 'GET' && bm) {
          const batch = batches.get(`batches/${bm[2]}`);
          if (!batch) return sendJson(res, 404, errorBody(404, `batches/${bm[2]} not found`));
          batch.polls += 1;
          if (fake.batchAutoCompleteAfterPolls !== null && batch.polls >= fake.batchAutoCompleteAfterPolls) await runBatch(batch);
          sendJson(res, 200, batchOperation(batch));
          return;
        }

        // batches.list: newest first
        if (req.method === 'GET' && BATCH_LIST_PATH.test(url.pathname)) {
          const all = [...batches.values()].reverse();
          const pageSize = Math.max(1, Number(url.searchParams.get('pageSize') ?? 50));
          const offset = Number(url.searchParams.get('pageToken') ?? 0);
          const page = all.slice(offset, offset + pageSize);
          const next = offset + pageSize < all.length ? String(offset + pageSize) : undefined;
          sendJson(res, 200, { operations: page.map(batchOperation), ...(next ? { nextPageToken: next } : {}) });
          return;
        }

        // batches.cancel
        const cm = BATCH_CANCEL_PATH.exec(url.pathname);
        if (req.method === 'POST' && cm) {
          const name = `batches/${cm[2]}`;
          const batch = batches.get(name);
          if (!batch) {
            fake.batchCancels.push({ name, result: 'not-found' });
            return sendJson(res, 404, errorBody(404, `${name} not found`));
          }
          if (batch.state !== 'BATCH_STATE_PENDING' && batch.state !== 'BATCH_STATE_RUNNING') {
            fake.batchCancels.push({ name, result: 'already-ended' });
            return sendJson(res, 400, { error: { code: 400, message: `${name} is already in a terminal state (${batch.state})`, status: 'FAILED_PRECONDITION' } });
          }
          batch.state = 'BATCH_STATE_CANCELLED';
          batch.cancelledAt = Date.now();
          fake.batchCancels.push({ name, result: 'cancelled' });
          sendJson(res, 200, {});
          return;
        }

        const m = PATH.exec(url.pathname);
        if (req.method !== 'POST' || !m) {
          sendJson(res, 404, errorBody(404, `fake-gemini: unknown endpoint ${req.method} ${url.pathname}`));
          return;
        }
        const [, apiVersion, model, method] = m as unknown as [string, string, string, FakeRequest['method'] | 'batchGenerateContent'];
        const body = parseBody();
        if (body === undefined) {
          sendJson(res, 400, errorBody(400, 'fake-gemini: request body is not JSON'));
          return;
        }

        // batches.create (inlined requests)
        if (method === 'batchGenerateContent') {
          const items = body?.batch?.inputConfig?.requests?.requests;
          if (!Array.isArray(items) || items.length === 0) {
            sendJson(res, 400, errorBody(400, 'fake-gemini: batch.inputConfig.requests.requests is empty'));
            return;
          }
          const batch: FakeBatch = {
            name: `batches/fake${nextId++}`,
            model,
            displayName: String(body.batch.displayName ?? ''),
            state: 'BATCH_STATE_PENDING',
            requests: items.map((i: any) => ({ request: i.request, ...(i.metadata ? { metadata: i.metadata } : {}) })),
            responses: null,
            polls: 0,
            createTime: new Date().toISOString(),
            cancelledAt: null,
          };
          batches.set(batch.name, batch);
          if (fake.loseBatchCreateAnswers > 0) {
            fake.loseBatchCreateAnswers -= 1;
            sendJson(res, 503, errorBody(503, 'fake-gemini: the batch was created, but this answer is lost'));
            return;
          }
          sendJson(res, 200, batchOperation(batch));
          return;
        }

        const request = toRequest(model, method, body, apiVersion, apiKeySent, null);
        requests.push(request);
        const a = await answer(request);
        if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
        if (res.destroyed) return;
        sendJson(res, a.status, a.body, a.headers);
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
  port = (server.address() as AddressInfo).port;
  fake.url = `http://127.0.0.1:${port}`;
  return fake;
}
