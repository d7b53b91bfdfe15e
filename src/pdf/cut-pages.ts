import { PDFDocument } from 'pdf-lib';

/**
 * A new PDF holding only the given pages (1-based, in the order given) of
 * `bytes`: what we send to a model that reads PDFs natively, so it sees the
 * page range of one call and nothing else. Encrypted originals are opened with
 * `ignoreEncryption` (we copy pages, we do not decrypt content streams).
 */
export async function cutPdfPages(bytes: Uint8Array, pageNumbers: readonly number[]): Promise<Uint8Array> {
  const source = await PDFDocument.load(bytes, { ignoreEncryption: true, updateMetadata: false });
  const count = source.getPageCount();
  const indices = pageNumbers.map((n) => {
    if (!Number.isInteger(n) || n < 1 || n > count) throw new Error(`page ${n} is not in the document (1–${count})`);
    return n - 1;
  });
  const out = await PDFDocument.create({ updateMetadata: false });
  const pages = await out.copyPages(source, indices);
  for (const page of pages) out.addPage(page);
  return out.save({ useObjectStreams: true });
}
