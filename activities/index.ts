import { Context, ApplicationFailure } from '@temporalio/activity';
import { sql } from 'kysely';
import type { Config } from '../src/config/config.ts';
import { scrubSecrets, type Secret } from '../src/config/secret.ts';
import type { Db } from '../src/db/database.ts';
import { getBlob, getDocument, markDocument } from '../src/db/documents.ts';
import { insertContractVersion, insertInvoiceVersion } from '../src/db/records.ts';
import { classifyDocument } from '../src/classify/classify.ts';
import { assembleCandidate } from '../src/extraction/candidate.ts';
import { TierRejectedError, type ModelTier, type PageImage, type PageText, type Usage } from '../src/extraction/model-tier.ts';
import { estimateTokens } from '../src/extraction/rules/tokens.ts';
import { parsePdf } from '../src/pdf/parse-pdf.ts';
import { PdfRejectedError } from '../src/pdf/pdf-errors.ts';
import { ContractExtraction, InvoiceExtraction, type TierName } from '../schemas/index.ts';
import { costOf } from '../src/costs/prices.ts';
import {
  escalationFields,
  expectedEscalationUsage,
  planEscalationPages,
  toRanges,
  type EscalationField,
} from '../src/extraction/escalation.ts';
import { renderPages } from '../src/pdf/render-pages.ts';
import { applyCorrections, type FieldChange } from '../src/review/corrections.ts';
import type {
  ApplyReviewInput,
  ReviewOutcome,
  EscalationInput,
  EscalationPlan,
  CandidateInput,
  CandidateSummary,
  Classification,
  ExtractInput,
  ExtractOutcome,
  FinishInput,
  ParsedSummary,
  RoutingRecord,
  TierInfo,
} from './types.ts';

export type * from './types.ts';

/** Error types the workflow and retry policies know: bad input is final, retrying cannot help. */
export const BAD_DOCUMENT = 'BadDocument';

export interface ActivityDeps {
  db: Db;
  tiers: { fast: ModelTier; deep: ModelTier | null };
  config: Pick<Config, 'limits' | 'prices'>;
  /** Secrets that must never appear in stored errors. */
  secrets?: readonly (Secret | undefined)[];
  /** Today's date (YYYY-MM-DD) for date plausibility checks; injectable for tests. */
  today?: () => string;
}

/**
 * The activities of the extraction workflow. Each is a plain async function over
 * the dependencies given here; the workflow calls them by name through
 * `proxyActivities<Activities>`.
 */
