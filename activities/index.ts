import { Context, ApplicationFailure } from '@temporalio/activity';
import { sql } from 'kysely';
import type { Config } from '../src/config/config.ts';
import { scrubSecrets, type Secret } from '../src/config/secret.ts';
import type { Db } from '../src/db/database.ts';
import { getBlob, getDocument, markDocument } from '../src/db/documents.ts';
import { insertContractVersion, insertInvoiceVersion } from '../src/db/records.ts';
import { classifyDocument } from '../src/classify/classify.ts';
import { assembleCandidate } from '../src/extraction/candidate.ts';
import { TierRejectedError, type ModelTier, type PageText } from '../src/extraction/model-tier.ts';
import { estimateTokens } from '../src/extraction/rules/tokens.ts';
import { parsePdf } from '../src/pdf/parse-pdf.ts';
import { PdfRejectedError } from '../src/pdf/pdf-errors.ts';
import { ContractExtraction, InvoiceExtraction, type TierName } from '../schemas/index.ts';
import type {
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
  config: Pick<Config, 'limits'>;
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

    async classifyDocument(documentId: string): Promise<Classification> {
      const pages = await loadPages(documentId);
      const result = classifyDocument(pages);
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
      const pageCount = (await getDocument(db, input.documentId))?.page_count ?? pages.length;
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
          tier.extract({ kind: input.kind, pages, pageCount, signal: Context.current().cancellationSignal }),
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
        const row = await db
          .insertInto('extraction_attempts')
          .values({
            ...base,
            prompt_version: null,
            prompt_hash: null,
            input_tokens: 0,
            output_tokens: 0,
            tokens_estimated: true,
            cost_usd: '0',
            latency_ms: Math.round(performance.now() - started),
            outcome: rejected ? 'invalid' : 'failed',
            error: message,
            result: null,
          })
          .onConflict((oc) => oc.columns(['workflow_id', 'run_id', 'activity_id', 'activity_attempt']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (rejected && row) return { attemptId: row.id, outcome: 'invalid', error: message };
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
        today: today(),
        pages: await loadPages(input.documentId),
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
