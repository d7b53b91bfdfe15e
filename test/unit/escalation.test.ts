import { describe, expect, it } from 'vitest';
import { emptyInvoiceExtraction, emptyContractExtraction } from '../../schemas/index.ts';
import { DEFAULT_PRICES, costOf } from '../../src/costs/prices.ts';
import {
  CLASSIFY_OUTPUT_TOKENS,
  escalationFields,
  expectedClassificationUsage,
  expectedEscalationUsage,
  OUTPUT_ALLOWANCE_TOKENS,
  PROMPT_OVERHEAD_TOKENS,
  rootField,
} from '../../src/extraction/escalation.ts';
import { mediaInputTokens, modelProfile } from '../../src/extraction/gemini/model-profile.ts';

const at = (value: string, confidence: number, page: number) => ({ value, confidence, evidence: { page, quote: value } });

describe('escalationFields', () => {
  it('reduces paths to their field', () => {
    expect(rootField('lineItems[2]')).toBe('lineItems');
    expect(rootField('parties[0].role')).toBe('parties');
    expect(rootField('total')).toBe('total');
  });

  it('asks about missing, ungrounded, failed and unsure fields, each with the pages its evidence cites', () => {
    const fields = {
      ...emptyInvoiceExtraction(),
      vendorName: at('Acme GmbH', 0.9, 1),
      invoiceNumber: at('R-1', 0.95, 1),
      issueDate: at('2024-03-01', 0.6, 1),
      currency: at('EUR', 0.9, 1),
      total: at('119.00', 0.45, 3),
      subtotal: at('100.00', 0.45, 3),
      taxTotal: at('19.00', 0.45, 2),
      lineItems: [
        { description: 'A', quantity: null, unitPrice: null, amount: '50.00', confidence: 0.8, evidence: { page: 2, quote: 'A 50.00' } },
      ],
    };
    const checks = {
      checks: [
        { name: 'totals_sum', passed: false, message: '…', fields: ['subtotal', 'taxTotal', 'total'] },
        { name: 'currency_iso', passed: true, message: '…', fields: ['currency'] },
      ],
      ungrounded: ['lineItems[0]'],
      missingRequired: ['dueDate'],
    };
    expect(escalationFields('invoice', fields, checks, 0.8)).toEqual([
      { field: 'dueDate', pages: [] },
      { field: 'lineItems', pages: [2] },
      { field: 'subtotal', pages: [3] },
      { field: 'taxTotal', pages: [2] },
      { field: 'total', pages: [3] },
      { field: 'issueDate', pages: [1] },
    ]);
  });

  it('asks for nothing when the candidate is sound', () => {
    const fields = {
      ...emptyContractExtraction(),
      effectiveDate: at('2024-01-01', 0.9, 1),
      governingLaw: at('Delaware', 0.9, 4),
      parties: [
        { name: 'A Inc.', role: 'Company', confidence: 0.9, evidence: { page: 1, quote: 'A Inc.' } },
        { name: 'B LLC', role: 'Recipient', confidence: 0.85, evidence: { page: 1, quote: 'B LLC' } },
      ],
    };
    expect(escalationFields('contract', fields, { checks: [], ungrounded: [], missingRequired: [] }, 0.8)).toEqual([]);
  });
});

