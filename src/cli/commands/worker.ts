import { openRuntime } from '../../app/runtime.ts';
import { untilSignal } from '../until-signal.ts';
import { startApi } from './serve.ts';
import type { CliContext } from '../main.ts';

export async function workerCommand(ctx: CliContext): Promise<void> {
  const runtime = await openRuntime(ctx.config, ctx.log, { worker: true });
  ctx.log.info('worker running', {
    temporal: runtime.temporal.address,
    namespace: runtime.temporal.namespace,
    taskQueue: ctx.config.temporal.taskQueue,
    metrics: runtime.workerMetricsUrl ?? 'off (set DOCROUTE_WORKER_METRICS_ADDRESS)',
  });
  const signal = await untilSignal();
  ctx.log.info('shutting down', { signal });
  await runtime.close();
}

export async function upCommand(ctx: CliContext): Promise<void> {
  const runtime = await openRuntime(ctx.config, ctx.log, { worker: true, ui: true, workerMetrics: true });
  const api = await startApi(runtime, ctx).catch(async (error: unknown) => {
    await runtime.close();
    throw error;
  });
  const lines = [
    'docroute is up.',
    `  Temporal   ${runtime.temporal.address} (${runtime.temporal.origin})` +
      (runtime.temporal.origin === 'local' ? `, web UI http://127.0.0.1:${ctx.config.temporal.localPort + 1000}` : ''),
    `  Postgres   ${runtime.postgres.origin}${runtime.postgres.origin === 'external' ? '' : ` on 127.0.0.1:${ctx.config.database.embeddedPort}`}`,
    `  worker     task queue ${ctx.config.temporal.taskQueue}`,
    `  API        http://${ctx.config.api.host}:${ctx.config.api.port} (docs /docs; keys: docroute keys create)`,
    'Ctrl-C stops everything.',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  await untilSignal();
  await api.close();
  await runtime.close();
}
