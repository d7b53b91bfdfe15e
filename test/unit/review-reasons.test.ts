import { describe, expect, it } from 'vitest';
import { emptyInvoiceExtraction, type InvoiceExtraction, type InvoiceLineItem } from '../../schemas/index.ts';
import { failedCheckCodes } from '../../src/extraction/candidate.ts';
import { reviewReasonsInWords } from '../../src/review/reasons.ts';
import { decideRoute, type TierCapabilities } from '../../src/routing/policy.ts';
import { validateInvoice } from '../../src/validation/checks.ts';

/**
 * Review reasons in words: routing records a failed check by its code (workflow
 * history carries no values); the queue shows the words of the check's stored
 * message. Real checks and the real routing policy make the codes here.
 */

const offline: TierCapabilities = { deepAvailable: false, fastReadsImages: false, deepReadsImages: false };
const v = <T>(value: T) => ({ value, confidence: 0.9, evidence: null });
const line = (amount: string): InvoiceLineItem => ({ description: 'item', quantity: null, unitPrice: null, amount, confidence: 0.9, evidence: null });

/** An invoice whose lines (50 + 70 = 120) do not add up to its subtotal (130), routed after the fast tier. */
function routed(confidence: number) {
  const fields: InvoiceExtraction = {
    ...emptyInvoiceExtraction(),
    subtotal: v('130.00'),
    taxTotal: v('0.00'),
    total: v('130.00'),
    lineItems: [line('50.00'), line('70.00')],
  };
  const checks = validateInvoice(fields, { today: '2025-06-15' });
  const decision = decideRoute(
    { stage: 'after-fast', confidence, failedChecks: failedCheckCodes(checks), failedChunks: 0, missingRequired: ['invoiceNumber', 'vendorName'] },
    { longDocTokens: 20000, minConfidence: 0.8 },
    offline,
  );
  return { checks, reasons: decision.reasons };
}

describe('review reasons in words', () => {
  it("shows a failed check by its stored message (with the values), keeping routing's code", () => {
    const { checks, reasons } = routed(0.95);
    const sum = checks.find((c) => c.name === 'line_items_sum' && !c.passed)!;
    expect(sum, 'the lines do not add up').toBeDefined();
    const code = reasons.find((r) => r.startsWith('check failed: line_items_sum'))!;
    // The code names no value; the words do.
    expect(code).not.toContain('120.00');
    const words = reviewReasonsInWords(reasons, checks);
    expect(words.map((w) => w.code)).toEqual(reasons);
    const item = words.find((w) => w.code === code)!;
    expect(item.text).toBe(sum.message);
    expect(item.text).toMatch(/120\.00/);
    expect(item.text).toMatch(/130\.00/);
    // No reason is left as a code.
    for (const w of words) expect(w.text).not.toMatch(/^check failed: /);
  });

  it('words the confidence and the missing required fields; a sentence stays as it is', () => {
    const { checks, reasons } = routed(0.512);
    const words = reviewReasonsInWords(reasons, checks);
    const byCode = new Map(words.map((w) => [w.code, w.text]));
    expect(byCode.get('confidence 0.512 < 0.8')).toBe("the models' confidence 0.512 is below the threshold 0.8");
    expect(byCode.get('required fields missing: invoiceNumber, vendorName')).toBe('required fields missing: invoice number, vendor name');
    expect(byCode.get('the deep tier is unavailable')).toBe('the deep tier is unavailable');
  });

  it('names the check and its fields when the candidate at hand does not fail it', () => {
    const [reason] = reviewReasonsInWords(['check failed: iban_checksum(iban)', 'check failed: BR-CO-16'], []);
    expect(reason).toEqual({ code: 'check failed: iban_checksum(iban)', text: 'the iban checksum check failed (iban)' });
    expect(reviewReasonsInWords(['check failed: BR-CO-16'], [{ name: 'BR-CO-16', passed: false, message: 'amount due 10.00 ≠ total 12.00', fields: [] }])).toEqual([
      { code: 'check failed: BR-CO-16', text: 'amount due 10.00 ≠ total 12.00' },
    ]);
  });
});
