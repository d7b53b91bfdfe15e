import { execFile } from 'node:child_process';
import path from 'node:path';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import type { Config } from '../config/config.ts';
import type { TemporalConnectOptions } from '../services/temporal-connection.ts';
import { createActivities, type ActivityDeps } from '../../activities/index.ts';
import type { Logger } from '../logger.ts';
import { configurePdfGuard } from '../pdf/parse-pdf.ts';

export const WORKFLOWS_PATH = path.resolve(import.meta.dirname, '..', '..', 'workflows', 'index.ts');

let bundlePromise: Promise<WorkflowBundle> | undefined;

const BUNDLER = path.join(import.meta.dirname, 'bundle-workflows.ts');

/**
 * The workflow code, bundled once per process (the worker's sandbox runs the
 * bundle). The SDK's bundler (webpack) runs in a child process: in the worker
 * itself it left ≈ 200 MiB of resident set behind for the process's lifetime,
 * memory a worker reading big PDFs needs (a worker stays under 1 GiB with them).
 */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundlePromise ??= new Promise<WorkflowBundle>((resolve, reject) => {
    execFile(
      process.execPath,
      [BUNDLER, WORKFLOWS_PATH],
      { maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`bundling the workflow code failed: ${stderr.trim() || error.message}`, { cause: error }));
        else resolve({ code: stdout });
      },
    );
  });
  bundlePromise.catch(() => {
    bundlePromise = undefined; // a later call tries again
  });
  return bundlePromise;
}

let runtimeInstalled: { metricsAddress: string | null } | undefined;

/**
 * Installs the SDK's runtime, once per process (before any connection):
 * - its logs (the TypeScript side's, the Rust core's forwarded ones, and
 *   workflow and activity `log` calls) go to our logger, warnings and up, or
 *   everything at DOCROUTE_LOG_LEVEL=debug;
 * - with `metricsAddress` (host:port), the SDK's own Prometheus exporter serves
 *   the worker metrics (task slots, poll and schedule-to-start latencies,
 *   sticky cache, activity and workflow outcomes; names start `temporal_`) there;
 * - it installs no signal handlers of its own: docroute's shutdown
 *   (src/app/shutdown.ts) stops workers on SIGINT, SIGTERM and SIGHUP.
 * Returns the metrics address in effect (a second call cannot change it).
 */
export function installTemporalRuntime(log: Logger, options: { metricsAddress?: string; debug?: boolean } = {}): { metricsAddress: string | null } {
  if (runtimeInstalled) return runtimeInstalled;
  const level = options.debug ? 'DEBUG' : 'WARN';
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const fields: Record<string, unknown> = { ...(entry.meta ?? {}), component: 'temporal' };
      const message = entry.message;
      if (entry.level === 'ERROR') log.error(message, fields);
      else if (entry.level === 'WARN') log.warn(message, fields);
      else if (entry.level === 'INFO') log.info(message, fields);
      else log.debug(message, fields);
    }),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: level, other: 'ERROR' }), forward: {} },
      ...(options.metricsAddress ? { metrics: { prometheus: { bindAddress: options.metricsAddress } } } : {}),
    },
    shutdownSignals: [],
  });
  runtimeInstalled = { metricsAddress: options.metricsAddress ?? null };
  return runtimeInstalled;
}

export interface DocrouteWorkerOptions {
  address: string;
  /** TLS, API key, metadata of a cluster (see temporal-connection.ts); the address above wins. */
  connect?: TemporalConnectOptions;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Slots, cache and pollers (config.worker). */
  tuning: Config['worker'];
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
  const connection = await NativeConnection.connect({ ...options.connect, address: options.address });
  try {
    const worker = await Worker.create({
      connection,
      namespace: options.namespace,
      taskQueue: options.taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createActivities(options.deps),
      ...workerTuning(options.tuning),
      // A document's worst case is a handful of activities; let a worker finish them on shutdown.
      shutdownGraceTime: '10 seconds',
    });
    return { worker, connection };
  } catch (error) {
    await connection.close();
    throw error;
  }
}

/** The worker's slots and cache as configured (DOCROUTE_WORKER_*); what is not set is the SDK's default. */
export function workerTuning(worker: Config['worker']) {
  return {
    maxConcurrentActivityTaskExecutions: worker.activities,
    maxConcurrentLocalActivityExecutions: worker.localActivities,
    maxConcurrentWorkflowTaskExecutions: worker.workflowTasks,
    ...(worker.cachedWorkflows !== undefined ? { maxCachedWorkflows: worker.cachedWorkflows } : {}),
    ...(worker.pollers !== undefined
      ? {
          maxConcurrentWorkflowTaskPolls: Math.min(worker.pollers, worker.workflowTasks),
          maxConcurrentActivityTaskPolls: Math.min(worker.pollers, worker.activities),
        }
      : {}),
  };
}
