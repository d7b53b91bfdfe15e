import { z } from 'zod';
import { pingDatabase } from '../../db/database.ts';
import { problems, sendProblem } from '../problem.ts';
import type { RouteModule } from '../types.ts';

/** How long /readyz waits for a dependency before calling it down. */
const CHECK_TIMEOUT_MS = 3000;

const Health = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
const DependencyState = z.enum(['up', 'down']);
const Ready = z
  .object({
    status: z.literal('ready'),
    checks: z.object({ database: DependencyState, temporal: DependencyState }),
  })
  .meta({ id: 'Readiness' });

/** Resolves to true when `check` answers true within the timeout; never throws. */
async function within(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check().catch(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Liveness and readiness for orchestrators and load balancers. No key needed and
 * no rate limit (they are outside /v1): they reveal only whether the process and
 * its dependencies answer, never why not (the reason goes to the log).
 */
export const healthRoutes: RouteModule = (app, deps) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getLiveness',
        summary: 'Liveness: the process is up',
        description: 'Answers 200 as long as the process serves HTTP; checks no dependency.',
        response: { 200: Health },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['operations'],
        operationId: 'getReadiness',
        summary: 'Readiness: Postgres and Temporal answer',
        description: `200 when Postgres answers \`select 1\` and Temporal answers, each within ${CHECK_TIMEOUT_MS / 1000} s; 503 naming the dependency that does not.`,
        response: { 200: Ready, ...problems(503) },
      },
    },
    async (request, reply) => {
      const [database, temporal] = await Promise.all([
        within(async () => {
          await pingDatabase(deps.db);
          return true;
        }, CHECK_TIMEOUT_MS),
        within(() => deps.temporalReady(), CHECK_TIMEOUT_MS),
      ]);
      if (database && temporal) return { status: 'ready' as const, checks: { database: 'up' as const, temporal: 'up' as const } };
      const down = [...(database ? [] : ['database (Postgres)']), ...(temporal ? [] : ['Temporal'])];
      deps.log.warn('not ready', { database: database ? 'up' : 'down', temporal: temporal ? 'up' : 'down' });
      return sendProblem(reply, request, {
        type: 'https://docroute.dev/problems/not-ready',
        title: 'Not ready',
        status: 503,
        detail: `Not ready: ${down.join(' and ')} ${down.length > 1 ? 'do' : 'does'} not answer.`,
        errors: [
          ...(database ? [] : [{ path: 'database', message: 'down' }]),
          ...(temporal ? [] : [{ path: 'temporal', message: 'down' }]),
        ],
      });
    },
  );
};
