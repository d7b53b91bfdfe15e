import { sql } from 'kysely';
import { z } from 'zod';
import { ContractCorrection, InvoiceCorrection } from '../../../schemas/index.ts';
import { reviewSignal } from '../../../workflows/signals.ts';
import { BEARER, requireScope } from '../auth.ts';
import { afterCursor, decodeCursor, orderModifier, sortValueText, toPage, type SortColumn } from '../pagination.ts';
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

const ReviewBody = z
  .discriminatedUnion('action', [
    z.object({
      action: z.literal('approve').describe('The candidate is right: it becomes the record'),
      reviewer: z.string().min(1).max(200).optional(),
      note: z.string().max(2000).optional(),
    }),
    z.object({
      action: z.literal('correct').describe('Corrected fields over the candidate: they become the record'),
      reviewer: z.string().min(1).max(200).optional(),
      note: z.string().max(2000).optional(),
      fields: z
        .record(z.string(), z.unknown())
        .describe('Field → corrected value; validated against InvoiceCorrection or ContractCorrection by the document kind'),
    }),
    z.object({
      action: z.literal('reject').describe('Not a valid document: it ends failed with the reason'),
      reviewer: z.string().min(1).max(200).optional(),
      note: z.string().min(1).max(2000).describe('Why it is rejected'),
    }),
  ])
  .meta({ id: 'ReviewDecision' });

const QUEUE_ORDER: SortColumn = { expr: sql.ref('documents.created_at'), type: 'timestamp' };

/**
 * The review queue. `GET /v1/review` lists documents waiting for a person, oldest
 * first, with the reasons and the models' candidate. `POST /v1/review/:id`
 * resolves one: the decision (validated here with the same schemas the record
 * uses) is sent to the document's waiting workflow as a Temporal signal; the
 * workflow writes the record (source: the reviewer) and the audit trail.
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
      let query = deps.db
        .selectFrom('documents')
        .select([
          'documents.id',
          'file_name',
          'kind',
          'review_reasons',
          'confidence',
          'route',
          'created_at',
          sortValueText(QUEUE_ORDER).as('sort_value'),
        ])
        .where('status', '=', 'needs_review');
      if (after) query = query.where(afterCursor(QUEUE_ORDER, sql.ref('documents.id'), 'asc', after));
      const rows = await query.orderBy(QUEUE_ORDER.expr, orderModifier('asc')).orderBy('documents.id', 'asc').limit(limit + 1).execute();
      const ids = rows.slice(0, limit).map((r) => r.id);
      const candidates =
        ids.length === 0
          ? []
          : await deps.db
              .selectFrom('candidates')
              .select(['document_id', 'stage', 'confidence', 'fields', 'created_at'])
              .where('document_id', 'in', ids)
              .orderBy('created_at', 'desc')
              .execute();
      const latest = new Map<string, (typeof candidates)[number]>();
      for (const c of candidates) if (!latest.has(c.document_id)) latest.set(c.document_id, c);
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
          candidate: c ? { stage: c.stage, confidence: Number(c.confidence), fields: c.fields as Record<string, unknown> } : null,
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
          202: z.object({ documentId: z.uuid(), accepted: z.literal(true) }).describe('Sent to the document; poll GET /v1/documents/:id'),
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
      const doc = await deps.db
        .selectFrom('documents')
        .select(['id', 'status', 'kind', 'workflow_id'])
        .where('id', '=', request.params.id)
        .executeTakeFirst();
      if (!doc) throw new HttpProblem(404, 'Not found', `No document ${request.params.id}.`);
      if (doc.status !== 'needs_review') {
        throw new HttpProblem(409, 'Not in review', `Document ${doc.id} is ${doc.status}, not waiting for review.`);
      }
      const body = request.body;
      const reviewer = body.reviewer ?? request.apiKey?.name ?? 'unknown';
      let corrections: Record<string, unknown> | undefined;
      if (body.action === 'correct') {
        if (doc.kind !== 'invoice' && doc.kind !== 'contract') {
          throw new HttpProblem(409, 'Not correctable', `Document ${doc.id} is not an invoice or a contract; approve or reject it.`);
        }
        const schema = doc.kind === 'invoice' ? InvoiceCorrection : ContractCorrection;
        const checked = schema.safeParse(body.fields);
        if (!checked.success) {
          throw new HttpProblem(
            400,
            'Invalid correction',
            checked.error.issues.map((i) => `fields.${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
          );
        }
        corrections = checked.data;
      }
      if (body.action === 'approve') {
        const candidate = await deps.db.selectFrom('candidates').select('id').where('document_id', '=', doc.id).limit(1).executeTakeFirst();
        if (!candidate) throw new HttpProblem(409, 'Nothing to approve', 'The models produced no candidate for this document; correct or reject it.');
      }
      await deps.client.workflow.getHandle(doc.workflow_id).signal(reviewSignal, {
        reviewer,
        action: body.action,
        ...(corrections ? { corrections } : {}),
        ...(body.note ? { note: body.note } : {}),
      });
      return reply.code(202).send({ documentId: doc.id, accepted: true as const });
    },
  );
};
