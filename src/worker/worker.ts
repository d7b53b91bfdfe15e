import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../../activities/index.ts';
import type { Logger } from '../logger.ts';
import { configurePdfGuard } from '../pdf/parse-pdf.ts';

export const WORKFLOWS_PATH = path.resolve(import.meta.dirname, '..', '..', 'workflows', 'index.ts');

let bundlePromise: Promise<WorkflowBundle> | undefined;

/** The workflow code, bundled once per process (the worker's sandbox runs the bundle). */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundlePromise ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  return bundlePromise;
}

let runtimeInstalled = false;

/** Routes the SDK's own logs into ours, warnings and up. Once per process. */
export function installTemporalRuntime(log: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry) => {
      const fields = { ...(entry.meta ?? {}) };
      if (entry.level === 'ERROR') log.error(`temporal: ${entry.message}`, fields);
      else log.warn(`temporal: ${entry.message}`, fields);
    }),
  });
}

export interface DocrouteWorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** How many extraction activities run at once in this worker. */
  maxConcurrentActivities?: number;
}

/**
 * The one worker bootstrap: connects, and creates a worker that runs the
 * extraction workflow and its activities. The caller runs it (`worker.run()` or
 * `worker.runUntil(...)`) and closes the connection after.
 */
export async function createDocrouteWorker(
  options: DocrouteWorkerOptions,
): Promise<{ worker: Worker; connection: NativeConnection }> {
  configurePdfGuard(options.deps.config.limits.parse);
  const connection = await NativeConnection.connect({ address: options.address });
  try {
    const worker = await Worker.create({
      connection,
      namespace: options.namespace,
      taskQueue: options.taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities(options.deps),
      maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 8,
      // A document's worst case is a handful of activities; let a worker finish them on shutdown.
      shutdownGraceTime: '10 seconds',
    });
    return { worker, connection };
  } catch (error) {
    await connection.close();
    throw error;
  }
}
