/**
 * ISO 4217 currency codes, from the ICU data that ships with Node (kept current by
 * Node releases) rather than a list we would have to maintain by hand.
 */
const ISO_CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

export function isIsoCurrency(code: string): boolean {
  return ISO_CURRENCIES.has(code);
}
