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
 * invoice number, issue date and IBAN the XML states:
 * - the XML's value found in the text layer, or read from it by the text rules,
 *   passes (`page_matches_xml`);
 * - a different value read from the page fails, with both values in words
 *   ("the page shows total 529.87, the XML says 571.04"): it goes to review;
 * - a value the page does not show and the text rules cannot read at all is
 *   `page_not_checked`, with the reason in words. It is recorded, never
 *   counted as a match, and it does not send the document to review: a page
 *   without bank details, or whose layout the text rules cannot read, is not
 *   a disagreement, and the XML (the invoice in law) is authoritative. The
 *   check passes only in the sense that nothing was found wrong.
 * A PDF with no text layer at all (a scan) gets one `page_not_checked` for
 * every value the XML states.
 */
export function crossCheckPages(xml: InvoiceExtraction, pages: readonly PageText[]): CheckResult[] {
  const stated = CROSS_CHECKED_FIELDS.filter((name) => xml[name].value !== null);
  const withText = pages.filter((p) => !p.imageOnly && p.text.trim() !== '');
  if (withText.length === 0) {
    if (stated.length === 0) return [];
    return [
      {
        name: 'page_not_checked',
        passed: true,
        message: `the PDF's pages have no text layer to read: the XML's ${stated.map((n) => LABELS[n]).join(', ')} could not be compared with the page (the XML's values stand)`,
        fields: [...stated],
      },
    ];
  }
  const text = withText.map((p) => p.text).join('\n');
  const compact = text.replace(/\s+/g, '').toUpperCase();
  const page = extractInvoice(withText);
  const out: CheckResult[] = [];
  for (const name of stated) {
    const value = xml[name].value!;
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
    } else if (read === value) {
      out.push({ name: 'page_matches_xml', passed: true, message: `the page's ${LABELS[name]}, as the text rules read it, is the XML's ${value}`, fields: [name] });
    } else if (read !== null) {
      out.push({
        name: 'page_matches_xml',
        passed: false,
        message: `the page shows ${LABELS[name]} ${read}, the XML says ${value}`,
        fields: [name],
      });
    } else {
      out.push({
        name: 'page_not_checked',
        passed: true,
        message: `the page does not show the XML's ${LABELS[name]} ${value} and no ${LABELS[name]} could be read from it: not compared with the page (the XML's value stands)`,
        fields: [name],
      });
    }
  }
  return out;
}
