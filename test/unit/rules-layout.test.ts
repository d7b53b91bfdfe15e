/**
 * Issue 15's typical errors, each on a synthetic page built here (text, and text
 * items with positions where the layout matters), and the layout module itself.
 */
import { describe, expect, it } from 'vitest';
import type { PageText } from '../../src/extraction/model-tier.ts';
import { extractInvoice } from '../../src/extraction/rules/invoice-rules.ts';
import { below, layoutRows, rightOf, zoneOf } from '../../src/extraction/rules/layout.ts';
import type { TextItem } from '../../src/pdf/text-items.ts';

const page = (text: string, items?: TextItem[]): PageText => ({ pageNumber: 1, text, imageOnly: false, ...(items ? { items, size: { width: 595, height: 842 } } : {}) });
/** An item at (x, y) in page fractions, 10 pt high, about 5 pt per character. */
const at = (str: string, x: number, y: number): TextItem => ({ str, x, y, w: (str.length * 5) / 595, h: 10 / 842 });

describe('layout: rows, phrases, right and below', () => {
  const items = [at('Invoice', 0.1, 0.1), at('number:', 0.1 + 38 / 595, 0.1), at('INV-9', 0.5, 0.1), at('TOTAL HT', 0.6, 0.8), at('TOTAL TTC', 0.8, 0.8), at('100,00', 0.6, 0.815), at('110,00', 0.8, 0.815)];
  const rows = layoutRows(items);

  it('joins close items into phrases and keeps column gaps', () => {
    expect(rows[0]!.phrases.map((p) => p.str)).toEqual(['Invoice number:', 'INV-9']);
    expect(rows[1]!.phrases.map((p) => p.str)).toEqual(['TOTAL HT', 'TOTAL TTC']);
  });

  it('finds the value right of a label and the value under a label in its column', () => {
    expect(rightOf(rows[0]!, rows[0]!.phrases[0]!, () => false).map((p) => p.str)).toEqual(['INV-9']);
    expect(below(rows, 1, rows[1]!.phrases[1]!, () => false)?.phrases.map((p) => p.str)).toEqual(['110,00']);
    // Nothing within three line heights below: no value.
    expect(below(rows, 0, rows[0]!.phrases[1]!, () => false)).toBeNull();
  });

  it('tells the header and footer zones', () => {
    expect(zoneOf({ y: 0.05, h: 0.01 })).toBe('header');
    expect(zoneOf({ y: 0.5, h: 0.01 })).toBe('body');
    expect(zoneOf({ y: 0.95, h: 0.01 })).toBe('footer');
  });
});

describe('extractInvoice reads labels and values by position', () => {
  it('a label whose value the text layer emits far away ("FACTURE N° :" … "F20180027")', () => {
    const text = ['FACTURE N° :', 'Date :', 'Fournisseur SARL', '12 rue Haute', 'Lots of other lines', 'F20180027', '31/12/2018', 'TOTAL HT TOTAL TTC', '100,00 110,00'].join('\n');
    const items = [at('FACTURE N° :', 0.5, 0.04), at('Date :', 0.5, 0.06), at('Fournisseur SARL', 0.08, 0.1), at('12 rue Haute', 0.08, 0.115), at('Lots of other lines', 0.08, 0.4), at('F20180027', 0.77, 0.04), at('31/12/2018', 0.77, 0.06)];
    const without = extractInvoice([page(text)]);
    expect(without.invoiceNumber.value).toBeNull();
    const x = extractInvoice([page(text, items)]);
    expect(x.invoiceNumber.value).toBe('F20180027');
    expect(x.issueDate.value).toBe('2018-12-31');
    expect(x.invoiceNumber.evidence?.quote).toBe('F20180027');
  });

  it('a header row of total labels over a row of amounts', () => {
    const text = 'Facture 12\nTOTAL HT\tTOTAL TVA\tTOTAL TTC\n100,00\t20,00\t120,00';
    const items = [at('Facture 12', 0.1, 0.1), at('TOTAL HT', 0.5, 0.8), at('TOTAL TVA', 0.65, 0.8), at('TOTAL TTC', 0.8, 0.8), at('100,00', 0.5, 0.815), at('20,00', 0.65, 0.815), at('120,00', 0.8, 0.815)];
    const x = extractInvoice([page(text, items)]);
    expect([x.subtotal.value, x.taxTotal.value, x.total.value]).toEqual(['100.00', '20.00', '120.00']);
    // net + VAT = gross: confirmed.
    expect(x.total.confidence).toBeGreaterThanOrEqual(0.9);
  });
});

