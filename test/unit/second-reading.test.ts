import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyInvoiceExtraction, type InvoiceExtraction } from '../../schemas/index.ts';
import { Secret } from '../../src/config/secret.ts';
import { DEFAULT_PRICES } from '../../src/costs/prices.ts';
import { explainChecks, failedCheckCodes, scoreReadings, type Reading } from '../../src/extraction/candidate.ts';
import { createGeminiClient } from '../../src/extraction/gemini/gemini-client.ts';
import { GeminiRejectedError } from '../../src/extraction/gemini/gemini-tier.ts';
import { createSecondReader } from '../../src/extraction/gemini/second-reader.ts';
import { createRateLimiter } from '../../src/extraction/gemini/rate-limiter.ts';
import type { PageText } from '../../src/extraction/model-tier.ts';
import { AGREEMENT_FACTOR, compareReadings, sameValue, secondReadingFields } from '../../src/extraction/second-reading.ts';
import { decideRoute } from '../../src/routing/policy.ts';
import { lineItemsContinueCheck, tableContinuations } from '../../src/validation/table-continuation.ts';
import { reply, startFakeGemini, type FakeGemini } from '../support/fake-gemini.ts';
import { checkingModel } from '../support/oracle-model.ts';

const PAGES: PageText[] = [
  { pageNumber: 1, text: 'ACME GmbH\nInvoice No: INV-2024-001\nDate: 2024-03-05\nWidget 2 x 10.00 = 20.00', imageOnly: false },
  { pageNumber: 2, text: 'Total due: EUR 20.00', imageOnly: false },
];

function firstReading(overrides: Partial<Record<'vendorName' | 'invoiceNumber' | 'issueDate' | 'currency' | 'total', { value: string; quote: string; page: number }>> = {}): InvoiceExtraction {
  const f = emptyInvoiceExtraction();
  const set = (name: keyof typeof overrides, value: string, quote: string, page: number) => {
    const o = overrides[name] ?? { value, quote, page };
    (f as any)[name] = { value: o.value, confidence: 0.9, evidence: { page: o.page, quote: o.quote } };
  };
  set('vendorName', 'ACME GmbH', 'ACME GmbH', 1);
  set('invoiceNumber', 'INV-2024-001', 'Invoice No: INV-2024-001', 1);
  set('issueDate', '2024-03-05', 'Date: 2024-03-05', 1);
  set('currency', 'EUR', 'EUR 20.00', 2);
  set('total', '20.00', 'Total due: EUR 20.00', 2);
  return f;
}

const reading = (fields: InvoiceExtraction): Reading<'invoice'> => ({ tier: 'flash', pages: { from: 1, to: 2 }, fields });
const SECOND_AGREES = { vendorName: 'ACME GmbH', invoiceNumber: 'INV 2024-001', issueDate: '2024-03-05', currency: 'eur', total: '20' };
const TODAY = '2024-06-01';

describe('second reading: comparison', () => {
  it('covers the required scalar fields of each kind', () => {
    expect(secondReadingFields('invoice').map((f) => f.name)).toEqual(['vendorName', 'invoiceNumber', 'issueDate', 'currency', 'total']);
    expect(secondReadingFields('contract').map((f) => f.name)).toEqual(['effectiveDate', 'governingLaw']);
  });

  it('compares values by their type', () => {
    expect(sameValue('money', '1234.50', '1234.5')).toBe(true);
    expect(sameValue('money', '1234.50', '1243.50')).toBe(false);
    expect(sameValue('identifier', 'INV-2024-001', 'inv 2024 001')).toBe(true);
    expect(sameValue('identifier', 'INV-2024-001', 'INV-2024-007')).toBe(false);
    expect(sameValue('text', 'ACME', 'ACME GmbH')).toBe(true);
    expect(sameValue('text', 'ACME GmbH', 'Globex GmbH')).toBe(false);
    expect(sameValue('date', '2024-03-05', '2024-05-03')).toBe(false);
  });

  it('a disagreement is a failed check whose reason names the field, never the values', () => {
    const a = compareReadings('invoice', firstReading(), { ...SECOND_AGREES, invoiceNumber: 'INV-2024-007', total: null }, 'gemini-3.5-flash-lite');
    expect(a.agreed).toEqual(['vendorName', 'issueDate', 'currency']);
    expect(a.disagreed).toEqual(['invoiceNumber']);
    expect(a.checks).toHaveLength(1);
    expect(a.checks[0]).toMatchObject({ name: 'second_reading', passed: false, fields: ['invoiceNumber'] });
    expect(a.checks[0]!.reason).toBe('a second, independent reading (gemini-3.5-flash-lite) disagrees on invoiceNumber');
    expect(a.checks[0]!.reason).not.toContain('INV-2024');
  });
});

