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

function pagesTokens(pages: readonly PageText[]): number {
  return pages.filter((p) => !p.imageOnly).reduce((n, p) => n + estimateTokens(p.text), 0);
}

export function createRulesTier(): ModelTier {
  return {
    tier: 'flash',
    model: RULES_MODEL,
    readsImages: false,
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
