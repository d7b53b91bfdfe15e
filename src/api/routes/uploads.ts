import { getDocument } from '../../db/documents.ts';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { DocumentStatus } from '../../../schemas/index.ts';
import { ingestContent } from '../../ingest/ingest.ts';
import { sniffContent } from '../../pdf/sniff.ts';
import { sniffDocument } from '../../ingest/sniff.ts';
import { BEARER, requireScope } from '../auth.ts';
import { HttpProblem, problems } from '../problem.ts';
import type { RouteModule } from '../types.ts';

const Uploaded = z
  .object({
    documentId: z.uuid(),
    workflowId: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    fileName: z.string().describe('The name the file was uploaded with (a label only)'),
    /** True when this content was already known: the existing document is returned, nothing new is started. */
    duplicate: z.boolean(),
    status: DocumentStatus,
  })
  .meta({ id: 'UploadedDocument' });
const UploadResponse = z.object({ documents: z.array(Uploaded) });

/**
 * `POST /v1/documents`: one or more PDFs or e-invoice XML files as
 * multipart/form-data. Every file is checked before any is taken (so a batch is
 * all or nothing): not empty, within the size limit, and by its content (first
 * bytes "%PDF-", polyglots refused, see sniffContent; or XML whose root is a
 * UBL/CII invoice, see sniffDocument), whatever its name or declared type says. Files
 * stream through a temporary spool file into Postgres: the API's memory does
 * not grow with the batch. An upload slower than DOCROUTE_API_MIN_UPLOAD_KBPS
 * is cut off (408). New content → 202 with the ids to poll; content
 * that was uploaded before → the existing document (200 when all are known).
 */
export const uploadRoutes: RouteModule = (app, deps) => {
  app.post(
    '/v1/documents',
    {
      preHandler: requireScope(deps.db, 'write'),
      schema: {
        tags: ['documents'],
        operationId: 'uploadDocuments',
        summary: 'Upload one or more PDFs or e-invoice XML files',
        description:
          'multipart/form-data with one or more file parts (any field name). Limits: ' +
          `${Math.round(deps.config.limits.maxFileBytes / 1048576)} MiB per file, 20 files per request. ` +
          'The same content uploaded again returns the existing document.',
        security: BEARER,
        documentedBody: {
          contentType: 'multipart/form-data',
          schema: {
            type: 'object',
            properties: {
              file: {
                type: 'array',
                items: { type: 'string', format: 'binary' },
                description: 'One or more files (PDF or UBL/CII XML); any part name is taken, "file" by convention',
              },
            },
            required: ['file'],
          },
        },
        response: {
          200: UploadResponse.describe('Every file was known: the existing documents'),
          202: UploadResponse.describe('Accepted: poll GET /v1/documents/{documentId} until its status is no longer received or processing'),
          ...problems(400, 401, 403, 408, 413, 415, 429, 500, 503),
        },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        throw new HttpProblem(415, 'Unsupported media type', 'Send the PDFs as multipart/form-data file parts.');
      }
      const maxMiB = Math.round(deps.config.limits.maxFileBytes / 1048576);
      const tooLarge = (name: string) => new HttpProblem(413, 'Payload too large', `${name} is larger than the limit of ${maxMiB} MiB.`);
      // Each file is spooled to a temporary file while it arrives (hashed and sniffed on the way), so
      // a batch never sits in memory; the originals go from there to Postgres in chunks.
      const spool = await fs.mkdtemp(path.join(os.tmpdir(), 'docroute-upload-'));
      const guard = slowUploadGuard(request, deps.config.api.minUploadBytesPerSecond);
      try {
        const files: SpooledFile[] = [];
        try {
          for await (const part of request.files()) {
            const name = sanitizeFileName(part.filename);
            const spooled = await spoolPart(part.file, path.join(spool, String(files.length)), guard);
            if (part.file.truncated) throw tooLarge(name);
            const sniffed = sniffContent(spooled.head);
            if (sniffed.kind === 'refused') {
              if (sniffed.code === 'empty_file') throw new HttpProblem(400, 'Empty file', `${name}: ${sniffed.message}`);
              throw new HttpProblem(415, 'Unsupported media type', `${name}: ${sniffed.message}`);
            }
            if (sniffed.kind === 'xml') {
              // XML is taken only when it is an e-invoice (UBL or CII root): that needs the whole
              // document, read from the spool (e-invoices are small; the reader caps their size).
              const xml = sniffDocument(await fs.readFile(spooled.path));
              if (!xml.ok) throw new HttpProblem(415, 'Unsupported media type', `${name}: ${xml.message}`);
            }
            files.push({ name, ...spooled });
          }
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge((error as { part?: { filename?: string } }).part?.filename || 'a file');
          if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') throw new HttpProblem(413, 'Payload too large', 'At most 20 files per request.');
          if (guard.tooSlow) {
            reply.header('connection', 'close');
            throw new HttpProblem(408, 'Request timeout', guard.message());
          }
          throw error;
        } finally {
          guard.stop();
        }
        if (files.length === 0) throw new HttpProblem(400, 'No file', 'The request has no file part; attach one or more PDFs.');

        const documents = [];
        for (const file of files) {
          const ingested = await ingestContent(
            { db: deps.db, client: deps.client, config: deps.config },
            {
              sha256: file.sha256,
              content: () => createReadStream(file.path, { highWaterMark: 1024 * 1024 }),
              sizeBytes: file.sizeBytes,
              fileName: file.name,
              source: `api:${request.apiKey?.name ?? 'unknown'}`,
            },
          );
          const doc = await getDocument(deps.db, ingested.documentId);
          if (!doc) throw new Error(`document ${ingested.documentId} was not recorded`);
          documents.push({
            documentId: ingested.documentId,
            workflowId: ingested.workflowId,
            sha256: ingested.sha256,
            fileName: file.name,
            duplicate: ingested.duplicate,
            status: doc.status,
          });
        }
        return reply.code(documents.every((d) => d.duplicate) ? 200 : 202).send({ documents });
      } finally {
        await fs.rm(spool, { recursive: true, force: true });
      }
    },
  );
};

