import type { ContractExtraction, ExtractableKind, InvoiceExtraction, TierName } from '../../schemas/index.ts';
import type { PageSize, TextItem } from '../pdf/text-items.ts';

/** The text of one page of a document, as the parser found it. */
export interface PageText {
  /** 1-based page number in the original PDF. */
  pageNumber: number;
  text: string;
  /** True when the page has no text layer worth the name (a scan): its content is an image. */
  imageOnly: boolean;
  /** True when the text and items were read from the page image by offline OCR (src/ocr/): the page was a scan. */
  ocr?: boolean;
  /** Page size as displayed (points), when the parser reported positions. */
  size?: PageSize;
  /** The page's text runs with page-relative boxes (src/pdf/text-items.ts), when known. */
  items?: TextItem[];
}

export interface TokenCount {
  tokens: number;
  /** True when this is a local estimate rather than the model's own count. */
  estimated: boolean;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** True when the token figures are local estimates (offline tier, or a failed count). */
  estimated: boolean;
}

export type ExtractionFields<K extends ExtractableKind> = K extends 'invoice' ? InvoiceExtraction : ContractExtraction;

export interface ExtractionRequest<K extends ExtractableKind = ExtractableKind> {
  kind: K;
  /** The pages this call covers (a chunk, or the whole document for the deep tier). */
  pages: readonly PageText[];
  /** Total pages in the document, so a tier knows whether it sees all of it. */
  pageCount: number;
  /** Rendered images of the image-only (scanned) pages among `pages`, for tiers that read images. */
  images?: readonly PageImage[];
  /**
   * The pages themselves as a PDF (cut from the original), for tiers that read
   * PDFs natively: sent instead of page images; the text layer in `pages` is
   * still sent, for grounding.
   */
  pdf?: PagesPdf;
  /**
   * When set, the call is an escalation for these fields only (paths like
   * "total", "lineItems", "parties"): the tier is told what to look for; it
   * still answers in the full schema.
   */
  focusFields?: readonly string[];
  /**
   * What a tier does when the answer for a range of several pages is cut off
   * (the output limit, or line items short of the pages' table): 'in-call'
   * (default) splits the range in halves and asks again within this call;
   * 'return' asks nothing more and throws a TierRejectedError with code
   * 'cut_off', for the caller to split the range into calls of its own.
   */
  splitCutOff?: 'in-call' | 'return';
  signal?: AbortSignal;
}

/** A PDF holding exactly `pageNumbers` (1-based numbers in the original), in that order. */
export interface PagesPdf {
  data: Uint8Array;
  pageNumbers: readonly number[];
}

/** A page rendered as an image (PNG, at most 1024 px on its long side). */
export interface PageImage {
  pageNumber: number;
  mimeType: 'image/png';
  data: Uint8Array;
}

export interface ExtractionResult<K extends ExtractableKind = ExtractableKind> {
  fields: ExtractionFields<K>;
  usage: Usage;
  /** Cost of this call in USD, as an exact decimal string. */
  costUsd: string;
  model: string;
  promptVersion: string | null;
  promptHash: string | null;
}

/**
 * One extraction tier (fast or deep). Implementations: the offline rules
 * extractor, and the Gemini tiers. The workflow only knows tier names; the
 * activities hold the implementations.
 */
/**
 * How a model bills what a call shows besides its text, and how much thinking
 * a call is expected to spend: one accounting for the rate limiter's estimate
 * and the budget's (see mediaInputTokens).
 */
export interface TokenAccounting {
  /** Input tokens one page image costs at the resolution the tier asks for. */
  imageTokens: number;
  /** Input tokens one PDF page costs at the resolution the tier asks for. */
  pdfPageTokens: number;
  /** Thinking tokens a call is expected to spend (billed as output): an extraction, a classification. */
  thinkingAllowance: { extract: number; classify: number };
}

export interface ModelTier {
  /** The role this tier plays in routing. */
  readonly tier: TierName;
  /** The model behind it, as stored with each attempt ("rules-v1", "gemini-2.5-flash"). */
  readonly model: string;
  /** Whether the tier can read page images (scanned pages). */
  readonly readsImages: boolean;
  /** Whether the tier reads PDF pages natively (then scans and escalations are sent as PDF). */
  readonly readsPdf?: boolean;
  /**
   * The lowest confidence at which this tier's values were measured ≥ 99% right
   * (on the tune sets); routing accepts a document only when each of its values
   * reaches it. Absent: not measured, and no floor applies.
   */
  readonly valueFloor?: number;
  /** The model's token accounting for media and thinking, when the tier knows it (Gemini tiers). */
  readonly accounting?: TokenAccounting;
  countTokens(pages: readonly PageText[]): Promise<TokenCount>;
  extract<K extends ExtractableKind>(request: ExtractionRequest<K>): Promise<ExtractionResult<K>>;
  /**
   * Tells the kind of a document from page images, for scans that have no text
   * to classify. Optional: tiers that cannot read images do not have it.
   */
  classify?(request: { images: readonly PageImage[]; signal?: AbortSignal }): Promise<ClassificationResult>;
}

export interface ClassificationResult {
  kind: 'invoice' | 'contract' | 'other';
  usage: Usage;
  costUsd: string;
  model: string;
  promptVersion: string;
  promptHash: string;
}

/**
 * A failure of a tier that is not worth retrying with the same input (the
 * model's output could not be made valid, the request was refused). Transient
 * failures (network, 5xx after the SDK's own retries) are thrown as plain errors.
 */
export class TierRejectedError extends Error {
  override name = 'TierRejectedError';
  /**
   * rejected: the answer cannot be used. cut_off: the answer for a range of
   * several pages was cut off (or stopped short of its table) and the caller
   * asked to split the range itself (ExtractionRequest.splitCutOff 'return').
   */
  readonly code: 'rejected' | 'cut_off';
  constructor(message: string, options: { code?: 'rejected' | 'cut_off' } = {}) {
    super(message);
    this.code = options.code ?? 'rejected';
  }
}

/**
 * A second, independent reader of a document's required fields (a cheap model:
 * DOCROUTE_CHECK_MODEL). Its answer is compared with the first reading
 * (src/extraction/second-reading.ts); it never becomes the record's value.
 */
export interface SecondReader {
  readonly model: string;
  /** Reads the kind's required scalar fields from the pages' text. Throws a TierRejectedError (with usage and cost) for an unusable answer. */
  read(request: { kind: ExtractableKind; pages: readonly PageText[]; pageCount: number; signal?: AbortSignal }): Promise<SecondReaderResult>;
}

export interface SecondReaderResult {
  /** Field name → value as text, or null (see secondReadingSchema). */
  fields: Record<string, string | null>;
  usage: Usage;
  costUsd: string;
  model: string;
  promptVersion: string;
  promptHash: string;
}
