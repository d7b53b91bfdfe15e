/**
 * Request settings and token accounting per Gemini model family (sources: see catalog.ts).
 */
import { MediaResolution, ThinkingLevel } from '@google/genai';
import type { GenerateContentConfig } from '@google/genai';
import type { TokenAccounting } from '../model-tier.ts';

/** What the request settings of one model family are. */
export interface ModelProfile extends TokenAccounting {
  /** Major version (2, 3, 4, …); 0 when the id is not a gemini-N name. */
  generation: number;
  /** 'flash-lite' | 'flash' | 'pro' | 'frontier' (Gemini 4 Argon/Carbon) | 'other'. */
  line: 'flash-lite' | 'flash' | 'pro' | 'frontier' | 'other';
  /** The thinking configuration of an extraction call, and of a classification call. */
  thinking: { extract: GenerateContentConfig['thinkingConfig']; classify: GenerateContentConfig['thinkingConfig'] };
  /** undefined: leave the model's default (Gemini 3+: 1.0; lower can loop or degrade). */
  temperature: number | undefined;
  /** The most output tokens (thinking included) one non-streaming call may produce. */
  maxOutputTokens: number;
  /** Output tokens of a classification call (a one-word JSON answer plus thinking). */
  classifyMaxOutputTokens: number;
  /** Input tokens one page image costs at the resolution we ask for. */
  imageTokens: number;
  /** Input tokens one PDF page costs at the resolution we ask for (the PDF's own text is not billed on Gemini 3+). */
  pdfPageTokens: number;
  /** generationConfig.mediaResolution for requests with images, and with PDF pages. */
  imageResolution: MediaResolution | undefined;
  pdfResolution: MediaResolution | undefined;
}

const NAME = /^gemini-(\d+)(?:\.(\d+))?-(.+)$/;

export function modelProfile(model: string): ModelProfile {
  const m = NAME.exec(model);
  const generation = m ? Number(m[1]) : 0;
  const rest = m?.[3] ?? '';
  const line: ModelProfile['line'] = rest.startsWith('flash-lite')
    ? 'flash-lite'
    : rest.startsWith('flash')
      ? 'flash'
      : rest.startsWith('pro')
        ? 'pro'
        : /^(argon|carbon)/.test(rest)
          ? 'frontier'
          : 'other';
  if (generation >= 3 || generation === 0) {
    // Thinking levels: LOW for extraction (reading, not reasoning); the Flash lines also
    // have MINIMAL, which classification uses. Pro and the Gemini 4 frontier models have no MINIMAL.
    const hasMinimal = line === 'flash' || line === 'flash-lite';
    return {
      generation,
      line,
      thinking: {
        extract: { thinkingLevel: ThinkingLevel.LOW },
        classify: { thinkingLevel: hasMinimal ? ThinkingLevel.MINIMAL : ThinkingLevel.LOW },
      },
      temperature: undefined,
      // Carbon/Argon: 32,768 per non-streaming segment; the 3.x models: 65,536.
      maxOutputTokens: line === 'frontier' ? 32_768 : 65_536,
      classifyMaxOutputTokens: 4_096,
      imageTokens: 1_120,
      pdfPageTokens: 560,
      // Thinking levels have no token budget: an allowance for a LOW (MINIMAL) level, for estimates only.
      thinkingAllowance: { extract: 2_048, classify: hasMinimal ? 256 : 1_024 },
      imageResolution: MediaResolution.MEDIA_RESOLUTION_HIGH,
      pdfResolution: MediaResolution.MEDIA_RESOLUTION_MEDIUM,
    };
  }
  // Gemini 2.x: thinking budgets in tokens (Pro cannot switch thinking off: at least 128).
  return {
    generation,
    line,
    thinking: {
      extract: { thinkingBudget: 1_024 },
      classify: { thinkingBudget: line === 'pro' ? 128 : 0 },
    },
    temperature: 0,
    maxOutputTokens: 65_536,
    classifyMaxOutputTokens: 2_048,
    // 258 tokens per 768×768 tile; our page images are at most 1024 px: up to 4 tiles.
    imageTokens: 1_032,
    pdfPageTokens: 258,
    // The thinking budgets above are the most a call may think.
    thinkingAllowance: { extract: 1_024, classify: line === 'pro' ? 128 : 0 },
    imageResolution: undefined,
    pdfResolution: undefined,
  };
}

/** Share of a call's HTTP timeout planned for producing output (the rest: the input read, time to the first token, the network). */
export const OUTPUT_TIME_SHARE = 0.8;
/** The least answer room an extraction call keeps above its thinking allowance, whatever the timeout. */
export const MIN_ANSWER_TOKENS = 1_024;

/**
 * The output limit (thinking included) of one extraction call: the family's
 * limit, or what the model produces within the call's HTTP timeout at the
 * slowest output rate planned for (DOCROUTE_MODEL_MIN_OUTPUT_TOKENS_PER_SECOND),
 * whichever is lower. A long answer then ends in MAX_TOKENS, which splits the
 * range, instead of a timeout, which is retried whole and never splits.
 * Thinking tokens count against maxOutputTokens (Gemini 3+): the cap is never
 * below the family's thinking allowance plus MIN_ANSWER_TOKENS of answer room
 * (nor above the family's limit).
 *
 * @example extractionOutputCap(modelProfile('gemini-3.8-flash'), { timeoutMs: 120_000, minTokensPerSecond: 100 }) === 9_600
 */
export function extractionOutputCap(
  profile: Pick<ModelProfile, 'maxOutputTokens' | 'thinkingAllowance'>,
  call: { timeoutMs: number; minTokensPerSecond: number },
): number {
  const withinTimeout = Math.floor((call.timeoutMs / 1000) * call.minTokensPerSecond * OUTPUT_TIME_SHARE);
  const least = Math.min(profile.maxOutputTokens, profile.thinkingAllowance.extract + MIN_ANSWER_TOKENS);
  return Math.max(least, Math.min(profile.maxOutputTokens, withinTimeout));
}

/**
 * Input tokens of the media a call sends besides its text: page images and PDF
 * pages, at the model's documented per-image and per-page accounting. The one
 * rule both the rate limiter's estimate of a request and the budget's estimate
 * of a planned call use.
 *
 * @example mediaInputTokens(modelProfile('gemini-4-carbon'), { images: 0, pdfPages: 3 }) === 1680
 */
export function mediaInputTokens(accounting: Pick<TokenAccounting, 'imageTokens' | 'pdfPageTokens'>, media: { images: number; pdfPages: number }): number {
  return accounting.imageTokens * media.images + accounting.pdfPageTokens * media.pdfPages;
}
