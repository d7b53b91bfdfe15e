/**
 * The offline rules tier: deterministic, local, free. It reports as tier "flash"
 * with model "rules-v1" and produces the same validated shapes as the model tiers.
 */
import { ContractExtraction, InvoiceExtraction } from '../../../schemas/index.ts';
import type { ExtractableKind } from '../../../schemas/index.ts';
import type { ExtractionFields, ExtractionRequest, ExtractionResult, ModelTier, PageText, TokenCount } from '../model-tier.ts';
import { extractContract } from './contract-rules.ts';
import { extractInvoice } from './invoice-rules.ts';
import { estimateTokens } from './tokens.ts';

export const RULES_MODEL = 'rules-v1';

/**
 * The rules tier's value floor (ModelTier.valueFloor). Measured on the tune sets
 * only (invoice2data, the hybrid DE/FR PDFs, the Kleister-NDA tune half; README,
 * "Honest figures", fourth round): of the values reported at ≥ 0.82, 174 of 174
 * were right; at ≥ 0.8, 214 of 221 (96.8%: parties and terms at 0.8 that are
 * not the gold's). 0.85 is a round figure inside that qualifying range (172 of 172).
 */
export const RULES_VALUE_FLOOR = 0.85;

function pagesTokens(pages: readonly PageText[]): number {
  return pages.filter((p) => !p.imageOnly).reduce((n, p) => n + estimateTokens(p.text), 0);
}

export function createRulesTier(): ModelTier {
  return {
    tier: 'flash',
    model: RULES_MODEL,
    readsImages: false,
    valueFloor: RULES_VALUE_FLOOR,
    async countTokens(pages: readonly PageText[]): Promise<TokenCount> {
      return { tokens: pagesTokens(pages), estimated: true };
    },
    async extract<K extends ExtractableKind>(request: ExtractionRequest<K>): Promise<ExtractionResult<K>> {
      request.signal?.throwIfAborted();
      const fields =
        request.kind === 'invoice'
          ? InvoiceExtraction.parse(extractInvoice(request.pages))
          : ContractExtraction.parse(extractContract(request.pages));
      return {
        fields: fields as ExtractionFields<K>,
        usage: { inputTokens: pagesTokens(request.pages), outputTokens: 0, cachedTokens: 0, estimated: true },
        costUsd: '0',
        model: RULES_MODEL,
        promptVersion: null,
        promptHash: null,
      };
    },
  };
}
