import { ApiError, GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reply, startFakeGemini } from '../support/fake-gemini.ts';
import type { FakeGemini } from '../support/fake-gemini.ts';

const KEY = 'fake-key-0123456789';
let fake: FakeGemini;
let ai: GoogleGenAI;

beforeAll(async () => {
  fake = await startFakeGemini();
  ai = new GoogleGenAI({ apiKey: KEY, vertexai: false, apiVersion: 'v1beta', httpOptions: { baseUrl: fake.url, apiVersion: 'v1beta' } });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

describe('fake Gemini server through the real SDK', () => {
  it('answers generateContent with the real response shape and records the request', async () => {
    fake.on('gemini-2.5-flash', 'generateContent', () => reply.json({ a: 1 }, { prompt: 12, output: 3, cached: 2 }, { avgLogprobs: -0.25 }));
    const response = await ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: [{ role: 'user', parts: [{ text: 'hello' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] }],
      config: { systemInstruction: 'be brief', responseMimeType: 'application/json' },
    });
    expect(response.text).toBe('{"a":1}');
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
    expect(response.candidates?.[0]?.avgLogprobs).toBe(-0.25);
    expect(response.usageMetadata?.promptTokenCount).toBe(12);
    expect(response.usageMetadata?.candidatesTokenCount).toBe(3);
    expect(response.usageMetadata?.cachedContentTokenCount).toBe(2);
    expect(response.usageMetadata?.totalTokenCount).toBe(15);

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.model).toBe('gemini-2.5-flash');
    expect(req.method).toBe('generateContent');
    expect(req.apiVersion).toBe('v1beta');
    expect(req.apiKeySent).toBe(true);
    expect(req.text).toBe('be brief\nhello');
    expect(req.systemText).toBe('be brief');
    expect(req.imageCount).toBe(1);
    expect(req.body.generationConfig.responseMimeType).toBe('application/json');
    expect(JSON.stringify(req)).not.toContain(KEY);
  });

  it('serves queued replies in order before the default responder', async () => {
    fake.enqueue('m', 'generateContent', reply.text('first'), reply.text('second'));
    fake.on('m', 'generateContent', () => reply.text('default'));
    const texts: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) texts.push((await ai.models.generateContent({ model: 'm', contents: 'x' })).text);
    expect(texts).toEqual(['first', 'second', 'default']);
  });

  it('counts tokens as ceil(chars / 4) by default, and as told otherwise', async () => {
    const counted = await ai.models.countTokens({ model: 'm', contents: [{ role: 'user', parts: [{ text: 'abcdefghij' }] }] });
    expect(counted.totalTokens).toBe(3);
    fake.enqueue('m', 'countTokens', reply.tokens(777));
    expect((await ai.models.countTokens({ model: 'm', contents: 'abc' })).totalTokens).toBe(777);
    expect(fake.requests.map((r) => r.method)).toEqual(['countTokens', 'countTokens']);
  });

  it('sends errors in Google JSON form, which the SDK exposes as ApiError', async () => {
    fake.enqueue('m', 'generateContent', reply.error(429, { retryDelay: '2s', message: 'quota exceeded' }));
    const error = await ai.models.generateContent({ model: 'm', contents: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(429);
    expect(JSON.parse((error as ApiError).message)).toEqual({
      error: {
        code: 429,
        message: 'quota exceeded',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' }],
      },
    });
  });

  it('answers 500 naming the model and method when nothing is configured', async () => {
    const error = (await ai.models.generateContent({ model: 'nobody', contents: 'x' }).catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(500);
    expect(error.message).toContain('no responder for model \\"nobody\\" method \\"generateContent\\"');
  });

  it('shapes truncated, safety-blocked and empty answers like the API', async () => {
    fake.enqueue('m', 'generateContent', reply.truncated('{"a":'), reply.safety(), reply.empty());
    const truncated = await ai.models.generateContent({ model: 'm', contents: 'x' });
    expect(truncated.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
    expect(truncated.text).toBe('{"a":');
    const safety = await ai.models.generateContent({ model: 'm', contents: 'x' });
    expect(safety.candidates?.[0]?.finishReason).toBe('SAFETY');
    expect(safety.candidates?.[0]?.content).toBeUndefined();
    const empty = await ai.models.generateContent({ model: 'm', contents: 'x' });
    expect(empty.candidates).toBeUndefined();
    expect(empty.promptFeedback?.blockReason).toBe('OTHER');
  });
});
