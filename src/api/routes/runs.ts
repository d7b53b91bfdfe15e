import { z } from 'zod';
import { rerunDocument } from '../../ingest/runs.ts';
import { BEARER, requireScope } from '../auth.ts';
import { HttpProblem, problems } from '../problem.ts';
import type { RouteModule } from '../types.ts';

const RunStarted = z
  .object({
    documentId: z.uuid(),
    workflowId: z.string(),
    runId: z.string(),
    runNumber: z.number().int().describe('1 for the first run, 2 for the next…'),
    previousRunId: z.string().nullable().describe('The run this one follows (see GET /v1/documents/:documentId/audit)'),
  })
  .meta({ id: 'RunStarted' });

/**
 * New runs of a document. `POST /v1/documents/:documentId/reprocess`: after a rule,
 * model or configuration change, a new run producing a new record version,
 * linked to the previous run in the audit trail. `POST /v1/documents/:documentId/retry`:
 * the same for a document that stalled, was cancelled or failed. A document in
 * review is cancelled first; one being processed is refused (409): never two
 * runs of one document at once.
 */
export const runRoutes: RouteModule = (app, deps) => {
  for (const reason of ['reprocess', 'retry'] as const) {
    app.post(
      `/v1/documents/:documentId/${reason}`,
      {
        preHandler: requireScope(deps.db, 'write'),
        schema: {
          tags: ['documents'],
          operationId: reason === 'reprocess' ? 'reprocessDocument' : 'retryDocument',
          summary: reason === 'reprocess' ? 'Process a document again (a new record version)' : 'Retry a stalled, cancelled or failed document',
          security: BEARER,
          params: z.object({ documentId: z.uuid().describe('The document id') }),
          response: { 202: RunStarted, ...problems(400, 401, 403, 404, 409, 429, 500) },
        },
      },
      async (request, reply) => {
        const outcome = await rerunDocument(deps, request.params.documentId, {
          reason,
          requestedBy: request.apiKey ? `key:${request.apiKey.name}` : null,
        });
        if (!outcome.ok) {
          if (outcome.code === 'not_found') throw new HttpProblem(404, 'Not found', outcome.message);
          throw new HttpProblem(409, outcome.code === 'busy' ? 'Run in progress' : 'Not retryable', outcome.message);
        }
        const { ok: _ok, ...started } = outcome;
        return reply.code(202).send(started);
      },
    );
  }
};
