/**
 * The second, independent reading of a document's required fields by a cheap
 * Gemini model (DOCROUTE_CHECK_MODEL, Flash-Lite by default): a short system
 * instruction (prompts/second-reading.v1.md), the pages' text layer only, and
 * its own small JSON schema (values only, no evidence), so it costs a fraction
 * of the first reading. Thinking is kept at the family's minimum; the output
 * limit is small. One call, no repair: an unusable answer is a
 * GeminiRejectedError carrying what it cost, and the comparison simply does not
 * happen (second-reading.ts).
 */
import type { Content, GenerateContentResponse } from '@google/genai';
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import type { ExtractableKind } from '../../../schemas/index.ts';
import { costOf, type PriceTable } from '../../costs/prices.ts';
import type { PageText, SecondReader, SecondReaderResult, Usage } from '../model-tier.ts';
import { estimateTokens } from '../rules/tokens.ts';
import { secondReadingFields, secondReadingSchema } from '../second-reading.ts';
import { GeminiApiError, type GeminiClient } from './gemini-client.ts';
import { documentOpen, GeminiRejectedError, pageBlock } from './gemini-tier.ts';
import { modelProfile } from './model-profile.ts';
import { toGeminiJsonSchema } from './output-schema.ts';
import { SECOND_READING_PROMPT } from './prompts.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** Output tokens of a second reading: a handful of short values plus the family's minimal thinking. */
export const SECOND_READING_MAX_OUTPUT_TOKENS = 2_048;

export interface SecondReaderOptions {
  model: string;
  client: GeminiClient;
  prices: PriceTable;
  limiter: RateLimiter;
}

function usageOf(response: GenerateContentResponse, estimated: number): Usage {
  const u = response.usageMetadata;
  if (!u || typeof u.promptTokenCount !== 'number') return { inputTokens: estimated, outputTokens: 0, cachedTokens: 0, estimated: true };
  return {
    inputTokens: u.promptTokenCount,
    outputTokens: (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0),
    cachedTokens: u.cachedContentTokenCount ?? 0,
    estimated: false,
  };
}

export function createSecondReader(options: SecondReaderOptions): SecondReader {
  const { model, client, prices, limiter } = options;
  const profile = modelProfile(model);
  // Fail at construction, not on the first document, when the price is missing.
  costOf(prices, model, { inputTokens: 0, outputTokens: 0, cachedTokens: 0 });
  return {
    model,
    async read(request: { kind: ExtractableKind; pages: readonly PageText[]; pageCount: number; signal?: AbortSignal }): Promise<SecondReaderResult> {
      const { kind, pages, signal } = request;
      const fields = secondReadingFields(kind);
      const contents: Content[] = [
        {
          role: 'user',
          parts: [
            { text: `Fields of this ${kind} to read: ${fields.map((f) => `"${f.name}" (${f.label.toLowerCase()})`).join(', ')}.` },
            { text: [documentOpen(pages, request.pageCount), ...pages.map((p) => pageBlock(p, false)), '</document>'].join('\n') },
          ],
        },
      ];
      const estimated = estimateTokens(SECOND_READING_PROMPT.system + JSON.stringify(contents));
      await limiter.acquire(estimated, signal);
      let response: GenerateContentResponse;
      const zero: Usage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0, estimated: false };
      try {
        response = await client.generateContent(
          {
            model,
            contents,
            config: {
              systemInstruction: SECOND_READING_PROMPT.system,
              responseMimeType: 'application/json',
              responseJsonSchema: toGeminiJsonSchema(z.toJSONSchema(secondReadingSchema(kind), { target: 'draft-2020-12' })) as Record<string, unknown>,
              ...(profile.temperature !== undefined ? { temperature: profile.temperature } : {}),
              ...(profile.thinking.classify ? { thinkingConfig: profile.thinking.classify } : {}),
              maxOutputTokens: SECOND_READING_MAX_OUTPUT_TOKENS,
            },
          },
          signal,
        );
      } catch (error) {
        if (error instanceof GeminiApiError && error.status === 400) {
          throw new GeminiRejectedError(`${model} refused the second reading: ${error.message}`, { usage: zero, costUsd: '0', model });
        }
        throw error;
      }
      const usage = usageOf(response, estimated);
      const costUsd = new Decimal(costOf(prices, model, usage)).toFixed(6);
      const candidate = response.candidates?.[0];
      const text = (candidate?.content?.parts ?? []).filter((p) => p.thought !== true && typeof p.text === 'string').map((p) => p.text).join('');
      const finish = candidate?.finishReason;
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = null;
      }
      const checked = secondReadingSchema(kind).safeParse(parsed);
      if (finish !== undefined && finish !== 'STOP') {
        throw new GeminiRejectedError(`${model}: the second reading stopped with finishReason ${finish}`, { usage, costUsd, model });
      }
      if (!checked.success) {
        throw new GeminiRejectedError(`${model}: the second reading does not follow its schema`, { usage, costUsd, model });
      }
      return {
        fields: checked.data as Record<string, string | null>,
        usage,
        costUsd,
        model,
        promptVersion: SECOND_READING_PROMPT.version,
        promptHash: SECOND_READING_PROMPT.hash,
      };
    },
  };
}
