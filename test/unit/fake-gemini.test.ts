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
    fake.on('gemini-3.8-flash', 'generateContent', () => reply.json({ a: 1 }, { prompt: 12, output: 3, cached: 2, thoughts: 7 }));
    const response = await ai.models.generateContent({
      model: 'gemini-3.8-flash',
      contents: [{ role: 'user', parts: [{ text: 'hello' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] }],
      config: { systemInstruction: 'be brief', responseMimeType: 'application/json' },
    });
    expect(response.text).toBe('{"a":1}');
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
    expect(response.candidates?.[0]?.avgLogprobs).toBeUndefined(); // current models send none
    expect(response.usageMetadata?.thoughtsTokenCount).toBe(7);
    expect(response.usageMetadata?.promptTokenCount).toBe(12);
    expect(response.usageMetadata?.candidatesTokenCount).toBe(3);
    expect(response.usageMetadata?.cachedContentTokenCount).toBe(2);
    expect(response.usageMetadata?.totalTokenCount).toBe(22); // prompt + answer + thinking

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.model).toBe('gemini-3.8-flash');
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

describe('fake Gemini: models, files, PDF parts and batches through the real SDK', () => {
  it('answers models.get for known models and 404s unknown and retired ones (naming the replacement)', async () => {
    fake.knownModels.add('gemini-3.8-flash');
    fake.retire('gemini-2.5-pro', 'gemini-3.8-flash');
    const model = await ai.models.get({ model: 'gemini-3.8-flash' });
    expect(model.name).toBe('models/gemini-3.8-flash');
    expect(model.outputTokenLimit).toBe(65_536);
    expect(model.thinking).toBe(true);
    const retired = (await ai.models.get({ model: 'gemini-2.5-pro' }).catch((e: unknown) => e)) as ApiError;
    expect(retired).toBeInstanceOf(ApiError);
    expect(retired.status).toBe(404);
    expect(retired.message).toContain('Use models/gemini-3.8-flash instead');
    const unknown = (await ai.models.get({ model: 'gemini-9-ultra' }).catch((e: unknown) => e)) as ApiError;
    expect(unknown.status).toBe(404);
  });

  it('counts PDF parts apart from images, and takes uploads through the Files API', async () => {
    fake.on('m', 'generateContent', () => reply.json({ ok: true }));
    const file = await ai.files.upload({ file: new Blob([new Uint8Array([37, 80, 68, 70])], { type: 'application/pdf' }), config: { mimeType: 'application/pdf' } });
    expect(file.name).toMatch(/^files\//);
    expect(fake.files.get(file.name!)).toEqual({ mimeType: 'application/pdf', bytes: 4 });
    await ai.models.generateContent({
      model: 'm',
      contents: [
        {
          role: 'user',
          parts: [
            { inlineData: { mimeType: 'application/pdf', data: 'JVBERg==' } },
            { fileData: { fileUri: file.uri!, mimeType: 'application/pdf' } },
            { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
          ],
        },
      ],
      config: { thinkingConfig: { thinkingLevel: 'LOW' as never }, mediaResolution: 'MEDIA_RESOLUTION_MEDIUM' as never },
    });
    const req = fake.requests.at(-1)!;
    expect([req.pdfCount, req.imageCount]).toEqual([2, 1]);
    expect(req.generationConfig).toMatchObject({ thinkingConfig: { thinkingLevel: 'LOW' }, mediaResolution: 'MEDIA_RESOLUTION_MEDIUM' });
  });

  it('creates a batch of inlined requests, reports it pending, then answers each request through the responder', async () => {
    fake.on('gemini-3.8-flash', 'generateContent', (req) => reply.json({ echo: req.text }, { prompt: 10, output: 2 }));
    const created = await ai.batches.create({
      model: 'gemini-3.8-flash',
      src: [
        { contents: [{ role: 'user', parts: [{ text: 'one' }] }], metadata: { key: 'a' } },
        { contents: [{ role: 'user', parts: [{ text: 'two' }] }], metadata: { key: 'b' } },
      ],
      config: { displayName: 'docroute-test' },
    });
    expect(created.name).toMatch(/^batches\//);
    expect(created.state).toBe('JOB_STATE_PENDING');
    expect(created.displayName).toBe('docroute-test');
    expect((await ai.batches.get({ name: created.name! })).state).toBe('JOB_STATE_PENDING');
    expect(fake.requests).toHaveLength(0); // nothing answered while pending
    await fake.completeBatches();
    const done = await ai.batches.get({ name: created.name! });
    expect(done.state).toBe('JOB_STATE_SUCCEEDED');
    const responses = done.dest?.inlinedResponses ?? [];
    expect(responses.map((r) => [r.metadata?.['key'], r.response?.candidates?.[0]?.content?.parts?.[0]?.text])).toEqual([
      ['a', '{"echo":"one"}'],
      ['b', '{"echo":"two"}'],
    ]);
    expect(responses[0]?.response?.usageMetadata?.promptTokenCount).toBe(10);
    expect(fake.requests.map((r) => r.batch)).toEqual([created.name, created.name]);
  });
});
