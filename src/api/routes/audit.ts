import { getDocument } from '../../db/documents.ts';
import { z } from 'zod';
import { buildAuditTimeline } from '../../audit/timeline.ts';
import { BEARER, requireScope } from '../auth.ts';
import { HttpProblem, problems } from '../problem.ts';
import type { RouteModule } from '../types.ts';

const TimelineEntry = z
  .object({
    at: z.string(),
    step: z.enum([
      'received',
      'run',
      'parsed',
      'classified',
      'extraction_attempt',
      'routing_decision',
      'validation',
      'review',
      'record_version',
      'webhook_delivery',
      'finished',
    ]),
    summary: z.string(),
    details: z.record(z.string(), z.unknown()),
    eventId: z.number().int().nullable().describe('The workflow history event this step came from'),
  })
  .meta({ id: 'AuditEntry' });

/** `GET /v1/documents/:documentId/audit`: the document's timeline, each step linked to its workflow history event. */
export const auditRoutes: RouteModule = (app, deps) => {
  app.get(
    '/v1/documents/:documentId/audit',
    {
      preHandler: requireScope(deps.db, 'read'),
      schema: {
        tags: ['audit'],
        operationId: 'getDocumentAudit',
        summary: "A document's audit trail",
        description:
          'Received (hash, source), parsed (pages, tokens), each extraction attempt (tier, model, prompt version, tokens, cost, latency, outcome), ' +
          'each routing decision with its inputs and thresholds, validation results, review actions, and every record version ' +
          'with where each of its fields was read (details.evidence: the XML element path for an e-invoice value, the page and quote otherwise).',
        security: BEARER,
        params: z.object({ documentId: z.uuid().describe('The document id') }),
        response: {
          200: z.object({
            documentId: z.uuid(),
            workflowId: z.string(),
            status: z.string(),
            historyAvailable: z.boolean(),
            entries: z.array(TimelineEntry),
          }),
          ...problems(400, 401, 403, 404, 429, 500),
        },
      },
    },
    async (request) => {
      const doc = await getDocument(deps.db, request.params.documentId);
      if (!doc) throw new HttpProblem(404, 'Not found', `No document ${request.params.documentId}.`);
      return buildAuditTimeline(deps.db, deps.client, doc.id);
    },
  );
};