interface SpooledFile {
  name: string;
  path: string;
  sha256: string;
  sizeBytes: number;
  /** The first bytes, for content sniffing. */
  head: Uint8Array;
}

const HEAD_BYTES = 1024;

/** Writes a file part to `file`, hashing it and keeping its first bytes on the way. */
async function spoolPart(source: Readable, file: string, guard: SlowUploadGuard): Promise<Omit<SpooledFile, 'name'>> {
  const hash = createHash('sha256');
  const head: Buffer[] = [];
  let headBytes = 0;
  let sizeBytes = 0;
  guard.watch(source);
  await pipeline(
    source,
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        sizeBytes += chunk.byteLength;
        if (headBytes < HEAD_BYTES) {
          head.push(chunk.subarray(0, HEAD_BYTES - headBytes));
          headBytes += Math.min(chunk.byteLength, HEAD_BYTES - headBytes);
        }
        done(null, chunk);
      },
    }),
    createWriteStream(file),
  );
  return { path: file, sha256: hash.digest('hex'), sizeBytes, head: Buffer.concat(head) };
}

const SLOW_WINDOW_MS = 10_000;

interface SlowUploadGuard {
  /** The part being received: destroyed when the upload is too slow. */
  watch(part: Readable): void;
  readonly tooSlow: boolean;
  message(): string;
  stop(): void;
}

/**
 * Cuts off an upload that delivers less than `minBytesPerSecond` over a
 * 10-s window (a client trickling bytes holds a connection and a spool file
 * for as long as it likes otherwise): the part being read is destroyed and
 * the request answered 408. 0 disables the guard.
 */
function slowUploadGuard(request: FastifyRequest, minBytesPerSecond: number): SlowUploadGuard {
  let received = 0;
  let current: Readable | undefined;
  let tooSlow = false;
  const onData = (chunk: Buffer) => {
    received += chunk.byteLength;
  };
  const minPerWindow = (minBytesPerSecond * SLOW_WINDOW_MS) / 1000;
  request.raw.on('data', onData);
  const timer =
    minBytesPerSecond > 0
      ? setInterval(() => {
          if (received < minPerWindow && !request.raw.readableEnded) {
            tooSlow = true;
            clearInterval(timer);
            current?.destroy(new Error('upload too slow'));
          }
          received = 0;
        }, SLOW_WINDOW_MS)
      : undefined;
  return {
    watch(part) {
      current = part;
    },
    get tooSlow() {
      return tooSlow;
    },
    message: () =>
      `The upload was slower than ${Math.round(minBytesPerSecond / 1024)} KiB/s over ${SLOW_WINDOW_MS / 1000} s and was cut off; ` +
      'upload again over a faster connection (DOCROUTE_API_MIN_UPLOAD_KBPS).',
    stop() {
      clearInterval(timer);
      request.raw.off('data', onData);
    },
  };
}

/** The name as a label only: no path, no control characters, bounded. */
function sanitizeFileName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 200);
  return clean || 'upload.pdf';
}
