import { z } from 'zod';
import { submitReview } from '../../review/submit.ts';
import { BEARER, requireScope } from '../auth.ts';
import { findLatestCandidates } from '../../db/candidates.ts';
import { findReviewPage } from '../../db/review-queue.ts';
import { decodeCursor, toPage } from '../pagination.ts';
import { HttpProblem, problems } from '../problem.ts';
import { CursorParam, LimitParam, ReviewReason } from '../schemas.ts';
import { reviewReasonsInWords } from '../../review/reasons.ts';
import type { RouteModule } from '../types.ts';

const ReviewItem = z
  .object({
    documentId: z.uuid(),
    fileName: z.string().describe('The name the file was uploaded with (a label only)'),
    kind: z.enum(['invoice', 'contract', 'other']).nullable(),
    reasons: z.array(z.string()).describe('Why the document is in review, as routing recorded it (a failed check by its code)'),
    reasonsInWords: z.array(ReviewReason).describe('The same reasons in words, in the same order: a failed check by its message, with the values involved'),
    confidence: z.number().nullable(),
    route: z.array(z.string()),
    createdAt: z.string(),
    candidate: z
      .object({ stage: z.string(), confidence: z.number(), fields: z.record(z.string(), z.unknown()) })
      .nullable()
      .describe('What the models extracted, with evidence: the starting point for a correction'),
  })
  .meta({ id: 'ReviewItem' });

const Note = z.string().max(2000);
const Confirm = z
  .record(z.string().min(1).max(100), z.string().min(1).max(2000))
  .describe('Failing checks confirmed as they are, each with the reason: { "iban_checksum": "verified with the supplier" }');

// Each variant is a named component with a title, so that the documentation (Swagger UI,
// generated clients) shows "Approve | Correct | Reject", not three anonymous objects.
const ReviewApprove = z
  .object({
    action: z.literal('approve'),
    note: Note.optional().describe('Recorded with the decision'),
  })
  .meta({ id: 'ReviewApprove', title: 'Approve', description: 'The candidate is right: it becomes the record' });

const ReviewCorrect = z
  .object({
    action: z.literal('correct'),
    note: Note.optional().describe('Recorded with the decision'),
    fields: z.record(z.string(), z.unknown()).meta({
      description:
        'Field → corrected value, over the candidate; null clears a value. An InvoiceCorrection for an invoice, a ContractCorrection for a contract (checked by the document\'s kind: 409 otherwise)',
      // Documentation of what the kind-dependent check accepts (validated in submitReview, by kind).
      anyOf: [{ $ref: '#/components/schemas/InvoiceCorrectionInput' }, { $ref: '#/components/schemas/ContractCorrectionInput' }],
    }),
    confirm: Confirm.optional(),
  })
  .meta({
    id: 'ReviewCorrect',
    title: 'Correct',
    description: 'Corrected fields over the candidate: they become the record once its checks pass or are confirmed',
  });

const ReviewReject = z
  .object({
    action: z.literal('reject'),
    note: Note.min(1).describe('Why it is rejected (required)'),
  })
  .meta({ id: 'ReviewReject', title: 'Reject', description: 'Not a valid document: it ends failed with the reason' });

const ReviewBody = z
  .discriminatedUnion('action', [ReviewApprove, ReviewCorrect, ReviewReject])
  .meta({ id: 'ReviewDecision', title: 'Review decision', description: 'Approve, correct or reject, by `action`' });

/** One example per action, for the documentation's example picker. */
const REVIEW_EXAMPLES = {
  approve: { summary: 'Approve the candidate as it is', value: { action: 'approve', note: 'checked against the PDF' } },
  correct: {
    summary: 'Correct fields (and confirm a failing check)',
    value: {
      action: 'correct',
      fields: { invoiceNumber: '15-00371', issueDate: '2015-03-02', total: '1234.50', currency: 'EUR' },
      confirm: { iban_checksum: 'verified with the supplier by phone' },
      note: 'invoice number was misread',
    },
  },
  reject: { summary: 'Reject: not a valid document', value: { action: 'reject', note: 'a delivery note, not an invoice' } },
} satisfies Record<z.infer<typeof ReviewBody>['action'], { summary: string; value: z.input<typeof ReviewBody> }>;

