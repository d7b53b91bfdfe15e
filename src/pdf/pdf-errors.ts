/**
 * Why a PDF was refused before any extraction. Every code is a property of the
 * file itself, so retrying the same bytes gives the same answer: callers should
 * treat a PdfRejectedError as final (non-retryable) and show `message` to the
 * person who uploaded the file.
 */
export const PDF_REJECT_CODES = [
  'empty_file',
  'not_a_pdf',
  'encrypted',
  'corrupt',
  'too_complex',
  'too_many_pages',
  'no_pages',
] as const;

export type PdfRejectCode = (typeof PDF_REJECT_CODES)[number];

export class PdfRejectedError extends Error {
  override name = 'PdfRejectedError';
  readonly code: PdfRejectCode;

  constructor(code: PdfRejectCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isPdfRejectCode(value: unknown): value is PdfRejectCode {
  return typeof value === 'string' && (PDF_REJECT_CODES as readonly string[]).includes(value);
}

/** Human messages, one place, so the wording stays consistent across callers. */
export const rejectMessages = {
  emptyFile: () => 'file is empty (0 bytes); upload the PDF again',
  notAPdf: (looksLike: string | undefined) =>
    `file is not a PDF${looksLike ? ` (it looks like ${looksLike})` : ''}: no "%PDF-" header in its first 1024 bytes; ` +
    'export or save the document as PDF and upload again',
  encrypted: () => 'file is encrypted (password-protected); remove the password and upload again',
  corrupt: (detail: string) =>
    `file is damaged or truncated and cannot be read as a PDF (${detail}); re-export or re-scan it and upload again`,
  tooComplex: (detail: string) =>
    `file is too complex to read within the parsing limits (${detail}); it is not necessarily damaged: ` +
    'simplify it (print it to a new PDF, lower the resolution of its images) or split it and upload again, ' +
    'or raise DOCROUTE_PARSE_CPU_SECONDS / DOCROUTE_PARSE_HEAP_MB',
  tooManyPages: (pageCount: number, maxPages: number) =>
    `file has ${pageCount} pages, more than the limit of ${maxPages}; split it into smaller files and upload them separately`,
  noPages: () => 'file is a PDF without any pages; check that the right file was uploaded',
} as const;
