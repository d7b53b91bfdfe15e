import { ApplicationFailure, Context } from '@temporalio/activity';
import { z } from 'zod';
import { StoredCheck } from '../src/db/json-columns.ts';
import { InvoiceExtraction, INVOICE_REQUIRED_FIELDS } from '../schemas/index.ts';
import { findAttemptResult } from '../src/db/attempts.ts';
import { getBlob, getDocument, markDocument } from '../src/db/documents.ts';
import { replacePages } from '../src/db/pages.ts';
import { findFinishedAttempt, insertFinishedAttempt } from '../src/db/paid-calls.ts';
import { decodeXml } from '../src/einvoice/xml.ts';
import { EXACT_TIER, looksLikeXml, readExact, scoreExact } from '../src/einvoice/exact-tier.ts';
import { originalsInMemory } from '../src/pdf/parse-pdf.ts';
import { findPdfHeader } from '../src/pdf/sniff.ts';
import { duplicateInvoiceCheck, findStoredCandidate, storeCandidate } from '../src/extraction/candidate.ts';
import { estimateTokens } from '../src/extraction/rules/tokens.ts';
import type { CheckResult } from '../src/validation/checks.ts';
import type { CandidateSummary, EInvoiceRead, EInvoiceScoreInput } from './types.ts';
import { activityContext, BAD_DOCUMENT, withHeartbeat, workflowRun, type ActivityDeps } from './support.ts';

/** What the exact tier stores as its attempt's result (jsonb, parsed where it is read). */
const ExactAttemptResult = z.object({
  fields: z.unknown(),
  checks: z.array(StoredCheck),
  syntax: z.string(),
  profile: z.string().nullable(),
  linesAbsent: z.string().nullable(),
  note: z.string(),
});
type ExactAttemptResult = z.infer<typeof ExactAttemptResult>;

/**
 * The exact e-invoice tier (route "xml", model "en16931", cost 0): an XML
 * e-invoice, or a PDF carrying one, read from its XML, checked by the
 * standard's rules, and (for a hybrid PDF) cross-checked with its page.
 */