const ReviewApplied = z
  .object({
    documentId: z.uuid(),
    status: z.enum(['extracted', 'failed']),
    record: z.object({ id: z.uuid(), version: z.number().int() }).nullable().describe('The record version the decision wrote'),
    reasons: z.array(z.string()).describe('Reasons of the final state (e.g. checks confirmed in review)'),
    error: z.string().nullable(),
  })
  .meta({ id: 'ReviewApplied' });

/**
 * The review queue. `GET /v1/review` lists documents waiting for a person, oldest
 * first, with the reasons and the models' candidate. `POST /v1/review/:documentId`
 * resolves one through submitReview: the decision goes to the document's waiting
 * workflow as a Temporal Update; 200 with the new record version, or 409 with the
 * reason it was refused (not in review, already decided, invalid, or checks that
 * fail on the corrected record). The reviewer is the authenticated API key.
 */
export const reviewRoutes: RouteModule = (app, deps) => {
  app.get(
    '/v1/review',
    {
      preHandler: requireScope(deps.db, 'review'),
      schema: {
        tags: ['review'],
        operationId: 'listReviewQueue',
        summary: 'The review queue, oldest first',
        security: BEARER,
        querystring: z.object({ limit: LimitParam, cursor: CursorParam.optional() }),
        response: {
          200: z.object({ items: z.array(ReviewItem), nextCursor: z.string().nullable() }),
          ...problems(400, 401, 403, 429, 500),
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const after = cursor ? decodeCursor(cursor, { scope: 'review', sort: 'createdAt', type: 'timestamp' }) : null;
      const rows = await findReviewPage(deps.db, limit + 1, after);
      const latest = await findLatestCandidates(deps.db, rows.slice(0, limit).map((r) => r.id));
      return toPage(rows, limit, { scope: 'review', sort: 'createdAt' }, (r) => {
        const c = latest.get(r.id);
        return {
          documentId: r.id,
          fileName: r.file_name,
          kind: r.kind,
          reasons: r.review_reasons,
          reasonsInWords: reviewReasonsInWords(r.review_reasons, c?.checks ?? []),
          confidence: r.confidence === null ? null : Number(r.confidence),
          route: r.route,
          createdAt: r.created_at.toISOString(),
          candidate: c ? { stage: c.stage, confidence: Number(c.confidence), fields: c.fields } : null,
        };
      });
    },
  );

  app.post(
    '/v1/review/:documentId',
    {
      preHandler: requireScope(deps.db, 'review'),
      schema: {
        tags: ['review'],
        operationId: 'decideReview',
        summary: 'Resolve a document in review: approve, correct or reject',
        security: BEARER,
        params: z.object({ documentId: z.uuid().describe('The document in review') }),
        body: ReviewBody,
        bodyExamples: REVIEW_EXAMPLES,
        response: {
          200: ReviewApplied.describe('Applied: the new record version (or the rejection)'),
          202: z
            .object({ documentId: z.uuid(), accepted: z.literal(true) })
            .describe('A document started before review by Update: sent to it, applied asynchronously; poll GET /v1/documents/{documentId}'),
          ...problems(400, 401, 403, 404, 409, 429, 500),
        },
      },
    },
    async (request, reply) => {
      const key = request.apiKey;
      const outcome = await submitReview(deps, {
        documentId: request.params.documentId,
        decision: request.body,
        reviewer: { name: key?.name ?? 'unknown', keyId: key?.id ?? null },
      });
      if (!outcome.ok) {
        if (outcome.code === 'not_found') throw new HttpProblem(404, 'Not found', outcome.message);
        const title = { not_in_review: 'Not in review', invalid: 'Invalid decision', refused: 'Decision refused', checks_failed: 'Checks fail' }[outcome.code];
        const checks = outcome.failedChecks?.map((c) => `${c.name}: ${c.message}`).join('; ');
        throw new HttpProblem(409, title, checks ? `${outcome.message}. Failing: ${checks}` : outcome.message);
      }
      if (outcome.status === 'accepted') return reply.code(202).send({ documentId: outcome.documentId, accepted: true as const });
      return reply.code(200).send({
        documentId: outcome.documentId,
        status: outcome.status,
        record: outcome.record,
        reasons: outcome.reasons,
        error: outcome.error,
      });
    },
  );
};
