import { z } from 'zod';
import { rerunDocument } from '../../ingest/runs.ts';
import { BEARER, requireScope } from '../auth.ts';
import { HttpProblem, Problem } from '../problem.ts';
import type { RouteModule } from '../types.ts';

const RunStarted = z
  .object({
    documentId: z.uuid(),
    workflowId: z.string(),
    runId: z.string(),
    runNumber: z.number().int().describe('1 for the first run, 2 for the next…'),
    previousRunId: z.string().nullable().describe('The run this one follows (see GET /v1/documents/:id/audit)'),
  })
  .meta({ id: 'RunStarted' });

/**
 * New runs of a document. `POST /v1/documents/:id/reprocess`: after a rule,
 * model or configuration change, a new run producing a new record version,
 * linked to the previous run in the audit trail. `POST /v1/documents/:id/retry`:
 * the same for a document that stalled, was cancelled or failed. A document in
 * review is cancelled first; one being processed is refused (409): never two
 * runs of one document at once.
 */
export const runRoutes: RouteModule = (app, deps) => {
  for (const reason of ['reprocess', 'retry'] as const) {
    app.post(
      `/v1/documents/:id/${reason}`,
      {
        preHandler: requireScope(deps.db, 'write'),
        schema: {
          tags: ['documents'],
          summary: reason === 'reprocess' ? 'Process a document again (a new record version)' : 'Retry a stalled, cancelled or failed document',
          security: BEARER,
          params: z.object({ id: z.uuid() }),
          response: { 202: RunStarted, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 429: Problem },
        },
      },
      async (request, reply) => {
        const outcome = await rerunDocument(deps, request.params.id, {
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