export function createEInvoiceActivities(deps: ActivityDeps) {
  const { db, loadPages } = activityContext(deps);
  return {
    /**
     * Looks for an e-invoice in the document and reads it. `claimed`: the
     * document is an invoice read from its XML (the attempt is recorded, cost 0);
     * `absent` / `unreadable`: the text path reads it, and `note` says why. An
     * XML file that is not a readable invoice (a DTD, an entity bomb, malformed,
     * another kind of XML), or any XML while the tier is off, fails for good
     * with `BadDocument`.
     */
    async readEInvoice(documentId: string): Promise<EInvoiceRead> {
      const document = await getDocument(db, documentId);
      if (!document) throw ApplicationFailure.nonRetryable(`document ${documentId} does not exist`, BAD_DOCUMENT);
      await markDocument(db, documentId, { status: 'processing' });
      const size = Number(document.size_bytes);
      if (size > deps.config.limits.maxFileBytes) {
        // parseDocument refuses it with the size in its message.
        return { outcome: 'absent', container: 'other', attemptId: null, note: 'file too large to read' };
      }
      // Held until this read returns: the original is in memory only while a pdf.js thread can take it.
      using _turn = await withHeartbeat(() => originalsInMemory.acquire(size));
      const bytes = await getBlob(db, document.sha256);
      if (!bytes) throw ApplicationFailure.nonRetryable(`the original file of ${documentId} is missing`, BAD_DOCUMENT);
      const original: Uint8Array = bytes; // read only here: no copy
      if (!deps.config.einvoice.enabled) {
        const note = 'the exact e-invoice tier is off (DOCROUTE_EINVOICE=off)';
        if (findPdfHeader(original) < 0 && looksLikeXml(original)) {
          throw ApplicationFailure.nonRetryable(`${note}: an XML file has no page text to read`, BAD_DOCUMENT);
        }
        return { outcome: 'absent', container: 'other', attemptId: null, note };
      }

      const info = Context.current().info;
      const run = workflowRun();
      const key = { workflow_id: run.workflowId, run_id: run.runId, activity_id: info.activityId };
      const done = await findFinishedAttempt(db, key);
      if (done) {
        const result = ExactAttemptResult.parse(done.result);
        return { outcome: 'claimed', container: document.media_type === 'application/xml' ? 'xml' : 'pdf', attemptId: done.id, note: result.note };
      }

      const started = performance.now();
      const read = await withHeartbeat(() => readExact(original));
      if (read.outcome === 'refused') throw ApplicationFailure.nonRetryable(read.note, BAD_DOCUMENT);
      if (read.outcome !== 'read') return { outcome: read.outcome, container: read.container, attemptId: null, note: read.note };

      if (read.container === 'xml') {
        // The XML is the document's one page: what `show` and the review console display, and what evidence quotes.
        const text = decodeXml(original);
        await replacePages(db, documentId, [{ pageNumber: 1, text, imageOnly: false, tokenEstimate: estimateTokens(text) }]);
        await markDocument(db, documentId, {
          pageCount: 1,
          imageOnlyPages: [],
          tokenCount: estimateTokens(text),
          tokenCountEstimated: true,
          mediaType: 'application/xml',
        });
      }
      await markDocument(db, documentId, { kind: 'invoice' });
      const result: ExactAttemptResult = {
        fields: read.fields,
        checks: read.checks,
        syntax: read.syntax,
        profile: read.profile,
        linesAbsent: read.linesAbsent,
        note: read.note,
      };
      const attemptId = await insertFinishedAttempt(db, {
        document_id: documentId,
        ...key,
        activity_attempt: info.attempt,
        tier: EXACT_TIER.route,
        model: EXACT_TIER.model,
        chunk_index: null,
        page_from: 1,
        page_to: 1,
        prompt_version: null,
        prompt_hash: null,
        input_tokens: 0,
        output_tokens: 0,
        cached_tokens: 0,
        tokens_estimated: false,
        cost_usd: EXACT_TIER.costUsd,
        latency_ms: Math.round(performance.now() - started),
        outcome: 'ok',
        error: null,
        result: JSON.stringify(result),
      });
      if (!attemptId) throw ApplicationFailure.retryable('this attempt was already recorded by a concurrent delivery', 'TierError');
      return { outcome: 'claimed', container: read.container, attemptId, note: read.note };
    },

    /**
     * Scores the exact tier's reading into a candidate (stage "exact"): the
     * EN 16931 checks, the duplicate-invoice check, and for a hybrid PDF the
     * page-versus-XML cross-check (its pages must have been parsed). Idempotent
     * per workflow run.
     */
    async scoreEInvoice(input: EInvoiceScoreInput): Promise<CandidateSummary> {
      const run = workflowRun();
      const existing = await findStoredCandidate(db, { ...run, stage: 'exact' });
      if (existing) return existing;

      const stored = ExactAttemptResult.parse(await findAttemptResult(db, input.attemptId));
      const fields = InvoiceExtraction.parse(stored.fields);
      const pages = input.crossCheck ? await loadPages(input.documentId) : null;
      const extra: CheckResult[] = [];
      if (input.crossCheck && (pages === null || pages.every((p) => p.imageOnly || p.text.trim() === ''))) {
        extra.push({ name: 'page_matches_xml', passed: true, message: 'the PDF has no text layer to compare with its XML', fields: [] });
      }
      const duplicate = await duplicateInvoiceCheck(db, input.documentId, fields);
      if (duplicate) extra.push(duplicate.check);
      for (const problem of input.problems ?? []) extra.push({ name: 'page_matches_xml', passed: false, message: problem, fields: [] });
      const score = scoreExact({ fields, checks: stored.checks, linesAbsent: stored.linesAbsent }, pages, extra);
      const missingRequired = INVOICE_REQUIRED_FIELDS.filter((name) => score.fields[name].value === null);
      return storeCandidate(db, {
        documentId: input.documentId,
        workflowId: run.workflowId,
        runId: run.runId,
        activityId: Context.current().info.activityId,
        stage: 'exact',
        kind: 'invoice',
        fields: score.fields,
        confidence: score.confidence,
        checks: { checks: score.checks, ungrounded: [], missingRequired },
        attemptIds: [input.attemptId],
        possibleDuplicateOf: duplicate?.documentId ?? null,
      });
    },
  };
}