export function createActivities(deps: ActivityDeps) {
  const { db } = deps;
  const today = deps.today ?? (() => new Date().toISOString().slice(0, 10));
  const scrub = (message: string) => scrubSecrets(message, deps.secrets ?? []);
  const tierFor = (name: TierName): ModelTier => {
    const tier = name === 'flash' ? deps.tiers.fast : deps.tiers.deep;
    if (!tier) throw ApplicationFailure.nonRetryable(`the ${name} tier is not configured`, 'TierUnavailable');
    return tier;
  };

  async function loadPages(documentId: string, range?: { from: number; to: number }): Promise<PageText[]> {
    let query = db
      .selectFrom('pages')
      .select(['page_number', 'text', 'image_only'])
      .where('document_id', '=', documentId);
    if (range) query = query.where('page_number', '>=', range.from).where('page_number', '<=', range.to);
    const rows = await query.orderBy('page_number').execute();
    return rows.map((r) => ({ pageNumber: r.page_number, text: r.text, imageOnly: r.image_only }));
  }

  return {
    /** What the worker's tiers can do; the workflow routes on it. */
    async describeTiers(): Promise<TierInfo> {
      return {
        fastModel: deps.tiers.fast.model,
        deepModel: deps.tiers.deep?.model ?? null,
        deepAvailable: deps.tiers.deep !== null,
        fastReadsImages: deps.tiers.fast.readsImages,
        deepReadsImages: deps.tiers.deep?.readsImages ?? false,
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
      const bytes = await getBlob(db, document.sha256);
      if (!bytes) throw ApplicationFailure.nonRetryable(`the original file of ${documentId} is missing`, BAD_DOCUMENT);
      let parsed;
      try {
        parsed = await withHeartbeat(() => parsePdf(new Uint8Array(bytes), { maxPages: deps.config.limits.maxPages }));
      } catch (error) {
        if (error instanceof PdfRejectedError) throw ApplicationFailure.nonRetryable(error.message, BAD_DOCUMENT);
        throw error;
      }
      const pageTokens = parsed.pages.map((p) => estimateTokens(p.text));
      await db.transaction().execute(async (trx) => {
        // A retried parse replaces what an interrupted one wrote.
        await trx.deleteFrom('pages').where('document_id', '=', documentId).execute();
        if (parsed.pages.length > 0) {
          await trx
            .insertInto('pages')
            .values(
              parsed.pages.map((p, i) => ({
                document_id: documentId,
                page_number: p.pageNumber,
                text: p.text,
                image_only: p.imageOnly,
                token_estimate: pageTokens[i] ?? 0,
              })),
            )
            .execute();
        }
      });
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
     * Classifies from the text; a scan (no text to go by) is shown to the fast
     * tier as page images when it reads images. That model call is recorded
     * like any other attempt (its cost counts).
     */
    async classifyDocument(documentId: string): Promise<Classification> {
      const pages = await loadPages(documentId);
      let result: Classification = classifyDocument(pages);
      const scanned = pages.filter((p) => p.imageOnly).map((p) => p.pageNumber);
      const classify = deps.tiers.fast.classify?.bind(deps.tiers.fast);
      const document = await getDocument(db, documentId);
      if (result.kind === 'other' && scanned.length > 0 && classify && document) {
        const bytes = await getBlob(db, document.sha256);
        if (bytes) {
          const run = workflowRun();
          const started = performance.now();
          const images = await withHeartbeat(() => renderPages(new Uint8Array(bytes), scanned.slice(0, 2), { maxSide: 1024 }));
          const answer = await withHeartbeat(() => classify({ images, signal: Context.current().cancellationSignal }));
          await db
            .insertInto('extraction_attempts')
            .values({
              document_id: documentId,
              workflow_id: run.workflowId,
              run_id: run.runId,
              activity_id: Context.current().info.activityId,
              activity_attempt: Context.current().info.attempt,
              tier: deps.tiers.fast.tier,
              model: answer.model,
              prompt_version: answer.promptVersion,
              prompt_hash: answer.promptHash,
              chunk_index: null,
              page_from: scanned[0] ?? 1,
              page_to: scanned[Math.min(1, scanned.length - 1)] ?? 1,
              input_tokens: answer.usage.inputTokens,
              output_tokens: answer.usage.outputTokens,
              cached_tokens: answer.usage.cachedTokens,
              tokens_estimated: answer.usage.estimated,
              cost_usd: answer.costUsd,
              latency_ms: Math.round(performance.now() - started),
              outcome: 'ok',
              error: null,
              result: JSON.stringify({ classification: answer.kind }),
            })
            .onConflict((oc) => oc.columns(['workflow_id', 'run_id', 'activity_id', 'activity_attempt']).doNothing())
            .execute();
          result = { kind: answer.kind, confidence: answer.kind === 'other' ? 0.5 : 0.7 };
        }
      }
      await markDocument(db, documentId, { kind: result.kind });
      return { kind: result.kind, confidence: result.confidence };
    },

    /**
     * Runs one tier over a page range and records the attempt (model, tokens,
     * cost, latency, outcome, result). Output that cannot be made valid is an
     * `invalid` outcome, not an exception; transient errors are recorded and
     * rethrown so Temporal retries them.
     */
    async extractWithTier(input: ExtractInput): Promise<ExtractOutcome> {
      const info = Context.current().info;
      const run = workflowRun();
      const key = { workflow_id: run.workflowId, run_id: run.runId, activity_id: info.activityId };
      // A previous attempt of this very activity may have succeeded before a crash lost its completion.
      const done = await db
        .selectFrom('extraction_attempts')
        .select(['id', 'outcome', 'error'])
        .where('workflow_id', '=', key.workflow_id)
        .where('run_id', '=', key.run_id)
        .where('activity_id', '=', key.activity_id)
        .where('outcome', 'in', ['ok', 'invalid'])
        .executeTakeFirst();
      if (done) return { attemptId: done.id, outcome: done.outcome as 'ok' | 'invalid', error: done.error };

      const tier = tierFor(input.tier);
      const pages = await loadPages(input.documentId, { from: input.pageFrom, to: input.pageTo });
      const document = await getDocument(db, input.documentId);
      const pageCount = document?.page_count ?? pages.length;
      // Scanned pages go to a tier that reads images as rendered pictures.
      const scanned = pages.filter((p) => p.imageOnly).map((p) => p.pageNumber);
      let images: PageImage[] = [];
      if (tier.readsImages && scanned.length > 0 && document) {
        const bytes = await getBlob(db, document.sha256);
        if (bytes) images = await withHeartbeat(() => renderPages(new Uint8Array(bytes), scanned, { maxSide: 1024 }));
      }
      const started = performance.now();
      const base = {
        document_id: input.documentId,
        ...key,
        activity_attempt: info.attempt,
        tier: input.tier,
        model: tier.model,
        chunk_index: input.chunkIndex,
        page_from: input.pageFrom,
        page_to: input.pageTo,
      };
      try {
        const result = await withHeartbeat(() =>
          tier.extract({
            kind: input.kind,
            pages,
            pageCount,
            images,
            ...(input.focusFields?.length ? { focusFields: input.focusFields } : {}),
            signal: Context.current().cancellationSignal,
          }),
        );
        // Never trust a tier's output shape: validate with the same schema the record uses.
        const schema = input.kind === 'invoice' ? InvoiceExtraction : ContractExtraction;
        const checked = schema.safeParse(result.fields);
        const outcome = checked.success ? 'ok' : 'invalid';
        const error = checked.success
          ? null
          : `output failed schema validation: ${checked.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
        const row = await db
          .insertInto('extraction_attempts')
          .values({
            ...base,
            prompt_version: result.promptVersion,
            prompt_hash: result.promptHash,
            input_tokens: result.usage.inputTokens,
            output_tokens: result.usage.outputTokens,
            cached_tokens: result.usage.cachedTokens,
            tokens_estimated: result.usage.estimated,
            cost_usd: result.costUsd,
            latency_ms: Math.round(performance.now() - started),
            outcome,
            error,
            result: checked.success ? JSON.stringify(checked.data) : null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return { attemptId: row.id, outcome, error };
      } catch (error) {
        const message = scrub(error instanceof Error ? error.message : String(error));
        const rejected = error instanceof TierRejectedError;
        // A rejected answer was still paid for: record what it cost.
        const spent = error as { usage?: Usage; costUsd?: string };
        const row = await db
          .insertInto('extraction_attempts')
          .values({
            ...base,
            prompt_version: null,
            prompt_hash: null,
            input_tokens: spent.usage?.inputTokens ?? 0,
            output_tokens: spent.usage?.outputTokens ?? 0,
            cached_tokens: spent.usage?.cachedTokens ?? 0,
            tokens_estimated: spent.usage?.estimated ?? true,
            cost_usd: spent.costUsd ?? '0',
            latency_ms: Math.round(performance.now() - started),
            outcome: rejected ? 'invalid' : 'failed',
            error: message,
            result: null,
          })
          .onConflict((oc) => oc.columns(['workflow_id', 'run_id', 'activity_id', 'activity_attempt']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (rejected && row) return { attemptId: row.id, outcome: 'invalid', error: message };
        // Refused for good (bad key, no access, unknown model): retrying cannot help.
        if ((error as { retryable?: boolean }).retryable === false) throw ApplicationFailure.nonRetryable(message, 'TierRefused');
        // The tier's client already retried with backoff (honouring the server's hints); Temporal
        // retrying on top would multiply those attempts. Worker crashes and timeouts are still retried.
        if (typeof (error as { attempts?: unknown }).attempts === 'number') {
          throw ApplicationFailure.nonRetryable(message, 'TierExhausted');
        }
        throw ApplicationFailure.retryable(message, 'TierError');
      }
    },

    /**
     * Merges the attempts' results, checks them against the document's text
     * (grounding), validates them (arithmetic, dates, IBAN, duplicates), and
     * stores the scored candidate. Idempotent per workflow run and stage.
     */
    async buildCandidate(input: CandidateInput): Promise<CandidateSummary> {
      const run = workflowRun();
      return assembleCandidate(db, {
        ...input,
        workflowId: run.workflowId,
        runId: run.runId,
        activityId: Context.current().info.activityId,
        today: today(),
        pages: await loadPages(input.documentId),
      });
    },

    /**
     * What to send to the deep tier: only what failed. The fast tier's failed
     * chunks, and for each field that is missing, not found on its page, or part
     * of a failed check, the page its evidence cites (the first and last pages,
     * where headers and totals usually are, for a field with no evidence). With
     * no candidate, the whole document. Also prices the call, so the workflow
     * can hold it against the document's budget.
     */
    async planEscalation(input: EscalationInput): Promise<EscalationPlan> {
      const deep = tierFor('pro');
      const pages = await db
        .selectFrom('pages')
        .select(['page_number', 'token_estimate', 'image_only'])
        .where('document_id', '=', input.documentId)
        .orderBy('page_number')
        .execute();
      let problems: EscalationField[] = [];
      if (input.candidateId !== null) {
        const candidate = await db
          .selectFrom('candidates')
          .select(['fields', 'checks', 'kind'])
          .where('id', '=', input.candidateId)
          .executeTakeFirstOrThrow();
        problems = escalationFields(candidate.kind, candidate.fields, candidate.checks, input.minConfidence);
      }
      const pageNumbers = pages.map((p) => p.page_number);
      const { ranges, focusFields } =
        input.candidateId === null
          ? { ranges: toRanges(pageNumbers), focusFields: [] }
          : planEscalationPages(problems, input.failedRanges, pageNumbers);
      const estimated = costOf(
        deps.config.prices,
        deep.model,
        expectedEscalationUsage(
          ranges,
          pages.map((p) => ({ pageNumber: p.page_number, tokens: p.token_estimate, imageOnly: p.image_only })),
        ),
      );
      const spent = await db
        .selectFrom('extraction_attempts')
        .select((eb) => eb.fn.sum<string | null>('cost_usd').as('total'))
        .where('document_id', '=', input.documentId)
        .executeTakeFirst();
      return { ranges, focusFields, estimatedCostUsd: Number(estimated), spentUsd: Number(spent?.total ?? 0) };
    },

    /**
     * A reviewer's decision, in one transaction: approve (the candidate becomes the
     * record), correct (the corrected fields, at confidence 1, over the candidate),
     * or reject (the document ends failed with the reviewer's reason). The record
     * is a new version whose source names the reviewer; the review trail keeps who
     * changed what. Idempotent per workflow run.
     */
    async applyReview(input: ApplyReviewInput): Promise<ReviewOutcome> {
      const run = workflowRun();
      return db.transaction().execute(async (trx) => {
        const done = await trx
          .selectFrom('review_actions')
          .select(['record_id', 'action', 'note', 'reviewer'])
          .where('workflow_id', '=', run.workflowId)
          .where('run_id', '=', run.runId)
          .executeTakeFirst();
        const decision = input.decision;
        if (done) {
          return done.action === 'reject'
            ? { status: 'failed', confidence: null, recordId: null, error: rejection(done.reviewer, done.note) }
            : { status: 'extracted', confidence: 1, recordId: done.record_id, error: null };
        }
        const candidate = input.candidateId
          ? await trx.selectFrom('candidates').select(['fields']).where('id', '=', input.candidateId).executeTakeFirst()
          : undefined;
        const kind = input.kind === 'invoice' || input.kind === 'contract' ? input.kind : null;
        let recordId: string | null = null;
        let changes: FieldChange[] = [];
        if (decision.action !== 'reject') {
          if (!kind) throw ApplicationFailure.nonRetryable('only an invoice or a contract can be approved or corrected', 'BadReview');
          if (decision.action === 'approve' && !candidate) {
            throw ApplicationFailure.nonRetryable('there is no extracted candidate to approve; send corrections', 'BadReview');
          }
          const applied = applyCorrections(kind, candidate?.fields ?? null, decision.action === 'correct' ? decision.corrections ?? {} : {});
          changes = applied.changes;
          const provenance = {
            documentId: input.documentId,
            candidateId: input.candidateId,
            workflowId: run.workflowId,
            runId: run.runId,
            source: `reviewer:${decision.reviewer}`,
            confidence: 1,
            tier: 'reviewer',
            activityId: Context.current().info.activityId,
          };
          recordId =
            kind === 'invoice'
              ? (await insertInvoiceVersion(trx, InvoiceExtraction.parse(applied.fields), provenance, null)).id
              : (await insertContractVersion(trx, ContractExtraction.parse(applied.fields), provenance)).id;
        }
        await trx
          .insertInto('review_actions')
          .values({
            document_id: input.documentId,
            workflow_id: run.workflowId,
            run_id: run.runId,
            activity_id: Context.current().info.activityId,
            reviewer: decision.reviewer,
            action: decision.action,
            changes: JSON.stringify(changes),
            note: decision.note ?? null,
            record_id: recordId,
          })
          .execute();
        const rejected = decision.action === 'reject';
        const error = rejected ? rejection(decision.reviewer, decision.note ?? null) : null;
        await trx
          .updateTable('documents')
          .set({
            status: rejected ? 'failed' : 'extracted',
            error,
            review_reasons: [],
            confidence: rejected ? null : '1.0000',
            updated_at: sql`now()`,
          })
          .where('id', '=', input.documentId)
          .execute();
        return rejected
          ? { status: 'failed', confidence: null, recordId: null, error }
          : { status: 'extracted', confidence: 1, recordId, error: null };
      });
    },

    async recordRouting(decision: RoutingRecord): Promise<void> {
      const run = workflowRun();
      await db
        .insertInto('routing_decisions')
        .values({
          document_id: decision.documentId,
          workflow_id: run.workflowId,
          run_id: run.runId,
          activity_id: Context.current().info.activityId,
          sequence: decision.sequence,
          stage: decision.stage,
          action: decision.action,
          reason: decision.reasons.join('; '),
          inputs: JSON.stringify(decision.inputs),
        })
        .onConflict((oc) => oc.constraint('routing_decisions_step_uq').doNothing())
        .execute();
    },

    /**
     * The last step, in one transaction: the record version (for an extracted
     * document) and the document's final status, route, confidence and reasons.
     * Idempotent: a record already written for this candidate is not written again.
     */
    async finishDocument(input: FinishInput): Promise<void> {
      const run = workflowRun();
      await db.transaction().execute(async (trx) => {
        let confidence: number | null = null;
        if (input.candidateId) {
          const candidate = await trx
            .selectFrom('candidates')
            .select(['kind', 'fields', 'confidence', 'possible_duplicate_of'])
            .where('id', '=', input.candidateId)
            .executeTakeFirstOrThrow();
          confidence = Number(candidate.confidence);
          if (input.status === 'extracted') {
            const table = candidate.kind === 'invoice' ? 'invoices' : 'contracts';
            const existing = await trx
              .selectFrom(table)
              .select('id')
              .where('candidate_id', '=', input.candidateId)
              .executeTakeFirst();
            if (!existing) {
              const provenance = {
                documentId: input.documentId,
                candidateId: input.candidateId,
                workflowId: run.workflowId,
                runId: run.runId,
                source: `model:${input.route.join('+')}`,
                confidence,
                tier: input.route[input.route.length - 1] ?? null,
                activityId: Context.current().info.activityId,
              };
              if (candidate.kind === 'invoice') {
                const fields = InvoiceExtraction.parse(candidate.fields);
                await insertInvoiceVersion(trx, fields, provenance, candidate.possible_duplicate_of);
              } else {
                await insertContractVersion(trx, ContractExtraction.parse(candidate.fields), provenance);
              }
            }
          }
        }
        await trx
          .updateTable('documents')
          .set({
            status: input.status,
            kind: input.kind,
            route: input.route,
            review_reasons: input.status === 'needs_review' ? input.reasons : [],
            error: input.error === null ? null : scrub(input.error),
            confidence: confidence === null ? null : confidence.toFixed(4),
            updated_at: sql`now()`,
          })
          .where('id', '=', input.documentId)
          .execute();
      });
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

function rejection(reviewer: string, note: string | null): string {
  return `rejected in review by ${reviewer}${note ? `: ${note}` : ''}`;
}

/**
 * Heartbeats while `work` runs, so that a worker that dies mid-call is noticed
 * within the heartbeat timeout and the activity retried elsewhere, instead of
 * waiting out the whole start-to-close timeout.
 */
async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), 5_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** The workflow run the current activity belongs to (every docroute activity runs in one). */
function workflowRun(): { workflowId: string; runId: string } {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw ApplicationFailure.nonRetryable('docroute activities run only inside a workflow', 'Misuse');
  return execution;
}
