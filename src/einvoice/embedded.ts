import type { PdfAttachment } from '../pdf/attachments.ts';
import { sniffInvoiceXml } from './read.ts';

/**
 * The file names ZUGFeRD 1/2, Factur-X and XRechnung-in-PDF give the invoice
 * XML they embed (compared case-insensitively).
 */
export const EMBEDDED_INVOICE_NAMES = ['factur-x.xml', 'zugferd-invoice.xml', 'xrechnung.xml', 'order-x.xml'] as const;

export interface EmbeddedChoice {
  /** The attachment that carries the invoice, or null. */
  attachment: PdfAttachment | null;
  /** What was found and why this one was chosen (or none): for the audit trail. */
  note: string;
}

/**
 * Picks the invoice XML among a PDF's embedded files: a file with one of the
 * standard names first (Factur-X before ZUGFeRD when a file carries both), else
 * any other `.xml` whose root is an invoice (a PDF/A-3 associated file named
 * otherwise). pdf.js does not expose the /AFRelationship key, so the content
 * decides for files with other names.
 */
export function chooseEmbeddedInvoice(attachments: readonly PdfAttachment[]): EmbeddedChoice {
  if (attachments.length === 0) return { attachment: null, note: 'the PDF embeds no files' };
  const names = attachments.map((a) => a.fileName).join(', ');
  const lower = (a: PdfAttachment) => a.fileName.toLowerCase();
  for (const name of EMBEDDED_INVOICE_NAMES) {
    const found = attachments.find((a) => lower(a) === name);
    if (found) return { attachment: found, note: `embedded ${found.fileName} (of: ${names})` };
  }
  for (const a of attachments.filter((x) => lower(x).endsWith('.xml'))) {
    if (sniffInvoiceXml(a.bytes).ok) return { attachment: a, note: `embedded ${a.fileName}, an invoice XML (of: ${names})` };
  }
  return { attachment: null, note: `the PDF embeds no invoice XML (files: ${names})` };
}
