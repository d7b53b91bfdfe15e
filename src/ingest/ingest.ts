import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import type { DocumentRow } from '../db/schema.ts';
import type { Config } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import { findDocumentByWorkflowId, registerUpload } from '../db/documents.ts';
import { ACCEPTED_FILE_NAME } from './sniff.ts';
import type { ExtractDocumentResult } from '../../workflows/index.ts';
import { settledUpdate } from '../../workflows/signals.ts';
import { reconcileDocument } from './reconcile.ts';
import { rerunDocument, startDocumentRun } from './runs.ts';
import { isTransientOutage, retryThroughOutages } from './transient.ts';

/** A document's workflow id is derived from its content: the same bytes, the same workflow. */
export function workflowIdFor(prefix: string, sha256: string): string {
  return `${prefix}-${sha256}`;
}

export interface IngestedFile {
  documentId: string;
  sha256: string;
  file: string;
  workflowId: string;
  /** The content was already known; no new document or workflow was created. */
  duplicate: boolean;
  /** A workflow was started by this call. */
  started: boolean;
}

export interface IngestContext {
  db: Db;
  client: Client;
  config: Config;
}

/**
 * Takes one file in: hashes it, records the document (content-addressed, so a
 * second drop of the same bytes creates nothing new) and starts its workflow
 * unless one exists. The file itself is read, never moved or deleted.
 */
export async function ingestFile(ctx: IngestContext, filePath: string, source: string): Promise<IngestedFile> {
  const stat = await fs.stat(filePath);
  if (!stat.isFile()) throw new Error(`${filePath} is not a regular file`);
  const tooLarge = stat.size > ctx.config.limits.maxFileBytes;
  // Hashed as a stream, then stored as a stream (unless too large: recorded, to fail with its reason, but not stored).
  const sha256 = await hashFile(filePath);
  // Registering is idempotent (content-addressed, one workflow id per content): an outage of
  // Postgres or Temporal is waited out and the registration tried again.
  return retryThroughOutages(() => ingestContent(ctx, {
    sha256,
    content: tooLarge ? null : () => createReadStream(filePath, { highWaterMark: 1024 * 1024 }),
    sizeBytes: stat.size,
    fileName: path.basename(filePath),
    source,
    displayName: filePath,
  }));
}

/**
 * Takes content in that the caller has received and hashed (an API upload
 * spooled to disk, a file): records the document, stores the original from
 * `content` (streamed) and starts its workflow, as ingestFile does.
 */
export async function ingestContent(
  ctx: IngestContext,
  upload: {
    sha256: string;
    /** Opens the content for reading (called at most once); null when the original is not stored. */
    content: (() => AsyncIterable<Uint8Array>) | null;
    sizeBytes: number;
    fileName: string;
    source: string;
    displayName?: string;
  },
): Promise<IngestedFile> {
  const workflowId = workflowIdFor(ctx.config.temporal.workflowIdPrefix, upload.sha256);
  const { document, duplicate } = await registerUpload(ctx.db, {
    sha256: upload.sha256,
    fileName: upload.fileName,
    content: upload.content,
    sizeBytes: upload.sizeBytes,
    source: upload.source,
    workflowId,
  });
  const base = { documentId: document.id, sha256: upload.sha256, file: upload.displayName ?? upload.fileName, workflowId, duplicate };
  // A document that reached a verdict is not processed again (reprocess does that on request);
  // one whose run stalled or was cancelled is retried by dropping the same file again.
  if (duplicate && ['extracted', 'needs_review', 'failed'].includes(document.status)) return { ...base, started: false };
  const retry = duplicate && ['stalled', 'cancelled'].includes(document.status);
  if (retry) {
    const rerun = await rerunDocument(ctx, document.id, { reason: 'retry', requestedBy: `ingest:${upload.source}` });
    return { ...base, started: rerun.ok };
  }
  const run = await startDocumentRun(
    ctx,
    { id: document.id, workflowId, fileName: upload.fileName },
    { reason: 'ingest', requestedBy: upload.source },
  );
  return { ...base, started: run.started };
}

/**
 * Waits until a document is settled: its workflow finished (extracted or
 * failed), or it is waiting in review (its workflow then waits, durably, for a
 * reviewer — which may take days — so its result is read from Postgres).
 * Review is awaited through the run's `settled` Update; runs started before it
 * existed (and any call while Temporal is away) are polled in Postgres every `pollMs`.
 */
