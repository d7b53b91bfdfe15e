import type { InvoiceExtraction } from '../../schemas/index.ts';
import type { PageText } from '../extraction/model-tier.ts';
import { dateAppearsIn, textAppearsIn } from '../extraction/normalize.ts';
import { extractInvoice } from '../extraction/rules/invoice-rules.ts';
import type { CheckResult } from '../validation/checks.ts';
import { amountAppearsIn } from '../validation/money.ts';

/** The payment-relevant values a hybrid PDF's page must agree with its XML on. */
export const CROSS_CHECKED_FIELDS = ['total', 'invoiceNumber', 'issueDate', 'iban'] as const;
type CrossChecked = (typeof CROSS_CHECKED_FIELDS)[number];

const LABELS: Record<CrossChecked, string> = {
  total: 'total',
  invoiceNumber: 'invoice number',
  issueDate: 'issue date',
  iban: 'IBAN',
};

/**
 * A hybrid PDF (ZUGFeRD / Factur-X): the XML is the invoice, and the page a
 * person sees must say the same on what decides a payment. For each of total,
 * invoice number, issue date and IBAN: the XML's value found in the text layer
 * passes; otherwise, when the text rules read a different value from the page,
 * the check fails with both values in words ("the page shows total 529.87, the
 * XML says 571.04"); a value the page does not show at all is not a
 * disagreement (a scan, a page without bank details) and is skipped.
 */
export function crossCheckPages(xml: InvoiceExtraction, pages: readonly PageText[]): CheckResult[] {
  const withText = pages.filter((p) => !p.imageOnly && p.text.trim() !== '');
  if (withText.length === 0) return [];
  const text = withText.map((p) => p.text).join('\n');
  const compact = text.replace(/\s+/g, '').toUpperCase();
  const page = extractInvoice(withText);
  const out: CheckResult[] = [];
  for (const name of CROSS_CHECKED_FIELDS) {
    const value = xml[name].value;
    if (value === null) continue;
    const shown =
      name === 'total'
        ? amountAppearsIn(value, text)
        : name === 'issueDate'
          ? dateAppearsIn(value, text)
          : name === 'iban'
            ? compact.includes(value.replace(/\s+/g, '').toUpperCase())
            : textAppearsIn(value, text);
    const read = page[name].value;
    if (shown) {
      out.push({ name: 'page_matches_xml', passed: true, message: `the page shows the XML's ${LABELS[name]} ${value}`, fields: [name] });
    } else if (read !== null && read !== value) {
      out.push({
        name: 'page_matches_xml',
        passed: false,
        message: `the page shows ${LABELS[name]} ${read}, the XML says ${value}`,
        fields: [name],
      });
    }
  }
  return out;
}
