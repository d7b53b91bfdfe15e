import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.ts';
import { createGeminiClient, GeminiApiError, parseRetryDelay } from '../../src/extraction/gemini/gemini-client.ts';
import type { GeminiClientOptions, RetryEvent } from '../../src/extraction/gemini/gemini-client.ts';
import { reply, startFakeGemini } from '../support/fake-gemini.ts';
import type { FakeGemini } from '../support/fake-gemini.ts';

const KEY = 'AIzaSy-test-key-do-not-leak-0123';
const MODEL = 'gemini-3.8-flash';
let fake: FakeGemini;

beforeAll(async () => {
  fake = await startFakeGemini();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

function setup(overrides: Partial<GeminiClientOptions> = {}) {
  const sleeps: number[] = [];
  const retries: RetryEvent[] = [];
  const client = createGeminiClient({
    apiKey: new Secret(KEY),
    baseUrl: fake.url,
    timeoutMs: 5000,
    maxAttempts: 4,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    onRetry: (e) => retries.push(e),
    ...overrides,
  });
  return { client, sleeps, retries };
}

const params = { model: MODEL, contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };

describe('parseRetryDelay', () => {
  it('reads protobuf durations', () => {
    expect(parseRetryDelay('2s')).toBe(2000);
    expect(parseRetryDelay('0.5s')).toBe(500);
    expect(parseRetryDelay('31.337s')).toBe(31_337);
    expect(parseRetryDelay('soon')).toBeNull();
    expect(parseRetryDelay(undefined)).toBeNull();
  });
});

describe('createGeminiClient', () => {
  it('calls v1beta with the API key header and no SDK-side retries', async () => {
    fake.on(MODEL, 'generateContent', () => reply.text('ok'));
    const { client } = setup();
    const response = await client.generateContent(params);
    expect(response.text).toBe('ok');
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.apiVersion).toBe('v1beta');
    expect(fake.requests[0]!.apiKeySent).toBe(true);
  });

  it('honours the RetryInfo delay of a 429 (at least that long)', async () => {
    fake.enqueue(MODEL, 'generateContent', reply.error(429, { retryDelay: '2s' }), reply.error(429, { retryDelay: '0.25s' }));
    fake.on(MODEL, 'generateContent', () => reply.text('ok'));
    const { client, sleeps, retries } = setup();
    expect((await client.generateContent(params)).text).toBe('ok');
    // backoff with random 0.5: 0.5 × 1000 = 500, then 0.5 × 2000 = 1000; the hints are 2000 and 250.
    expect(sleeps).toEqual([2000, 1000]);
    expect(retries.map((r) => [r.attempt, r.status, r.delayMs])).toEqual([
      [1, 429, 2000],
      [2, 429, 1000],
    ]);
    expect(fake.requests).toHaveLength(3);
  });

  it('retries a 500 with jittered exponential backoff, then succeeds', async () => {
    fake.enqueue(MODEL, 'generateContent', reply.error(500), reply.error(503));
    fake.on(MODEL, 'generateContent', () => reply.text('ok'));
    const { client, sleeps } = setup({ random: () => 0.25, baseDelayMs: 400 });
    expect((await client.generateContent(params)).text).toBe('ok');
    expect(sleeps).toEqual([100, 200]);
  });

  it('never retries a 400', async () => {
    fake.on(MODEL, 'generateContent', () => reply.error(400, { message: 'Invalid JSON payload received.' }));
    const { client, sleeps } = setup();
    const error = (await client.generateContent(params).catch((e: unknown) => e)) as GeminiApiError;
    expect(error).toBeInstanceOf(GeminiApiError);
    expect(error.status).toBe(400);
    expect(error.statusName).toBe('INVALID_ARGUMENT');
    expect(error.retryable).toBe(false);
    expect(error.attempts).toBe(1);
    expect(error.message).toBe('Gemini generateContent (gemini-3.8-flash) failed: HTTP 400 INVALID_ARGUMENT: Invalid JSON payload received.');
    expect(sleeps).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it('never retries a 403 either', async () => {
    fake.on(MODEL, 'generateContent', () => reply.error(403, { message: 'Permission denied' }));
    const { client } = setup();
    await expect(client.generateContent(params)).rejects.toMatchObject({ status: 403, attempts: 1 });
    expect(fake.requests).toHaveLength(1);
  });

  it('stops at maxAttempts', async () => {
    fake.on(MODEL, 'generateContent', () => reply.error(503, { message: 'overloaded' }));
    const { client, sleeps } = setup({ maxAttempts: 3, random: () => 1 });
    const error = (await client.generateContent(params).catch((e: unknown) => e)) as GeminiApiError;
    expect(error.message).toBe('Gemini generateContent (gemini-3.8-flash) failed after 3 attempts: HTTP 503 UNAVAILABLE: overloaded');
    expect(error.retryable).toBe(true);
    expect(sleeps).toEqual([1000, 2000]);
    expect(fake.requests).toHaveLength(3);
  });

  it('retries network errors', async () => {
    // A port nothing listens on: connection refused.
    const closed = await startFakeGemini();
    const url = closed.url;
    await closed.close();
    const { client, retries } = setup({ baseUrl: url, maxAttempts: 2 });
    const error = (await client.generateContent(params).catch((e: unknown) => e)) as GeminiApiError;
    expect(error).toBeInstanceOf(GeminiApiError);
    expect(error.status).toBeNull();
    expect(error.attempts).toBe(2);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.status).toBeNull();
  });

  it('retries a request that exceeds the per-attempt timeout', async () => {
    fake.enqueue(MODEL, 'generateContent', { ...reply.text('late'), delayMs: 1500 });
    fake.on(MODEL, 'generateContent', () => reply.text('ok'));
    const { client, retries } = setup({ timeoutMs: 200 });
    expect((await client.generateContent(params)).text).toBe('ok');
    expect(retries).toHaveLength(1);
    expect(retries[0]!.reason).toBe('request timed out');
  });

  it('stops waiting when the caller aborts', async () => {
    fake.on(MODEL, 'generateContent', () => reply.error(429, { retryDelay: '60s' }));
    const controller = new AbortController();
    const { client } = setup({
      sleep: (ms, signal) =>
        new Promise((_, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
    });
    const pending = client.generateContent(params, controller.signal);
    await new Promise((r) => setTimeout(r, 100));
    controller.abort(new Error('activity cancelled'));
    await expect(pending).rejects.toThrow('activity cancelled');
    expect(fake.requests).toHaveLength(1);
  });

  it('never puts the API key in an error message, even when the server echoes it', async () => {
    fake.on(MODEL, 'generateContent', () => reply.error(400, { message: `API key not valid: ${KEY}` }));
    fake.on(MODEL, 'countTokens', () => reply.error(500, { message: `boom key=${KEY}` }));
    const { client, retries } = setup({ maxAttempts: 2 });
    const e1 = (await client.generateContent(params).catch((e: unknown) => e)) as Error;
    const e2 = (await client.countTokens(params).catch((e: unknown) => e)) as Error;
    for (const e of [e1, e2]) {
      expect(e.message).toContain('[redacted]');
      expect(e.message).not.toContain(KEY);
      expect(String(e.stack)).not.toContain(KEY);
      expect(JSON.stringify(e)).not.toContain(KEY);
      expect(e.cause).toBeUndefined();
    }
    expect(JSON.stringify(retries)).not.toContain(KEY);
    expect(retries).toHaveLength(1);
  });

  it('retries countTokens too', async () => {
    fake.enqueue(MODEL, 'countTokens', reply.error(429, { retryDelay: '1s' }), reply.tokens(42));
    const { client, sleeps } = setup();
    expect((await client.countTokens(params)).totalTokens).toBe(42);
    expect(sleeps).toEqual([1000]);
  });
});
