import { openPdfParser, toRejection } from './extract-pdf.ts';
import { runPdfWorker, stripUndefined, type PdfWorkerGuard } from './pdf-threads.ts';
import { assertLooksLikePdf } from './sniff.ts';

/** A file embedded in a PDF (PDF/A-3 associated file or an attachment annotation's file). */
export interface PdfAttachment {
  fileName: string;
  bytes: Uint8Array;
}

export interface AttachmentOptions {
  /** Time allowed to open the document and list its files. Default 20 s. */
  openTimeoutMs?: number;
  /** V8 heap cap for the thread, in MB. Default 512. */
  maxHeapMb?: number;
  /** Attachments larger than this are left out. Default 20 MB. */
  maxAttachmentBytes?: number;
  /** Read on the calling thread (no deadline, no memory cap). Tests and debugging only. */
  inProcess?: boolean;
}

const GUARD: PdfWorkerGuard = { openTimeoutMs: 20_000, msPerPage: 0, maxHeapMb: 512 };
const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;

/** What attachments-worker.ts receives. */
export interface AttachmentWorkerInput {
  bytes: Uint8Array;
  maxAttachmentBytes: number;
}

/**
 * The files embedded in a PDF, via pdf.js (`getAttachments()` on the document
 * pdf-parse opens). Runs in a guarded worker thread like parsing does: a
 * hostile file ends in PdfRejectedError 'corrupt', never a stuck worker.
 */
export async function readPdfAttachments(bytes: Uint8Array, options: AttachmentOptions = {}): Promise<PdfAttachment[]> {
  assertLooksLikePdf(bytes);
  const maxAttachmentBytes = options.maxAttachmentBytes ?? MAX_ATTACHMENT_BYTES;
  if (options.inProcess) return readPdfAttachmentsInProcess({ bytes, maxAttachmentBytes });
  const guard = { ...GUARD, ...stripUndefined({ openTimeoutMs: options.openTimeoutMs, maxHeapMb: options.maxHeapMb }) };
  return runPdfWorker<PdfAttachment[]>(WORKER_URL, { bytes, maxAttachmentBytes } satisfies AttachmentWorkerInput, guard, {
    verb: 'reading attachments',
    pages: () => 'listing attachments',
  });
}

const WORKER_URL = new URL('./attachments-worker.ts', import.meta.url);

interface PdfJsAttachments {
  getAttachments(): Promise<Record<string, { filename?: string; rawFilename?: string; content?: Uint8Array }> | null>;
}

export async function readPdfAttachmentsInProcess(input: AttachmentWorkerInput): Promise<PdfAttachment[]> {
  const parser = openPdfParser(input.bytes);
  try {
    await parser.getInfo();
    const doc = (parser as unknown as { doc?: Partial<PdfJsAttachments> }).doc;
    if (!doc || typeof doc.getAttachments !== 'function') return [];
    const found = (await doc.getAttachments()) ?? {};
    return Object.values(found)
      .filter((a) => a.content instanceof Uint8Array && a.content.length <= input.maxAttachmentBytes)
      .map((a) => ({ fileName: a.filename ?? a.rawFilename ?? 'attachment', bytes: new Uint8Array(a.content!) }));
  } catch (error) {
    throw toRejection(error);
  } finally {
    await parser.destroy().catch(() => undefined);
  }
}
