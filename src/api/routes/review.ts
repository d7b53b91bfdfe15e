import { z } from 'zod';
import { submitReview } from '../../review/submit.ts';
import { BEARER, requireScope } from '../auth.ts';
import { findLatestCandidates } from '../../db/candidates.ts';
import { findReviewPage } from '../../db/review-queue.ts';
import { decodeCursor, toPage } from '../pagination.ts';
import { HttpProblem, Problem } from '../problem.ts';
import { CursorParam, LimitParam } from '../schemas.ts';
import type { RouteModule } from '../types.ts';

const ReviewItem = z
  .object({
    documentId: z.uuid(),
    file: z.string(),
    kind: z.enum(['invoice', 'contract', 'other']).nullable(),
    reasons: z.array(z.string()).describe('Why the document is in review'),
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

const ReviewBody = z
  .discriminatedUnion('action', [
    z.object({
      action: z.literal('approve').describe('The candidate is right: it becomes the record'),
      note: Note.optional(),
    }),
    z.object({
      action: z.literal('correct').describe('Corrected fields over the candidate: they become the record once its checks pass or are confirmed'),
      note: Note.optional(),
      fields: z
        .record(z.string(), z.unknown())
        .describe('Field → corrected value; validated against InvoiceCorrection or ContractCorrection by the document kind'),
      confirm: Confirm.optional(),
    }),
    z.object({
      action: z.literal('reject').describe('Not a valid document: it ends failed with the reason'),
      note: Note.min(1).describe('Why it is rejected'),
    }),
  ])
  .meta({ id: 'ReviewDecision' });

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
 * first, with the reasons and the models' candidate. `POST /v1/review/:id`
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
        summary: 'The review queue, oldest first',
        security: BEARER,
        querystring: z.object({ limit: LimitParam, cursor: CursorParam.optional() }),
        response: {
          200: z.object({ items: z.array(ReviewItem), nextCursor: z.string().nullable() }),
          400: Problem,
          401: Problem,
          403: Problem,
          429: Problem,
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
          file: r.file_name,
          kind: r.kind,
          reasons: r.review_reasons,
          confidence: r.confidence === null ? null : Number(r.confidence),
          route: r.route,
          createdAt: r.created_at.toISOString(),
          candidate: c ? { stage: c.stage, confidence: Number(c.confidence), fields: c.fields } : null,
        };
      });
    },
  );

  app.post(
    '/v1/review/:id',
    {
      preHandler: requireScope(deps.db, 'review'),
      schema: {
        tags: ['review'],
        summary: 'Resolve a document in review: approve, correct or reject',
        security: BEARER,
        params: z.object({ id: z.uuid() }),
        body: ReviewBody,
        response: {
          200: ReviewApplied.describe('Applied: the new record version (or the rejection)'),
          202: z
            .object({ documentId: z.uuid(), accepted: z.literal(true) })
            .describe('A document started before review by Update: sent to it, applied asynchronously; poll GET /v1/documents/:id'),
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
          409: Problem,
          429: Problem,
        },
      },
    },
    async (request, reply) => {
      const key = request.apiKey;
      const outcome = await submitReview(deps, {
        documentId: request.params.id,
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
