import { describe, expect, it } from 'vitest';
import { classifyDocument } from '../../src/classify/classify.ts';
import type { PageText } from '../../src/extraction/model-tier.ts';

const doc = (text: string): PageText[] => [{ pageNumber: 1, text, imageOnly: false }];

describe('classifyDocument', () => {
  it.each([
    ['en', 'INVOICE\nInvoice Number: 42\nInvoice Date: 1 March 2024\nQty Unit Price Amount\nWidget 2 $10.00 $20.00\nSubtotal $20.00\nTax $2.00\nTotal $22.00\nIBAN GB82WEST12345698765432'],
    ['de', 'Rechnung\nRechnungsnummer: 17\nRechnungsdatum: 01.03.2024\nMenge Einzelpreis Betrag\nBeratung 1 100,00 € 100,00 €\nNettobetrag 100,00 €\nMwSt. 19% 19,00 €\nGesamtbetrag 119,00 €'],
    ['fr', 'Facture n° 12\nDate : 01/03/2024\nDésignation Quantité Prix unitaire\nConseil 1 100,00 €\nTotal HT 100,00 €\nTVA 20% 20,00 €\nTotal TTC 120,00 €'],
    ['nl', 'Factuur\nFactuurnummer: 99\nFactuurdatum: 1 maart 2024\nAantal Prijs per stuk\nKabel 1 € 10,00\nTotaal excl. BTW € 10,00\nBTW 21% € 2,10\nTe betalen € 12,10'],
  ])('invoice (%s)', (_lang, text) => {
    const c = classifyDocument(doc(text));
    expect(c.kind).toBe('invoice');
    expect(c.scores.invoice).toBeGreaterThan(c.scores.contract);
  });

  it.each([
    ['en', 'NON-DISCLOSURE AGREEMENT\nThis Agreement is entered into as of March 1, 2024 by and between Acme Corp. and Beta LLC. WHEREAS the parties wish to exchange Confidential Information; NOW, THEREFORE, the parties hereby agree: 1. The Recipient shall hold the information in confidence. 2. This Agreement shall be governed by the laws of the State of New York. IN WITNESS WHEREOF the parties have signed.'],
    ['de', 'Geheimhaltungsvereinbarung zwischen der Foo GmbH und der Bar AG. Präambel: Die Parteien beabsichtigen eine Zusammenarbeit. § 1 Vertrauliche Informationen. Die Parteien verpflichtet sich zur Geheimhaltung. § 2 Kündigung. § 3 Anwendbares Recht: Dieser Vertrag unterliegt deutschem Recht. Gerichtsstand ist Berlin. Unterschrift'],
    ['fr', "Contrat de confidentialité entre la société Foo SAS et la société Bar SA. Préambule. Article 1 : Les parties s'engage à garder confidentielles les informations. Article 2 : Résiliation. Article 3 : Droit applicable : le présent contrat est soumis au droit français. Signé à Paris."],
    ['nl', 'Geheimhoudingsovereenkomst tussen Foo B.V. en Bar N.V. Overwegende dat partijen willen samenwerken. Artikel 1 Geheimhouding: partijen verplicht zich tot geheimhouding. Artikel 2 Opzegging. Artikel 3 Toepasselijk recht: Nederlands recht. Handtekening'],
  ])('contract (%s)', (_lang, text) => {
    const c = classifyDocument(doc(text));
    expect(c.kind).toBe('contract');
    expect(c.scores.contract).toBeGreaterThan(c.scores.invoice);
  });

  it.each([
    ['recipe', 'Chocolate cake. Preheat the oven to 180 degrees. Mix 200 g flour, 2 eggs and 100 g sugar. Bake for 35 minutes, then let it cool. Serve with cream.'],
    ['novel', 'It was a bright cold day in April, and the clocks were striking thirteen. Winston Smith, his chin nuzzled into his breast in an effort to escape the vile wind, slipped quickly through the glass doors of Victory Mansions.'],
    ['empty', ''],
  ])('other (%s)', (_name, text) => {
    const c = classifyDocument(doc(text));
    expect(c.kind).toBe('other');
    expect(c.confidence).toBeLessThan(1);
  });

  it('ignores image-only pages', () => {
    const c = classifyDocument([{ pageNumber: 1, text: 'Invoice total VAT IBAN', imageOnly: true }]);
    expect(c.kind).toBe('other');
  });
});
