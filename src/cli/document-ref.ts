import { promises as fs } from 'node:fs';
import type { Db } from '../db/database.ts';
import { findDocument } from '../db/documents.ts';
import type { DocumentRow } from '../db/schema.ts';
import { hashFile } from '../ingest/ingest.ts';

/**
 * The document a command line names: a file path (the document with that file's
 * content: documents are content-addressed, so a renamed copy finds it too), or
 * a document id, content hash (prefix) or workflow id. Throws when nothing matches,
 * saying what was tried.
 *
 * @example
 * const doc = await resolveDocumentRef(db, 'inbox/invoice-2024-17.pdf');
 */
export async function resolveDocumentRef(db: Db, ref: string): Promise<DocumentRow> {
  const stat = await fs.stat(ref).catch(() => null);
  if (stat?.isFile()) {
    const sha256 = await hashFile(ref);
    const doc = await findDocument(db, sha256);
    if (!doc) throw new Error(`${ref} has not been ingested: no document has its content (sha256 ${sha256}); docroute ingest ${ref}`);
    return doc;
  }
  const doc = await findDocument(db, ref);
  if (!doc) {
    throw new Error(
      stat?.isDirectory()
        ? `${ref} is a folder: give one file, or docroute list ${ref} for the documents of its files`
        : `no document matches ${ref} (a file path, document id, content hash or its prefix, or workflow id)`,
    );
  }
  return doc;
}
