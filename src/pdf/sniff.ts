import { PdfRejectedError, rejectMessages } from './pdf-errors.ts';

/** Readers (Acrobat, pdf.js) accept the "%PDF-" header anywhere in the first 1024 bytes. */
export const PDF_HEADER_WINDOW = 1024;

const PDF_MAGIC = [0x25, 0x50, 0x44, 0x46, 0x2d]; // "%PDF-"

/** Byte offset of the "%PDF-" header within the first 1024 bytes, or -1. */
export function findPdfHeader(bytes: Uint8Array): number {
  const end = Math.min(bytes.length, PDF_HEADER_WINDOW) - PDF_MAGIC.length;
  outer: for (let i = 0; i <= end; i++) {
    for (let j = 0; j < PDF_MAGIC.length; j++) if (bytes[i + j] !== PDF_MAGIC[j]) continue outer;
    return i;
  }
  return -1;
}

const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0): boolean =>
  prefix.every((b, i) => bytes[at + i] === b);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** A best guess at what a non-PDF file is, for the rejection message. */
export function describeNonPdf(bytes: Uint8Array): string | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'a PNG image';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'a JPEG image';
  if (startsWith(bytes, ascii('GIF8'))) return 'a GIF image';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'a TIFF image';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'a WebP image';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive (e.g. a Word or Excel file)';
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0])) return 'a legacy Office document';
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 512)).trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'an HTML page';
  if (head.startsWith('<?xml') || head.startsWith('<')) return 'an XML/HTML document';
  if (head.startsWith('{') || head.startsWith('[')) return 'a JSON document';
  const sample = bytes.subarray(0, 512);
  if (sample.length > 0 && sample.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b !== 0x7f)))
    return 'a plain text file';
  return undefined;
}

/** What a file is by its first bytes: a format docroute reads, or why it is refused. */
export type SniffedContent =
  | { kind: 'pdf' }
  | { kind: 'xml' }
  | { kind: 'refused'; code: 'empty_file' | 'not_a_pdf'; message: string };

const isBlank = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x0c || b === 0x00;
const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Content sniffing, whatever the file's name or declared type: a PDF is a file
 * whose first non-blank bytes are "%PDF-"; an XML document one whose first
 * bytes (after an optional UTF-8 BOM and blanks) are an XML prolog "<?xml".
 * Anything else is refused, including polyglots: a file that starts as another
 * format (a ZIP, an image, HTML) and carries a "%PDF-" header further in, which
 * readers would accept but which is two files at once and would be served back
 * as something it is not.
 *
 * @example sniffContent(Buffer.from('%PDF-1.7\n…')) // { kind: 'pdf' }
 */
export function sniffContent(bytes: Uint8Array): SniffedContent {
  if (bytes.length === 0) return { kind: 'refused', code: 'empty_file', message: rejectMessages.emptyFile() };
  const header = findPdfHeader(bytes);
  if (header >= 0 && bytes.subarray(0, header).every(isBlank)) return { kind: 'pdf' };
  let at = startsWith(bytes, UTF8_BOM) ? UTF8_BOM.length : 0;
  while (at < bytes.length && at < PDF_HEADER_WINDOW && isBlank(bytes[at]!)) at++;
  if (startsWith(bytes, ascii('<?xml'), at)) return { kind: 'xml' };
  if (header >= 0) {
    const looksLike = describeNonPdf(bytes);
    return {
      kind: 'refused',
      code: 'not_a_pdf',
      message:
        `file is not a PDF: it starts as ${looksLike ?? 'another format'} and holds a "%PDF-" header only at byte ${header} ` +
        '(a file that is two formats at once); export or save the document as PDF and upload again',
    };
  }
  return { kind: 'refused', code: 'not_a_pdf', message: rejectMessages.notAPdf(describeNonPdf(bytes)) };
}

/**
 * Cheap checks done before any PDF library sees the bytes: throws
 * PdfRejectedError 'empty_file' or 'not_a_pdf' unless sniffContent says PDF.
 */
export function assertLooksLikePdf(bytes: Uint8Array): void {
  const sniffed = sniffContent(bytes);
  if (sniffed.kind === 'pdf') return;
  if (sniffed.kind === 'refused') throw new PdfRejectedError(sniffed.code, sniffed.message);
  throw new PdfRejectedError('not_a_pdf', rejectMessages.notAPdf('an XML document'));
}
