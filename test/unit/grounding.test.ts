import { describe, expect, it } from 'vitest';
import {
  emptyContractExtraction,
  emptyInvoiceExtraction,
  type ContractExtraction,
  type InvoiceExtraction,
} from '../../schemas/index.ts';
import { groundExtraction, UNGROUNDED_CAP, UNGROUNDED_FACTOR } from '../../src/extraction/grounding.ts';
import type { PageText } from '../../src/extraction/model-tier.ts';
import { currencyAppearsIn, dateAppearsIn, durationAppearsIn, quoteOnPage, textAppearsIn } from '../../src/extraction/normalize.ts';

const page = (pageNumber: number, text: string, imageOnly = false): PageText => ({ pageNumber, text, imageOnly });
const ev = <T>(value: T, page: number, quote: string, confidence = 0.9) => ({ value, confidence, evidence: { page, quote } });

describe('dateAppearsIn', () => {
  it.each([
    '2024-03-01',
    'Date: 01.03.2024',
    '1.3.2024',
    '01.03.24',
    'March 1, 2024',
    'Mar. 1st, 2024',
    '1st of March 2024',
    '1 mars 2024',
    '1er mars 2024',
    '1. März 2024',
    '1 de marzo de 2024',
    '01/03/2024',
    '3/1/2024',
    '2024/03/01',
    '2024年3月1日',
    'Rechnungsdatum:20240301',
  ])('2024-03-01 is written in %s', (text) => expect(dateAppearsIn('2024-03-01', text)).toBe(true));

  it.each(['02.03.2024', 'March 2024', '1 April 2024', '01.03.2023', '2024-01-03x'])('2024-03-01 is not in %s', (text) =>
    expect(dateAppearsIn('2024-03-01', text)).toBe(false),
  );
});