describe('second reading: earned confidence', () => {
  it('agreement raises grounded required fields; without it the same readings score lower', () => {
    const without = scoreReadings('invoice', [reading(firstReading())], PAGES, TODAY);
    const withSecond = scoreReadings('invoice', [reading(firstReading())], PAGES, TODAY, { fields: SECOND_AGREES, model: 'gemini-3.5-flash-lite' });
    expect(without.fields.invoiceNumber.confidence).toBe(0.9);
    expect(withSecond.fields.invoiceNumber.confidence).toBeCloseTo(1 - 0.1 * AGREEMENT_FACTOR, 10);
    expect(withSecond.agreed).toEqual(['vendorName', 'invoiceNumber', 'issueDate', 'currency', 'total']);
    expect(withSecond.confidence).toBeGreaterThan(without.confidence);
    expect(failedCheckCodes(withSecond.checks)).toEqual([]);
  });

  it('agreement does not raise a value that is not on the page it cites', () => {
    const invented = firstReading({ invoiceNumber: { value: 'INV-2024-001', quote: 'Invoice INV-2024-001 (not on the page)', page: 1 } });
    const scored = scoreReadings('invoice', [reading(invented)], PAGES, TODAY, { fields: SECOND_AGREES, model: 'gemini-3.5-flash-lite' });
    expect(scored.ungrounded).toContain('invoiceNumber');
    expect(scored.fields.invoiceNumber.confidence).toBeLessThanOrEqual(0.3);
  });

  it('disagreement lowers the field, and routing reports it in words', () => {
    const second = { ...SECOND_AGREES, invoiceNumber: 'INV-2024-007' };
    const scored = scoreReadings('invoice', [reading(firstReading())], PAGES, TODAY, { fields: second, model: 'gemini-3.5-flash-lite' });
    expect(scored.fields.invoiceNumber.confidence).toBeCloseTo(0.45, 10);
    const failed = failedCheckCodes(scored.checks);
    expect(failed).toEqual(['second_reading(invoiceNumber)']);
    const decision = decideRoute(
      { stage: 'after-deep', confidence: scored.confidence, failedChecks: failed, failedChunks: 0, missingRequired: [], explained: explainChecks(scored.checks) },
      { minConfidence: 0.1, longDocTokens: 20_000 },
      { deepAvailable: true, fastReadsImages: true, deepReadsImages: true },
    );
    expect(decision.action).toBe('review');
    expect(decision.reasons).toContain('a second, independent reading (gemini-3.5-flash-lite) disagrees on invoiceNumber');
  });
});

/** A line-item table over pages: `rows[i]` rows on page i+1; the last page ends with the totals. */
function tablePages(rows: number[]): PageText[] {
  let n = 0;
  return rows.map((count, i) => ({
    pageNumber: i + 1,
    text: [
      i === 0 ? 'ACME GmbH\nInvoice No: INV-77\nDescription Qty Price Amount' : 'ACME GmbH — page ' + (i + 1) + '\nDescription Qty Price Amount',
      ...Array.from({ length: count }, () => `Widget ${++n} 1 10.00 10.00`),
      ...(i === rows.length - 1 ? [`Subtotal ${(n * 10).toFixed(2)}`, `Total EUR ${(n * 10).toFixed(2)}`] : []),
    ].join('\n'),
    imageOnly: false,
  }));
}

function linesFrom(pages: PageText[], onPages: number[]): InvoiceExtraction['lineItems'] {
  return pages
    .filter((p) => onPages.includes(p.pageNumber))
    .flatMap((p) =>
      p.text
        .split('\n')
        .filter((l) => l.startsWith('Widget '))
        .map((l) => ({ description: l.split(' 1 ')[0]!, quantity: '1', unitPrice: '10.00', amount: '10.00', confidence: 0.9, evidence: { page: p.pageNumber, quote: l } })),
    );
}

