import type { Db } from './database.ts';

/**
 * Originals (the uploaded files), content-addressed by sha256, stored in
 * Postgres in CHUNK_BYTES pieces (table blob_chunks): written from a stream and
 * read back chunk by chunk, so neither an upload nor a download needs the whole
 * file in memory at once, and every API replica and worker sees the same store
 * (Postgres is what they already share). Blobs stored before chunking keep
 * their bytes in blobs.content and are read from there.
 */

/** 1 MiB: small enough for pg to hold a few at a time, large enough that a 50 MB file is 50 rows. */
export const CHUNK_BYTES = 1024 * 1024;
/** Chunks fetched per query when reading. */
const CHUNKS_PER_READ = 4;

/**
 * Stores `content` (exactly `sizeBytes` bytes whose sha256 is `sha256`, as the
 * caller computed while receiving them) unless that content is stored already.
 * Run it inside the transaction that records the document, so a blob is never
 * half-written: the chunks commit with the row that points at them. Returns
 * whether this call stored it.
 *
 * @example
 *   await db.transaction().execute((trx) => storeBlob(trx, sha, size, createReadStream(tmpFile)));
 */
export async function storeBlob(db: Db, sha256: string, sizeBytes: number, content: AsyncIterable<Uint8Array>): Promise<boolean> {
  const inserted = await db
    .insertInto('blobs')
    .values({ sha256, content: null, size_bytes: sizeBytes })
    .onConflict((oc) => oc.column('sha256').doNothing())
    .returning('sha256')
    .executeTakeFirst();
  if (!inserted) return false;
  let seq = 0;
  let written = 0;
  for await (const chunk of rechunk(content, CHUNK_BYTES)) {
    await db.insertInto('blob_chunks').values({ sha256, seq: seq++, data: chunk }).execute();
    written += chunk.byteLength;
  }
  if (written !== sizeBytes) throw new Error(`blob ${sha256}: ${written} bytes stored where ${sizeBytes} were announced (the file changed while it was read?)`);
  return true;
}

/** Whether the original with this hash is stored. */
export async function hasBlob(db: Db, sha256: string): Promise<boolean> {
  return (await db.selectFrom('blobs').select('sha256').where('sha256', '=', sha256).executeTakeFirst()) !== undefined;
}

/** The stored size of a blob, or undefined when it is not stored. */
export async function blobSize(db: Db, sha256: string): Promise<number | undefined> {
  const row = await db.selectFrom('blobs').select('size_bytes').where('sha256', '=', sha256).executeTakeFirst();
  return row ? Number(row.size_bytes) : undefined;
}

/**
 * The original's bytes as a stream of chunks (a few MiB in memory at a time),
 * or undefined when it is not stored. For downloads.
 */
export async function openBlob(db: Db, sha256: string): Promise<{ sizeBytes: number; chunks: AsyncIterable<Buffer> } | undefined> {
  const row = await db.selectFrom('blobs').select(['size_bytes', 'content']).where('sha256', '=', sha256).executeTakeFirst();
  if (!row) return undefined;
  const legacy = row.content;
  const sizeBytes = Number(row.size_bytes);
  if (legacy) {
    return {
      sizeBytes,
      chunks: (async function* () {
        yield legacy;
      })(),
    };
  }
  return { sizeBytes, chunks: readChunks(db, sha256) };
}

/**
 * The whole original in one Buffer (what pdf.js needs), filled chunk by chunk
 * into a buffer of the stored size: one copy of the file in memory, not the
 * several a single bytea value costs. Undefined when it is not stored.
 */
export async function readBlob(db: Db, sha256: string): Promise<Buffer | undefined> {
  const opened = await openBlob(db, sha256);
  if (!opened) return undefined;
  const out = Buffer.allocUnsafe(opened.sizeBytes);
  let offset = 0;
  for await (const chunk of opened.chunks) {
    if (offset + chunk.byteLength > out.byteLength) throw new Error(`blob ${sha256} holds more bytes than its recorded size ${opened.sizeBytes}`);
    chunk.copy(out, offset);
    offset += chunk.byteLength;
  }
  if (offset !== opened.sizeBytes) throw new Error(`blob ${sha256} holds ${offset} bytes, not its recorded size ${opened.sizeBytes}`);
  return out;
}

async function* readChunks(db: Db, sha256: string): AsyncGenerator<Buffer> {
  for (let from = 0; ; from += CHUNKS_PER_READ) {
    const rows = await db
      .selectFrom('blob_chunks')
      .select(['seq', 'data'])
      .where('sha256', '=', sha256)
      .where('seq', '>=', from)
      .where('seq', '<', from + CHUNKS_PER_READ)
      .orderBy('seq')
      .execute();
    for (const [i, row] of rows.entries()) {
      if (row.seq !== from + i) throw new Error(`blob ${sha256}: chunk ${from + i} is missing`);
      yield row.data;
    }
    if (rows.length < CHUNKS_PER_READ) return;
  }
}

/** Regroups a stream of byte arrays of any sizes into pieces of exactly `size` bytes (the last may be shorter). */
export async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of source) {
    let buf = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (pendingBytes + buf.byteLength >= size) {
      const take = size - pendingBytes;
      pending.push(buf.subarray(0, take));
      yield Buffer.concat(pending, size);
      pending = [];
      pendingBytes = 0;
      buf = buf.subarray(take);
    }
    if (buf.byteLength > 0) {
      pending.push(Buffer.from(buf)); // a copy: the source may reuse its buffer
      pendingBytes += buf.byteLength;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
