import { openRuntime } from '../../app/runtime.ts';
import type { CliContext } from '../main.ts';

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: string) => () => resolve(signal);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
}

export async function workerCommand(ctx: CliContext): Promise<void> {
  const runtime = await openRuntime(ctx.config, ctx.log, { worker: true });
  ctx.log.info('worker running', { temporal: runtime.temporal.address, taskQueue: ctx.config.temporal.taskQueue });
  const signal = await untilSignal();
  ctx.log.info('shutting down', { signal });
  await runtime.close();
}

export async function upCommand(ctx: CliContext): Promise<void> {
  const runtime = await openRuntime(ctx.config, ctx.log, { worker: true, ui: true });
  const lines = [
    'docroute is up.',
    `  Temporal   ${runtime.temporal.address} (${runtime.temporal.origin})` +
      (runtime.temporal.origin === 'local' ? `, web UI http://127.0.0.1:${ctx.config.temporal.localPort + 1000}` : ''),
    `  Postgres   ${runtime.postgres.origin}${runtime.postgres.origin === 'external' ? '' : ` on 127.0.0.1:${ctx.config.database.embeddedPort}`}`,
    `  worker     task queue ${ctx.config.temporal.taskQueue}`,
    'Ctrl-C stops everything.',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  await untilSignal();
  await runtime.close();
}
