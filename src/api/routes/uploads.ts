import { getDocument } from '../../db/documents.ts';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DocumentStatus } from '../../../schemas/index.ts';
import { ingestBytes } from '../../ingest/ingest.ts';
import { PdfRejectedError } from '../../pdf/pdf-errors.ts';
import { assertLooksLikePdf } from '../../pdf/sniff.ts';
import { BEARER, requireScope } from '../auth.ts';
import { HttpProblem, Problem } from '../problem.ts';
import type { RouteModule } from '../types.ts';

const Uploaded = z
  .object({
    documentId: z.uuid(),
    workflowId: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    file: z.string(),
    /** True when this content was already known: the existing document is returned, nothing new is started. */
    duplicate: z.boolean(),
    status: DocumentStatus,
  })
  .meta({ id: 'UploadedDocument' });
const UploadResponse = z.object({ documents: z.array(Uploaded) });

/**
 * `POST /v1/documents`: one or more PDFs as multipart/form-data. Every file is
 * checked before any is taken (so a batch is all or nothing): not empty, within
 * the size limit, and a PDF by its content (the "%PDF-" header), whatever its
 * name or declared type says. New content → 202 with the ids to poll; content
 * that was uploaded before → the existing document (200 when all are known).
 */
export const uploadRoutes: RouteModule = (app, deps) => {
  app.post(
    '/v1/documents',
    {
      preHandler: requireScope(deps.db, 'write'),
      schema: {
        tags: ['documents'],
        summary: 'Upload one or more PDFs',
        description:
          'multipart/form-data with one or more file parts (any field name). Limits: ' +
          `${Math.round(deps.config.limits.maxFileBytes / 1048576)} MiB per file, 20 files per request. ` +
          'The same content uploaded again returns the existing document.',
        security: BEARER,
        consumes: ['multipart/form-data'],
        response: { 200: UploadResponse, 202: UploadResponse, 400: Problem, 401: Problem, 403: Problem, 413: Problem, 415: Problem, 429: Problem },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart()) {
        throw new HttpProblem(415, 'Unsupported media type', 'Send the PDFs as multipart/form-data file parts.');
      }
      const files: { name: string; bytes: Buffer }[] = [];
      for await (const part of request.files()) {
        const bytes = await part.toBuffer().catch((error: { code?: string }) => {
          if (error.code === 'FST_REQ_FILE_TOO_LARGE') {
            throw new HttpProblem(
              413,
              'Payload too large',
              `${part.filename || 'a file'} is larger than the limit of ${Math.round(deps.config.limits.maxFileBytes / 1048576)} MiB.`,
            );
          }
          throw error;
        });
        const name = sanitizeFileName(part.filename);
        try {
          assertLooksLikePdf(bytes);
        } catch (error) {
          if (error instanceof PdfRejectedError) {
            throw error.code === 'empty_file'
              ? new HttpProblem(400, 'Empty file', `${name}: ${error.message}`)
              : new HttpProblem(415, 'Unsupported media type', `${name}: ${error.message}`);
          }
          throw error;
        }
        files.push({ name, bytes });
      }
      if (files.length === 0) throw new HttpProblem(400, 'No file', 'The request has no file part; attach one or more PDFs.');

      const documents = [];
      for (const file of files) {
        const ingested = await ingestBytes(
          { db: deps.db, client: deps.client, config: deps.config },
          {
            sha256: createHash('sha256').update(file.bytes).digest('hex'),
            bytes: file.bytes,
            sizeBytes: file.bytes.byteLength,
            fileName: file.name,
            source: `api:${request.apiKey?.name ?? 'unknown'}`,
            storeBlob: true,
          },
        );
        const doc = await getDocument(deps.db, ingested.documentId);
        if (!doc) throw new Error(`document ${ingested.documentId} was not recorded`);
        documents.push({
          documentId: ingested.documentId,
          workflowId: ingested.workflowId,
          sha256: ingested.sha256,
          file: file.name,
          duplicate: ingested.duplicate,
          status: doc.status,
        });
      }
      return reply.code(documents.every((d) => d.duplicate) ? 200 : 202).send({ documents });
    },
  );
};

/** The name as a label only: no path, no control characters, bounded. */
function sanitizeFileName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 200);
  return clean || 'upload.pdf';
}