describe('a line-item table that continues on the next page', () => {
  it('is found from the text layer: rows to the page end, rows again before the totals', () => {
    expect(tableContinuations(tablePages([12, 8, 5]))).toEqual([
      { from: 1, to: 2, rowsFrom: 12, rowsTo: 8 },
      { from: 2, to: 3, rowsFrom: 8, rowsTo: 5 },
    ]);
    // A table that ends on its page (totals after the rows) continues nowhere.
    expect(tableContinuations(tablePages([12]))).toEqual([]);
    const ended = tablePages([12, 0]);
    ended[0]!.text += '\nTotal EUR 120.00';
    expect(tableContinuations(ended)).toEqual([]);
  });

  it('lines that stop at the page end fail the check, with the page and counts in words', () => {
    const pages = tablePages([12, 8, 5]);
    const check = lineItemsContinueCheck(linesFrom(pages, [1]), pages)!;
    expect(check).toMatchObject({ name: 'line_items_continue', passed: false, fields: ['lineItems'] });
    expect(check.reason).toBe('the line items table continues on page 2 but only 12 of about 25 rows were read (none from page 2)');
    expect(lineItemsContinueCheck(linesFrom(pages, [1, 2]), pages)!.reason).toMatch(/^the line items table continues on page 3 but only 20 of about 25 rows/);
    expect(lineItemsContinueCheck(linesFrom(pages, [1, 2, 3]), pages)).toMatchObject({ passed: true });
    // Nothing to compare: lines without evidence.
    expect(lineItemsContinueCheck(linesFrom(pages, [1]).map((l) => ({ ...l, evidence: null })), pages)).toBeNull();
  });

  it('sends the document to review in those words when the deep tier cannot resolve it either', () => {
    const pages = tablePages([12, 8]);
    const fields = { ...firstReading(), lineItems: linesFrom(pages, [1]) };
    const scored = scoreReadings('invoice', [{ tier: 'pro', pages: { from: 1, to: 2 }, fields }], pages, TODAY);
    const failed = failedCheckCodes(scored.checks);
    expect(failed).toContain('line_items_continue(lineItems)');
    const decision = decideRoute(
      { stage: 'after-deep', confidence: scored.confidence, failedChecks: failed, failedChunks: 0, missingRequired: scored.missingRequired, explained: explainChecks(scored.checks) },
      { minConfidence: 0.1, longDocTokens: 20_000 },
      { deepAvailable: true, fastReadsImages: true, deepReadsImages: true },
    );
    expect(decision.action).toBe('review');
    expect(decision.reasons).toContain('the line items table continues on page 2 but only 12 of about 20 rows were read (none from page 2)');
    // The lines read do not add up to the total either: said in words too, without the amounts.
    expect(failed).toContain('line_items_sum(lineItems,total)');
    expect(decision.reasons).toContain('the line items do not add up to the subtotal (or total): rows may be missing or misread');
  });
});

describe('the second reader (Gemini, through the fake server)', () => {
  let fake: FakeGemini;
  beforeAll(async () => {
    fake = await startFakeGemini();
  });
  afterAll(async () => fake.close());
  beforeEach(() => fake.reset());
  const MODEL = 'gemini-3.5-flash-lite';
  const reader = () =>
    createSecondReader({
      model: MODEL,
      client: createGeminiClient({ apiKey: new Secret('AIza-second-reader-key'), baseUrl: fake.url, timeoutMs: 5000, maxAttempts: 1 }),
      prices: DEFAULT_PRICES,
      limiter: createRateLimiter({ rpm: 1000, tpm: 1_000_000 }),
    });

  it('asks for the required fields only, with a short prompt, its own schema and little output; thinking billed as output', async () => {
    fake.on(MODEL, 'generateContent', checkingModel());
    const result = await reader().read({ kind: 'invoice', pages: PAGES, pageCount: 2 });
    const req = fake.requests[0]!;
    expect(req.systemText).toMatch(/second, independent one/);
    expect(req.systemText.length).toBeLessThan(800);
    expect(Object.keys(req.body.generationConfig.responseJsonSchema.properties)).toEqual(['vendorName', 'invoiceNumber', 'issueDate', 'currency', 'total']);
    expect(req.generationConfig.maxOutputTokens).toBeLessThanOrEqual(2048);
    expect(req.generationConfig.thinkingConfig).toEqual({ thinkingLevel: 'MINIMAL' });
    expect(result.fields.invoiceNumber).toBe('INV-2024-001');
    expect(result.usage.outputTokens).toBe(40 + 12);
    expect(Number(result.costUsd)).toBeGreaterThan(0);
    expect(result.promptVersion).toBe('second-reading.v1');
  });

  it('an answer that is cut off or off-schema is rejected with what it cost', async () => {
    fake.enqueue(MODEL, 'generateContent', reply.truncated('{"vendorName": "AC'));
    const error = (await reader().read({ kind: 'invoice', pages: PAGES, pageCount: 2 }).catch((e: unknown) => e)) as GeminiRejectedError;
    expect(error).toBeInstanceOf(GeminiRejectedError);
    expect(error.message).toMatch(/MAX_TOKENS/);
    expect(Number(error.costUsd)).toBeGreaterThan(0);
  });
});
