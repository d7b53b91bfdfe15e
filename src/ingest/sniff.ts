import { sniffInvoiceXml } from '../einvoice/read.ts';
import { looksLikeXml } from '../einvoice/exact-tier.ts';
import { rejectMessages } from '../pdf/pdf-errors.ts';
import { describeNonPdf, findPdfHeader } from '../pdf/sniff.ts';

/**
 * What docroute takes in, decided by content (never by the file name): a PDF,
 * or an e-invoice as XML (UBL Invoice/CreditNote, UN/CEFACT CII, ZUGFeRD 1.0).
 * Shared by `ingest`, `watch` and `POST /v1/documents`.
 */
export type SniffResult =
  | { ok: true; mediaType: 'application/pdf' }
  | { ok: true; mediaType: 'application/xml'; syntax: string }
  | { ok: false; code: 'empty_file' | 'not_accepted'; message: string };

/** File names a directory scan (`ingest DIR`, `watch DIR`) picks up. */
export const ACCEPTED_FILE_NAME = /\.(pdf|xml)$/i;

export function sniffDocument(bytes: Uint8Array): SniffResult {
  if (bytes.length === 0) return { ok: false, code: 'empty_file', message: rejectMessages.emptyFile() };
  if (findPdfHeader(bytes) >= 0) return { ok: true, mediaType: 'application/pdf' };
  if (looksLikeXml(bytes)) {
    const sniffed = sniffInvoiceXml(bytes);
    if (sniffed.ok) return { ok: true, mediaType: 'application/xml', syntax: sniffed.syntax };
    return { ok: false, code: 'not_accepted', message: `XML refused: ${sniffed.reason}` };
  }
  return { ok: false, code: 'not_accepted', message: rejectMessages.notAPdf(describeNonPdf(bytes)) };
}
