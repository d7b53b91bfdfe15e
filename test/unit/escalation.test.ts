import { describe, expect, it } from 'vitest';
import { emptyInvoiceExtraction, emptyContractExtraction } from '../../schemas/index.ts';
import { escalationFields, rootField } from '../../src/extraction/escalation.ts';

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