describe('normalised matching', () => {
  it('quotes ignore case and whitespace; an ellipsis elides', () => {
    expect(quoteOnPage('INVOICE  No. 42', 'Invoice\nno. 42 dated')).toBe(true);
    expect(quoteOnPage('“Acme” GmbH', 'Vendor: "Acme" GmbH')).toBe(true);
    expect(quoteOnPage('Invoice ... 42', 'Invoice number: 42')).toBe(true);
    expect(quoteOnPage('42 ... Invoice', 'Invoice number: 42')).toBe(false);
    expect(quoteOnPage('Invoice 43', 'Invoice 42')).toBe(false);
  });
  it('names and identifiers ignore case, punctuation, accents and spaces', () => {
    expect(textAppearsIn('DE89370400440532013000', 'IBAN: DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(textAppearsIn('DE89 3704 0044 0532 0130 00', 'IBAN DE89370400440532013000')).toBe(true);
    expect(textAppearsIn('ACME GmbH', 'Acme G.m.b.H., Berlin')).toBe(true);
    expect(textAppearsIn('Müller AG', 'MULLER AG')).toBe(true);
    expect(textAppearsIn('INV-2024-0042', 'Invoice no INV 2024/0042')).toBe(true);
    expect(textAppearsIn('INV-2024-0043', 'Invoice no INV 2024/0042')).toBe(false);
  });
  it('durations in digits, words or an equivalent unit', () => {
    expect(durationAppearsIn({ count: 2, unit: 'years' }, 'for a period of two (2) years')).toBe(true);
    expect(durationAppearsIn({ count: 2, unit: 'years' }, 'an initial 24-month term')).toBe(true);
    expect(durationAppearsIn({ count: 30, unit: 'days' }, 'thirty (30) days written notice')).toBe(true);
    expect(durationAppearsIn({ count: 24, unit: 'months' }, 'twenty-four months')).toBe(true);
    expect(durationAppearsIn({ count: 3, unit: 'years' }, 'for a period of two (2) years')).toBe(false);
  });
  it('currencies by code, symbol or word', () => {
    expect(currencyAppearsIn('EUR', 'Total 1.234,50 €')).toBe(true);
    expect(currencyAppearsIn('EUR', 'Amount in EUR')).toBe(true);
    expect(currencyAppearsIn('USD', 'Total: $1,234.50')).toBe(true);
    expect(currencyAppearsIn('EUR', 'Total: $1,234.50')).toBe(false);
    expect(currencyAppearsIn('EUR', 'Europe Ltd')).toBe(false);
  });
});

describe('groundExtraction (invoice)', () => {
  const pages = [
    page(1, 'ACME GmbH\nRechnung Nr. RE-2024-017\nRechnungsdatum: 01.03.2024\nIBAN: DE89 3704 0044 0532 0130 00'),
    page(2, 'Beratung 10 Std. 1.000,00 €\nSumme netto 1.000,00 €\nGesamtbetrag: 1.190,00 €'),
  ];

  function base(): InvoiceExtraction {
    return {
      ...emptyInvoiceExtraction(),
      vendorName: ev('Acme GmbH', 1, 'ACME GmbH'),
      invoiceNumber: ev('RE-2024-017', 1, 'Rechnung Nr. RE-2024-017'),
      issueDate: ev('2024-03-01', 1, 'Rechnungsdatum: 01.03.2024'),
      iban: ev('DE89370400440532013000', 1, 'IBAN: DE89 3704 0044 0532 0130 00'),
      currency: ev('EUR', 2, 'Gesamtbetrag: 1.190,00 €'),
      subtotal: ev('1000.00', 2, 'Summe netto 1.000,00 €'),
      total: ev('1190.00', 2, 'Gesamtbetrag: 1.190,00 €'),
      lineItems: [
        { description: 'Beratung', quantity: '10', unitPrice: '100.00', amount: '1000.00', confidence: 0.8, evidence: { page: 2, quote: 'Beratung 10 Std. 1.000,00 €' } },
      ],
    };
  }

  it('keeps grounded values untouched', () => {
    const f = base();
    const out = groundExtraction('invoice', f, pages);
    expect(out.ungrounded).toEqual([]);
    expect(out.fields).toEqual(f);
  });

  it('caps values whose quote is not on the cited page, or whose value is not in the quote', () => {
    const f = base();
    f.total = ev('1190.00', 1, 'Gesamtbetrag: 1.190,00 €'); // wrong page
    f.subtotal = ev('1100.00', 2, 'Summe netto 1.000,00 €'); // value not in quote
    f.issueDate = ev('2024-03-02', 1, 'Rechnungsdatum: 01.03.2024');
    f.vendorTaxId = { value: 'DE123456789', confidence: 0.95, evidence: null }; // no evidence
    f.customerName = ev('Nobody', 7, 'Nobody'); // page not in document
    f.lineItems[0] = { ...f.lineItems[0]!, amount: '1001.00' };
    const out = groundExtraction('invoice', f, pages);
    expect(out.ungrounded).toEqual(['vendorTaxId', 'customerName', 'issueDate', 'subtotal', 'total', 'lineItems[0]']);
    expect(out.fields.total.confidence).toBeCloseTo(0.27, 10);
    expect(out.fields.vendorTaxId.confidence).toBeCloseTo(0.285, 10);
    expect(out.fields.lineItems[0]!.confidence).toBeCloseTo(0.24, 10);
    expect(out.fields.total.value).toBe('1190.00'); // value and evidence kept
    expect(out.fields.vendorName.confidence).toBe(0.9);
    // input not mutated
    expect(f.total.confidence).toBe(0.9);
  });

  it('caps at UNGROUNDED_CAP', () => {
    expect(UNGROUNDED_FACTOR).toBe(0.3);
    expect(UNGROUNDED_CAP).toBe(0.3);
    const f = base();
    f.total = { value: '1190.00', confidence: 1, evidence: null };
    expect(groundExtraction('invoice', f, pages).fields.total.confidence).toBe(0.3);
  });

  it('matches amounts across formats ($1,234.50)', () => {
    const f = { ...emptyInvoiceExtraction(), total: ev('1234.50', 1, 'Total due: $1,234.50'), currency: ev('USD', 1, 'Total due: $1,234.50') };
    const out = groundExtraction('invoice', f, [page(1, 'Total due: $1,234.50')]);
    expect(out.ungrounded).toEqual([]);
  });

  it('does not require the quote on a scanned (image-only) page, but still requires the value in the quote', () => {
    const scans = [page(1, '', true)];
    const f = { ...emptyInvoiceExtraction(), total: ev('1190.00', 1, 'Total 1.190,00'), subtotal: ev('1000.00', 1, 'Total 1.190,00') };
    expect(groundExtraction('invoice', f, scans).ungrounded).toEqual(['subtotal']);
  });

  it('never marks a null value ungrounded', () => {
    expect(groundExtraction('invoice', emptyInvoiceExtraction(), pages).ungrounded).toEqual([]);
  });
});

describe('groundExtraction (contract)', () => {
  const pages = [
    page(1, 'MUTUAL NON-DISCLOSURE AGREEMENT\nThis Agreement is entered into as of March 1, 2024 by Acme Corp. ("Company") and Jane Roe ("Recipient").'),
    page(2, 'The term of this Agreement is two (2) years. It shall automatically renew for successive one-year periods. Governed by the laws of the State of Delaware.'),
  ];
  it('grounds dates, durations, booleans (clause only) and parties', () => {
    const f: ContractExtraction = {
      ...emptyContractExtraction(),
      title: ev('Mutual Non-Disclosure Agreement', 1, 'MUTUAL NON-DISCLOSURE AGREEMENT'),
      effectiveDate: ev('2024-03-01', 1, 'as of March 1, 2024'),
      term: ev({ count: 24, unit: 'months' as const }, 2, 'The term of this Agreement is two (2) years.'),
      autoRenewal: ev(true, 2, 'It shall automatically renew for successive one-year periods.'),
      governingLaw: ev('Delaware', 2, 'laws of the State of Delaware'),
      parties: [
        { name: 'Acme Corp', role: 'Company', confidence: 0.9, evidence: { page: 1, quote: 'Acme Corp. ("Company")' } },
        { name: 'John Doe', role: 'Recipient', confidence: 0.8, evidence: { page: 1, quote: 'Jane Roe ("Recipient")' } },
      ],
      noticePeriod: ev({ count: 30, unit: 'days' as const }, 2, 'automatically renew'),
    };
    const out = groundExtraction('contract', f, pages);
    expect(out.ungrounded).toEqual(['noticePeriod', 'parties[1]']);
    expect(out.fields.parties[1]!.confidence).toBeCloseTo(0.24, 10);
    expect(out.fields.parties[0]!.confidence).toBe(0.9);
    expect(out.fields.autoRenewal.confidence).toBe(0.9);
  });
});