describe("issue 15's typical errors", () => {
  it('the total is the Bruttosumme/Zahlbetrag, not "Gesamtbetrag der Zuschläge 0,00"', () => {
    const x = extractInvoice([page('Rechnung Nr. 4711\nNettobetrag 100,00\nGesamtbetrag der Zuschläge 0,00\nUmsatzsteuer 19,00\nBruttosumme 119,00\nZahlbetrag 119,00')]);
    expect([x.subtotal.value, x.taxTotal.value, x.total.value]).toEqual(['100.00', '19.00', '119.00']);
  });

  it('"Handelsrechnung (380) Nr. 471102 vom …" is the invoice number and date', () => {
    const x = extractInvoice([page('Handelsrechnung (380) Nr. 471102 vom 05.03.2018\nGesamt 10,00 EUR')]);
    expect(x.invoiceNumber.value).toBe('471102');
    expect(x.issueDate.value).toBe('2018-03-05');
  });

  it('the vendor is the block\'s name, never "GmbH" from "Name: Lieferant GmbH", nor the buyer', () => {
    const x = extractInvoice([page('Verkäufer\nName: Lieferant GmbH\nKäufer\nName: Kunden AG Mitte\nRechnungsnummer: 123\nGesamt 10,00 EUR')]);
    expect(x.vendorName.value).toBe('Lieferant GmbH');
    expect(x.customerName.value).toBe('Kunden AG Mitte');
    const buyerOnly = extractInvoice([page('Rechnung an: Kunden AG Mitte\nHauptstraße 1\n10115 Berlin\nRechnungsnummer: 123\nGesamt 10,00 EUR\nKunden AG Mitte')]);
    expect(buyerOnly.customerName.value).toBe('Kunden AG Mitte');
    expect(buyerOnly.vendorName.value).toBeNull();
  });

  it('the letterhead beats an account holder; the holder keeps its whole name', () => {
    const bank = 'Kontoinhaber: Factoring Bank AG IBAN DE89 3704 0044 0532 0130 00';
    const x = extractInvoice([page(`Nordwind Handel GmbH\nHafenweg 3, 20457 Hamburg\nRechnung\nRechnungsnummer: 77\nGesamtbetrag 10,00 €\n${bank}`)]);
    expect(x.vendorName.value).toBe('Nordwind Handel GmbH');
    const alone = extractInvoice([page(`Rechnung\nRechnungsnummer: 77\nGesamtbetrag 10,00 €\n${bank}`)]);
    expect(alone.vendorName.value).toBe('Factoring Bank AG');
    expect(alone.vendorName.confidence).toBeLessThanOrEqual(0.5);
  });

  it('a sender line with "●" separators names the vendor ("Bei Spiel GmbH ● Ecke 12 ● 12345 Stadthausen")', () => {
    const x = extractInvoice([page('Rechnung # RE-1\nGesamtbetrag: 10,00 €\nBei Spiel GmbH ● Ecke 12 ● 12345 Stadthausen\nTheodor Est\nBei Spiel GmbH\nEcke 12\nKontoinhaber: Max Mustermann')]);
    expect(x.vendorName.value).toBe('Bei Spiel GmbH');
  });

  it('no issue date from a "Version … vom" banner or an e-mail header', () => {
    expect(extractInvoice([page('ZUGFeRD-Version 2.1 vom 24.03.2020\nRechnung 123\nGesamt 10,00 EUR')]).issueDate.value).toBeNull();
    expect(extractInvoice([page('ZUGFeRD-Version 2.1 vom 24.03.2020\nRechnungsnummer: 123\nDatum: 05.03.2021')]).issueDate.value).toBe('2021-03-05');
    const mail = 'From: Billing <billing@example.com>\nSent: April 29, 2025\nSubject: your invoice\nInvoice 55\nThe amount is $10.00';
    expect(extractInvoice([page(mail)]).issueDate.value).toBeNull();
    expect(extractInvoice([page(`${mail}\nInvoice Date: April 20, 2025`)]).issueDate.value).toBe('2025-04-20');
  });

  it('a position number is not the subtotal', () => {
    const x = extractInvoice([page('Pos. Bezeichnung Menge Preis Betrag\n1 Beratung 2 50,00 100,00\nZwischensumme\n1\nMwSt 19% 19,00\nGesamt 119,00')]);
    expect(x.subtotal.value).not.toBe('1');
  });

  it('the tax total is the sum of the VAT breakdown, not its first row', () => {
    const x = extractInvoice([page('Summe netto 300,00 EUR\nUSt.-Satz Nettobetrag USt.-Betrag\n7 % 100,00 7,00\n19 % 200,00 38,00\nGesamtbetrag 345,00 EUR')]);
    expect([x.subtotal.value, x.taxTotal.value, x.total.value]).toEqual(['300.00', '45.00', '345.00']);
    const labelled = extractInvoice([page('Nettobetrag: 496,00 €\nUSt. Satz Nettopreis Ust.-Betrag\n7% 160,00 € 11,20 €\n19% 336,00 € 63,84 €\nUSt. Gesamt: 75,04 €\nGesamtbetrag: 571,04 €')]);
    expect([labelled.subtotal.value, labelled.taxTotal.value, labelled.total.value]).toEqual(['496.00', '75.04', '571.04']);
  });

  it('a qualifier in parentheses is not a label of its own ("Nettobetrag (zzgl. 19,00% MwSt.) 376,37")', () => {
    const x = extractInvoice([page('Nettobetrag (zzgl. 19,00% MwSt.) 376,37\nMwSt. 71,51\nGesamtbetrag 447,88')]);
    expect([x.subtotal.value, x.taxTotal.value, x.total.value]).toEqual(['376.37', '71.51', '447.88']);
  });

  it('amounts with every common grouping', () => {
    for (const t of ['£3 787.70', '3\u202f787,70 €', "CHF 3'787.70", '3.787,70 EUR', '3,787.70 USD', '3 787,70 €'])
      expect(extractInvoice([page(`Invoice number: 5\nTotal: ${t}`)]).total.value, t).toBe('3787.70');
  });

  it('"Total Pcs.: 27" is not the total', () => {
    expect(extractInvoice([page('Invoice number: 5\nTotal Pcs.: 27\nTotal: $ 40.00')]).total.value).toBe('40.00');
  });

  it('a year is not a line item, and a unit letter does not eat the description', () => {
    const x = extractInvoice([page('Description Qty Price Amount\nHosting 1 100.00 100.00\nPeriod 2024 2025\nTotal 100.00')]);
    expect(x.lineItems.map((l) => l.description)).toEqual(['Hosting']);
  });
});

describe('confidence is earned by reconciliation', () => {
  it('a strongly labelled total that nothing reconciles stays below 0.9', () => {
    const x = extractInvoice([page('Invoice number: 5\nInvoice date: 3 May 2024\nTotal amount: $ 40.00')]);
    expect(x.total.value).toBe('40.00');
    expect(x.total.confidence).toBeLessThan(0.9);
  });

  it('line items adding up to the net amount confirm it', () => {
    const x = extractInvoice([page('Description Qty Price Amount\nWidget 2 10.00 20.00\nGadget 1 5.00 5.00\nNet amount: $ 25.00\nInvoice number: 5')]);
    expect(x.subtotal.value).toBe('25.00');
    expect(x.subtotal.confidence).toBeGreaterThanOrEqual(0.9);
    const off = extractInvoice([page('Description Qty Price Amount\nWidget 2 10.00 20.00\nGadget 1 5.00 5.00\nNet amount: $ 26.00\nInvoice number: 5')]);
    expect(off.subtotal.confidence).toBeLessThan(0.9);
  });
});
