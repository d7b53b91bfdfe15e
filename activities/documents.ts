import { ApplicationFailure, Context } from '@temporalio/activity';
import { getDocument, markDocument } from '../src/db/documents.ts';
import { replacePages } from '../src/db/pages.ts';
import { insertFinishedAttempt } from '../src/db/paid-calls.ts';
import { classifyDocument } from '../src/classify/classify.ts';
import { estimateTokens } from '../src/extraction/rules/tokens.ts';
import { tiersValueFloor } from '../src/extraction/tiers.ts';
import { ocrScannedPages } from '../src/ocr/ocr-pages.ts';
import { originalsInMemory, parsePdf } from '../src/pdf/parse-pdf.ts';
import { PdfRejectedError } from '../src/pdf/pdf-errors.ts';
import type { Classification, ParsedSummary, TextClassification, TierInfo } from './types.ts';
import { activityContext, BAD_DOCUMENT, classificationFigures, PARSE_VERDICT_ATTEMPTS, renderForModel, withHeartbeat, workflowRun, type ActivityDeps } from './support.ts';

/** Reading a document: what the tiers can do, parsing, classification. */
export function createDocumentActivities(deps: ActivityDeps) {
  const { db, loadPages, loadOriginal } = activityContext(deps);
  return {
    /** What the worker's tiers can do; the workflow routes on it. */
    async describeTiers(): Promise<TierInfo> {
      return {
        fastModel: deps.tiers.fast.model,
        deepModel: deps.tiers.deep?.model ?? null,
        deepAvailable: deps.tiers.deep !== null,
        fastReadsImages: deps.tiers.fast.readsImages,
        deepReadsImages: deps.tiers.deep?.readsImages ?? false,
        checkModel: deps.tiers.check?.model ?? null,
        valueFloor: deps.config.routing.valueFloor ? tiersValueFloor(deps.tiers) : null,
      };
    },

    /**
     * Reads the original, extracts text per page into `pages`, and counts tokens.
     * Bad input (empty, not a PDF, encrypted, corrupt, too large) fails for good
     * with a `BadDocument` error whose message says what is wrong.
     */
    async parseDocument(documentId: string): Promise<ParsedSummary> {
      const document = await getDocument(db, documentId);
      if (!document) throw ApplicationFailure.nonRetryable(`document ${documentId} does not exist`, BAD_DOCUMENT);
      await markDocument(db, documentId, { status: 'processing' });
      const size = Number(document.size_bytes);
      if (size > deps.config.limits.maxFileBytes) {
        throw ApplicationFailure.nonRetryable(
          `file too large: ${(size / 1048576).toFixed(1)} MiB > limit ${(deps.config.limits.maxFileBytes / 1048576).toFixed(1)} MiB (DOCROUTE_MAX_FILE_MB)`,
          BAD_DOCUMENT,
        );
      }
      // The original is loaded only when a pdf.js thread can take it (originalsInMemory), and
      // heartbeats run from the wait on: a 50 MB original takes a while to arrive on a busy machine.
      const parsed = await withHeartbeat(() =>
        originalsInMemory.run(size, async () => {
          const bytes = await loadOriginal(document);
          if (!bytes) throw ApplicationFailure.nonRetryable(`the original file of ${documentId} is missing`, BAD_DOCUMENT);
          let parsed;
          try {
            parsed = await parsePdf(bytes, { maxPages: deps.config.limits.maxPages });
          } catch (error) {
            if (error instanceof PdfRejectedError) throw ApplicationFailure.nonRetryable(error.message, BAD_DOCUMENT);
            // The parser itself failed (not the database, not a lost worker: those never get here).
            // Once it has failed on calm retries, it is a verdict about the document.
            const attempt = Context.current().info.attempt;
            const message = error instanceof Error ? error.message : String(error);
            if (attempt >= PARSE_VERDICT_ATTEMPTS) {
              throw ApplicationFailure.nonRetryable(`the PDF could not be parsed (${attempt} attempts): ${message.slice(0, 300)}`, BAD_DOCUMENT);
            }
            throw ApplicationFailure.retryable(`parse failed: ${message.slice(0, 300)}`, 'ParseError');
          }
          // Scans without a tier that reads images: offline OCR becomes their text layer.
          if (parsed.imageOnlyPages.length > 0 && !deps.tiers.fast.readsImages && deps.config.ocr === 'auto') {
            const ocr = await ocrScannedPages(bytes, parsed);
            if (ocr.skipped) Context.current().log.warn('scanned pages left as images', { documentId, reason: ocr.skipped });
            parsed = ocr.parsed;
          }
          return parsed;
        }),
      );
      const pageTokens = parsed.pages.map((p) => estimateTokens(p.text));
      // A retried parse replaces what an interrupted one wrote.
      await replacePages(
        db,
        documentId,
        parsed.pages.map((p, i) => ({ ...p, tokenEstimate: pageTokens[i] ?? 0 })),
      );
      const count = await deps.tiers.fast.countTokens(parsed.pages);
      await markDocument(db, documentId, {
        pageCount: parsed.pageCount,
        imageOnlyPages: parsed.imageOnlyPages,
        tokenCount: count.tokens,
        tokenCountEstimated: count.estimated,
        mediaType: 'application/pdf',
      });
      return {
        pageCount: parsed.pageCount,
        imageOnlyPages: parsed.imageOnlyPages,
        pageTokens,
        tokens: count.tokens,
        tokensEstimated: count.estimated,
      };
    },

    /**
     * Classification from the text alone (no model call): the kind, and for a
     * scan with nothing to go by, the pages a tier reading images could be shown.
     */
    async classifyText(documentId: string): Promise<TextClassification> {
      const pages = await loadPages(documentId);
      const result = classifyDocument(pages);
      const scanned = pages.filter((p) => p.imageOnly).map((p) => p.pageNumber);
      const scanPages = result.kind === 'other' && deps.tiers.fast.classify ? scanned.slice(0, 2) : [];
      await markDocument(db, documentId, { kind: result.kind });
      return { kind: result.kind, confidence: result.confidence, scanPages };
    },

    /**
     * v1 only (runs started before the pipeline-v2 patch): classification with
     * the model call inside, under the database policy. v2 runs call
     * classifyText, then classifyScan under the model policy.
     */
    async classifyDocument(documentId: string): Promise<Classification> {
      const pages = await loadPages(documentId);
      let result: Classification = classifyDocument(pages);
      const scanned = pages.filter((p) => p.imageOnly).map((p) => p.pageNumber);
      const classify = deps.tiers.fast.classify?.bind(deps.tiers.fast);
      if (result.kind === 'other' && scanned.length > 0 && classify) {
        const original = await loadOriginal(await getDocument(db, documentId));
        if (original) {
          const run = workflowRun();
          const info = Context.current().info;
          const started = performance.now();
          const images = await renderForModel(original, scanned.slice(0, 2));
          const answer = await withHeartbeat(() => classify({ images, signal: Context.current().cancellationSignal }));
          await insertFinishedAttempt(db, {
            document_id: documentId,
            workflow_id: run.workflowId,
            run_id: run.runId,
            activity_id: info.activityId,
            activity_attempt: info.attempt,
            tier: deps.tiers.fast.tier,
            chunk_index: null,
            page_from: scanned[0] ?? 1,
            page_to: scanned[Math.min(1, scanned.length - 1)] ?? 1,
            ...classificationFigures(answer, Math.round(performance.now() - started)),
          });
          result = { kind: answer.kind, confidence: answer.kind === 'other' ? 0.5 : 0.7 };
        }
      }
      await markDocument(db, documentId, { kind: result.kind });
      return { kind: result.kind, confidence: result.confidence };
    },
  };
}
