/** Shared by the e-invoice reader's pair test and the evaluation of e-invoices. */

/**
 * Where the two files of a KoSIT pair really say different things (checked by
 * hand in the XML: the test data differs, not the readers). Listed with both
 * values, so that a reader change or a data change fails the test.
 */
export const DATA_DIFFERENCES: Record<string, Record<string, [unknown, unknown]>> = {
  // UBL's RegistrationName (BT-44) is "[Buyer trading name]"; CII's Name (BT-44) is "[Buyer name]".
  ...Object.fromEntries(
    ['01.01', '01.02', '01.03', '01.04'].map((n) => [
      `${n}_comprehensive_test`,
      { customerName: ['[Buyer trading name]', '[Buyer name]'] },
    ]),
  ),
  // UBL carries an OrderReference/ID "Dummywert" (required there by a SalesOrderID); CII has no order reference.
  ...Object.fromEntries(
    ['01.02a', '01.08a', '01.09a', '01.10a', '01.11a', '01.12a', '01.13a'].map((n) => [
      `${n}-INVOICE`,
      { purchaseOrder: ['Dummywert', null] },
    ]),
  ),
  // UBL states a VAT total of 0; the CII file has no TaxTotalAmount.
  '01.05_minimal_test': { taxTotal: ['0.00', null] },
  '01.20a-INVOICE': { vendorAddress: ['[Seller street], 12345 [Seller city], DE', '[Street], 12345 [City], DE'] },
  '01.21a-INVOICE': { vendorTaxId: ['DE 123456789', 'DE152338654'] },
  // UBL puts the city in PostalZone and the postcode in CityName.
  '03.06a-INVOICE': {
    vendorAddress: ['Teststraße, Testhausen 12345, DE', 'Teststraße, 12345 Testhausen, DE'],
    customerAddress: ['Teststraße, Testhausen 12345, DE', 'Teststraße, 12345 Testhausen, DE'],
  },
};