export async function waitForDocument(
  ctx: { client: Client; db: Db },
  workflowId: string,
  pollMs = 300,
): Promise<ExtractDocumentResult> {
  // The long poll for the result is cancelled when the document settles in review
  // instead, so that no call is left pending on a connection about to close.
  const abort = new AbortController();
  type LongPoll = ExtractDocumentResult | 'cancelled' | 'closed' | { outage: unknown };
  // A cancelled run ends in a workflow failure; the document's recorded state says what happened.
  // A Temporal restart breaks the long poll: it is started again once Temporal answers.
  const longPoll = (): Promise<LongPoll> =>
    ctx.client.connection
      .withAbortSignal(abort.signal, () => ctx.client.workflow.getHandle(workflowId).result() as Promise<ExtractDocumentResult>)
      .then(
        (result): LongPoll => result,
        (error: unknown): LongPoll | Promise<never> => {
          if (error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure) return 'cancelled';
          if (error instanceof WorkflowFailedError && (error.cause instanceof TerminatedFailure || error.cause instanceof TimeoutFailure)) return 'closed';
          if (!abort.signal.aborted && isTransientOutage(error)) return { outage: error };
          return Promise.reject(error);
        },
      );
  let outcome = longPoll();
  outcome.catch(() => undefined); // observed below; never an unhandled rejection when review settles first
  // 'review': the review state is written; 'settled': the run is ending (its result follows); null: not available, poll.
  const settled: Promise<'review' | 'settled' | null> = ctx.client.connection
    .withAbortSignal(abort.signal, () => ctx.client.workflow.getHandle(workflowId).executeUpdate(settledUpdate))
    .catch(() => null);
  let viaUpdate = true;
  const fromRow = (doc: DocumentRow, status: 'needs_review' | 'cancelled'): ExtractDocumentResult => ({
    documentId: doc.id,
    status,
    kind: doc.kind,
    route: doc.route as ExtractDocumentResult['route'],
    confidence: doc.confidence === null ? null : Number(doc.confidence),
    tokens: doc.token_count,
    reasons: doc.review_reasons,
    error: doc.error,
  });
  // Postgres may be restarting: a failed look is simply taken again at the next poll.
  const readRow = () =>
    findDocumentByWorkflowId(ctx.db, workflowId).catch((error: unknown) => {
        if (isTransientOutage(error)) return 'outage' as const;
        throw error;
      });
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const next = viaUpdate
        ? settled.then<LongPoll | 'review' | 'no-update'>((answer) => (answer === 'settled' ? outcome : answer === null ? 'no-update' : 'review'))
        : new Promise<null>((r) => {
            timer = setTimeout(() => r(null), pollMs);
          });
      const winner: LongPoll | 'review' | 'no-update' | null = await Promise.race([outcome, next]).finally(() => clearTimeout(timer));
      if (winner === 'no-update') {
        viaUpdate = false;
        continue;
      }
      if (winner === 'review') {
        const doc = await retryThroughOutages(async () => {
          const row = await findDocumentByWorkflowId(ctx.db, workflowId);
          if (!row) throw new Error(`no document for workflow ${workflowId}`);
          return row;
        });
        if (doc.status === 'needs_review') return fromRow(doc, 'needs_review');
        // Decided in the meantime: the run's result follows.
        viaUpdate = false;
        continue;
      }
      if (winner !== null && typeof winner === 'object' && 'outage' in winner) {
        await new Promise((r) => setTimeout(r, 1000));
        outcome = longPoll();
        outcome.catch(() => undefined);
        continue;
      }
      if (winner === 'closed') {
        // Terminated or timed out: no workflow code recorded it; the reconciler does, now.
        const row = await findDocumentByWorkflowId(ctx.db, workflowId);
        if (row) await reconcileDocument(ctx, row);
      }
      if (winner === 'cancelled' || winner === 'closed') {
        const doc = await retryThroughOutages(async () => {
          const row = await findDocumentByWorkflowId(ctx.db, workflowId);
          if (!row) throw new Error(`no document for workflow ${workflowId}`);
          return row;
        });
        return fromRow(doc, 'cancelled');
      }
      if (winner) return winner;
      const doc = await readRow();
      if (doc !== 'outage' && doc?.status === 'needs_review') return fromRow(doc, 'needs_review');
    }
  } finally {
    abort.abort();
  }
}

/** The sha256 of a file, read as a stream. */
export async function hashFile(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A directory entry `expandPaths` did not take, and why (said to the user, never silently dropped). */
export interface SkippedPath {
  path: string;
  reason: string;
}

/**
 * Expands the command line's paths: files as given (whatever their extension, so a
 * mislabelled file still gets a recorded verdict), directories to the PDFs and XML files
 * (e-invoices) in them. What a directory holds besides is returned as `skipped`, with
 * the reason: other files (by their name), subdirectories (not searched) and
 * anything that is not a regular file.
 */
export async function expandPaths(paths: readonly string[]): Promise<{ files: string[]; skipped: SkippedPath[] }> {
  const out: string[] = [];
  const skipped: SkippedPath[] = [];
  for (const p of paths) {
    const stat = await fs.stat(p).catch(() => null);
    if (!stat) throw new Error(`no such file or directory: ${p}`);
    if (stat.isDirectory()) {
      const entries = await fs.readdir(p, { withFileTypes: true });
      for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
        const full = path.join(p, e.name);
        if (e.isFile() && ACCEPTED_FILE_NAME.test(e.name)) out.push(full);
        else if (e.isFile()) skipped.push({ path: full, reason: 'not a PDF or XML file (by its name: only .pdf and .xml are taken from a folder)' });
        else if (e.isDirectory()) skipped.push({ path: full, reason: 'a subfolder (folders are not searched recursively: give it as a path)' });
        else skipped.push({ path: full, reason: 'not a regular file' });
      }
    } else {
      out.push(p);
    }
  }
  return { files: [...new Set(out)], skipped };
}