describe('expectedEscalationUsage: what the budget expects a planned call to cost', () => {
  const carbon = { model: 'gemini-4-carbon', readsImages: true, readsPdf: true };
  const flash = { model: 'gemini-3.8-flash', readsImages: true, readsPdf: true };
  const textPages = [1, 2, 3, 4].map((n) => ({ pageNumber: n, tokens: 100, imageOnly: false }));

  it('counts the PDF pages sent to the deep tier at the model\'s per-page accounting, and its thinking allowance as output', () => {
    const profile = modelProfile('gemini-4-carbon');
    const usage = expectedEscalationUsage([{ pageFrom: 1, pageTo: 3 }], textPages, carbon, 'pro');
    // The prompt, three pages of text, the three pages again as a PDF (560 each at medium resolution).
    expect(profile.pdfPageTokens).toBe(560);
    expect(usage.inputTokens).toBe(PROMPT_OVERHEAD_TOKENS + 300 + 3 * 560);
    expect(usage.inputTokens).toBe(PROMPT_OVERHEAD_TOKENS + 300 + mediaInputTokens(profile, { images: 0, pdfPages: 3 }));
    expect(usage.outputTokens).toBe(OUTPUT_ALLOWANCE_TOKENS + profile.thinkingAllowance.extract);
    expect(profile.thinkingAllowance.extract).toBeGreaterThan(0);
    // Two ranges: two prompts, two answers, two thinking allowances.
    const two = expectedEscalationUsage([{ pageFrom: 1, pageTo: 1 }, { pageFrom: 4, pageTo: 4 }], textPages, carbon, 'pro');
    expect(two).toEqual({ inputTokens: 2 * (PROMPT_OVERHEAD_TOKENS + 100 + 560), outputTokens: 2 * usage.outputTokens, cachedTokens: 0 });
    // Priced: thinking at the output rate ($20/M on Carbon), PDF pages at the input rate ($4/M).
    const cost = Number(costOf(DEFAULT_PRICES, 'gemini-4-carbon', usage, { at: new Date('2026-12-01') }));
    expect(cost).toBeCloseTo((4 * usage.inputTokens + 20 * usage.outputTokens) / 1e6, 10);
    const textOnly = (4 * (PROMPT_OVERHEAD_TOKENS + 300) + 20 * OUTPUT_ALLOWANCE_TOKENS) / 1e6;
    expect(cost - textOnly).toBeCloseTo((4 * 3 * 560 + 20 * profile.thinkingAllowance.extract) / 1e6, 10);
  });

  it('follows what the call sends: the fast tier sends text alone, or the whole range as a PDF when it holds a scan', () => {
    const profile = modelProfile('gemini-3.8-flash');
    expect(expectedEscalationUsage([{ pageFrom: 1, pageTo: 2 }], textPages, flash, 'flash').inputTokens).toBe(PROMPT_OVERHEAD_TOKENS + 200);
    const withScan = [...textPages.slice(0, 1), { pageNumber: 2, tokens: 0, imageOnly: true }];
    expect(expectedEscalationUsage([{ pageFrom: 1, pageTo: 2 }], withScan, flash, 'flash').inputTokens).toBe(PROMPT_OVERHEAD_TOKENS + 100 + 2 * profile.pdfPageTokens);
    // A tier that reads images but not PDFs gets the scan as an image.
    const imagesOnly = { model: 'gemini-3.8-flash', readsImages: true };
    expect(expectedEscalationUsage([{ pageFrom: 1, pageTo: 2 }], withScan, imagesOnly, 'flash').inputTokens).toBe(PROMPT_OVERHEAD_TOKENS + 100 + profile.imageTokens);
  });

  it('uses the accounting of the model (Gemini 2.x: 258 per PDF page, its thinking budget), or the tier\'s own when it has one', () => {
    const old = expectedEscalationUsage([{ pageFrom: 1, pageTo: 2 }], textPages, { model: 'gemini-2.5-pro', readsImages: true, readsPdf: true }, 'pro');
    expect(old).toEqual({ inputTokens: PROMPT_OVERHEAD_TOKENS + 200 + 2 * 258, outputTokens: OUTPUT_ALLOWANCE_TOKENS + 1024, cachedTokens: 0 });
    const accounting = { imageTokens: 10, pdfPageTokens: 7, thinkingAllowance: { extract: 3, classify: 1 } };
    expect(expectedEscalationUsage([{ pageFrom: 1, pageTo: 2 }], textPages, { ...carbon, accounting }, 'pro')).toEqual({
      inputTokens: PROMPT_OVERHEAD_TOKENS + 200 + 14,
      outputTokens: OUTPUT_ALLOWANCE_TOKENS + 3,
      cachedTokens: 0,
    });
  });

  it('a scan\'s classification: its page images at the per-image accounting, and the classification thinking allowance', () => {
    const profile = modelProfile('gemini-3.8-flash');
    expect(expectedClassificationUsage(flash, 2)).toEqual({
      inputTokens: PROMPT_OVERHEAD_TOKENS + 2 * profile.imageTokens,
      outputTokens: CLASSIFY_OUTPUT_TOKENS + profile.thinkingAllowance.classify,
      cachedTokens: 0,
    });
  });
});
