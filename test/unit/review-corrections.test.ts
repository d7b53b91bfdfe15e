/**
 * Corrections of the e-invoice fields: they are registry fields (exact-only),
 * so a reviewer corrects them like any other; a record read from text, which
 * does not carry them, can be given them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyInvoiceExtraction, InvoiceCorrection, InvoiceExtraction } from '../../schemas/index.ts';
import { readEInvoiceXml, toInvoiceExtraction } from '../../src/einvoice/read.ts';
import { applyCorrections } from '../../src/review/corrections.ts';

const XML = path.resolve(import.meta.dirname, '../../../shared/datasets/einvoices/xrechnung/01.01a-INVOICE_uncefact.xml');

/** A candidate read exactly, or (without the dataset) a hand-made one with the same fields. */
function exactCandidate(): InvoiceExtraction {
  try {
    return toInvoiceExtraction(readEInvoiceXml(new Uint8Array(readFileSync(XML))));
  } catch {
    const x = emptyInvoiceExtraction();
    const xml = (value: string, p: string) => ({ value, confidence: 1, evidence: { page: 1, quote: value, path: p } });
    return InvoiceExtraction.parse({
      ...x,
      buyerReference: xml('04011000-12345-03', '/rsm:CrossIndustryInvoice/x'),
      documentType: xml('invoice', '/rsm:CrossIndustryInvoice/y'),
      vatBreakdown: [{ category: 'S', rate: '7.00', taxableAmount: '314.86', taxAmount: '22.04', confidence: 1, evidence: null }],
    });
  }
}

describe('corrections of e-invoice fields', () => {
  it('a reviewer corrects the buyer reference, document type and VAT breakdown of an exact reading', () => {
    const candidate = exactCandidate();
    const { fields, changes } = applyCorrections('invoice', candidate, {
      buyerReference: '991-01234-56',
      documentType: 'credit_note',
      vatBreakdown: [{ category: 'S', rate: '19.00', taxableAmount: '100.00', taxAmount: '19.00' }],
    });
    const invoice = fields as InvoiceExtraction;
    expect(invoice.buyerReference).toEqual({ value: '991-01234-56', confidence: 1, evidence: null });
    expect(invoice.documentType?.value).toBe('credit_note');
    expect(invoice.vatBreakdown).toEqual([{ category: 'S', rate: '19.00', taxableAmount: '100.00', taxAmount: '19.00', confidence: 1, evidence: null }]);
    expect(changes.map((c) => c.field)).toEqual(['documentType', 'buyerReference', 'vatBreakdown']);
    expect(changes.find((c) => c.field === 'buyerReference')?.before).toBe(candidate.buyerReference?.value);
    // Untouched fields keep their XML evidence.
    expect(invoice.total.evidence).toEqual(candidate.total.evidence);
    expect(InvoiceExtraction.safeParse(invoice).success).toBe(true);
  });

  it('a record read from text (no e-invoice fields) can be given one: absent before', () => {
    const { fields, changes } = applyCorrections('invoice', emptyInvoiceExtraction(), { customerTaxId: 'DE123456789' });
    expect((fields as InvoiceExtraction).customerTaxId?.value).toBe('DE123456789');
    expect(changes).toEqual([{ field: 'customerTaxId', before: null, after: 'DE123456789' }]);
  });

  it('refuses what the registry does not allow: an unknown document type, an unknown field', () => {
    expect(InvoiceCorrection.safeParse({ documentType: 'receipt' }).success).toBe(false);
    expect(InvoiceCorrection.safeParse({ buyerRef: 'x' }).success).toBe(false);
    // Lines keep the precision e-invoices state quantities with, and may carry their VAT rate.
    expect(InvoiceCorrection.safeParse({ lineItems: [{ description: 'x', quantity: '0.061232374', unitPrice: null, amount: '1.00', vatRate: '19.00' }] }).success).toBe(true);
  });
});
