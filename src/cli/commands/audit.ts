import { promises as fs } from 'node:fs';
import { connectTemporalIfRunning, openDbRuntime, openRuntime, type AppRuntime } from '../../app/runtime.ts';
import { exportHistory, readHistoryFile, replayHistories, replayHistory, type ReplayOutcome } from '../../audit/history.ts';
import { buildAuditTimeline } from '../../audit/timeline.ts';
import { findDocument } from '../../db/documents.ts';
import { resolveDocumentRef } from '../document-ref.ts';
import type { CliContext } from '../main.ts';
import { createProgress } from '../progress.ts';

/** A file path, document id, content hash (prefix) or workflow id → the workflow id (a workflow id not in our database is taken as is). */
async function workflowIdOf(runtime: AppRuntime, ref: string): Promise<string> {
  const isFile = await fs.stat(ref).then((s) => s.isFile(), () => false);
  if (isFile) return (await resolveDocumentRef(runtime.db, ref)).workflow_id;
  const doc = await findDocument(runtime.db, ref);
  return doc?.workflow_id ?? ref;
}

/** Postgres and Temporal (this data dir's running dev server, started when none runs), no worker. */
async function withRuntime<T>(ctx: CliContext, fn: (runtime: AppRuntime) => Promise<T>): Promise<T> {
  const runtime = await openRuntime(ctx.config, ctx.log, { worker: false });
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

/** `docroute history export <ref> [--out file]`: the workflow's full event history as Temporal JSON. */
export async function historyExportCommand(ctx: CliContext, ref: string, opts: { out?: string }): Promise<void> {
  await withRuntime(ctx, async (runtime) => {
    const workflowId = await workflowIdOf(runtime, ref);
    const json = await exportHistory(runtime.client, workflowId);
    if (opts.out) {
      await fs.writeFile(opts.out, json + '\n');
      process.stderr.write(`history of ${workflowId} written to ${opts.out}\n`);
    } else {
      process.stdout.write(json + '\n');
    }
  });
}

function printOutcome(outcome: ReplayOutcome): void {
  const line = outcome.deterministic
    ? `PASS  ${outcome.workflowId}: deterministic against the current workflow code`
    : `FAIL  ${outcome.workflowId}: ${outcome.failure === 'nondeterminism' ? 'NOT deterministic' : 'replay failed'}: ${outcome.message}`;
  process.stdout.write(line + '\n');
}

/**
 * `docroute replay <ref>` / `--file history.json` / `--all [--since DATE]`:
 * replays histories against the current workflow code and says whether each is
 * deterministic. Exit code 1 when any is not.
 */
export async function replayCommand(ctx: CliContext, ref: string | undefined, opts: { file?: string; all?: boolean; since?: string; json?: boolean }): Promise<void> {
  // The replay worker's native core logs through our logger (stderr), not to stdout by itself:
  // `--json` output is one JSON object (a core warning once came first and broke it).
  const { installTemporalRuntime } = await import('../../worker/worker.ts');
  installTemporalRuntime(ctx.log);
  const outcomes: ReplayOutcome[] = [];
  if (opts.file) {
    const history = await readHistoryFile(opts.file);
    outcomes.push(await replayHistory(history, ref ?? opts.file));
  } else if (opts.all) {
    if (opts.since && !/^\d{4}-\d{2}-\d{2}$/.test(opts.since)) throw new Error(`--since must be a date YYYY-MM-DD, got ${opts.since}`);
    await withRuntime(ctx, async (runtime) => {
      const query = [`WorkflowType = 'extractDocument'`, opts.since ? `StartTime >= '${opts.since}T00:00:00Z'` : null]
        .filter(Boolean)
        .join(' AND ');
      const executions = [];
      for await (const execution of runtime.client.workflow.list({ query })) executions.push(execution);
      const progress = createProgress(executions.length, 'replaying');
      const histories = (async function* () {
        for (const execution of executions) {
          yield {
            workflowId: execution.workflowId,
            history: await runtime.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory(),
          };
        }
      })();
      for await (const outcome of replayHistories(histories)) {
        outcomes.push(outcome);
        progress.tick(outcome.deterministic ? 'passed' : 'failed');
      }
      progress.end();
    });
  } else {
    if (!ref) throw new Error('give a document id, a workflow id, --file history.json or --all');
    await withRuntime(ctx, async (runtime) => {
      const workflowId = await workflowIdOf(runtime, ref);
      const history = await runtime.client.workflow.getHandle(workflowId).fetchHistory();
      outcomes.push(await replayHistory(history, workflowId));
    });
  }
  const failed = outcomes.filter((o) => !o.deterministic);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ replayed: outcomes.length, passed: outcomes.length - failed.length, failed: failed.length, outcomes }) + '\n');
  } else {
    for (const o of opts.all ? failed : outcomes) printOutcome(o);
    if (opts.all) process.stdout.write(`replayed ${outcomes.length}, passed ${outcomes.length - failed.length}, failed ${failed.length}\n`);
  }
  if (failed.length > 0) process.exitCode = 1;
}

/** `docroute audit <file or id>`: the document's timeline, each step with its history event id. */
export async function auditCommand(ctx: CliContext, ref: string, opts: { json?: boolean }): Promise<void> {
  // Only reads: Postgres, and the history from Temporal when it runs (nothing is started for it).
  const runtime = await openDbRuntime(ctx.config, ctx.log);
  const temporal = await connectTemporalIfRunning(ctx.config).catch(() => null);
  try {
    const doc = await resolveDocumentRef(runtime.db, ref);
    const timeline = await buildAuditTimeline(runtime.db, temporal?.client ?? null, doc.id);
    if (opts.json) {
      process.stdout.write(JSON.stringify(timeline, null, 2) + '\n');
      return;
    }
    process.stdout.write(`audit of document ${timeline.documentId} (workflow ${timeline.workflowId}), now ${timeline.status}\n`);
    if (!timeline.historyAvailable) {
      process.stdout.write(
        temporal
          ? '(workflow history not available: event ids omitted)\n'
          : '(Temporal is not running, so the workflow history was not read: event ids omitted; `docroute up` runs it)\n',
      );
    }
    for (const e of timeline.entries) {
      process.stdout.write(`${e.at}  ${e.eventId === null ? '     ' : `#${String(e.eventId).padEnd(4)}`} ${e.step.padEnd(18)} ${e.summary}\n`);
    }
  } finally {
    await temporal?.close().catch(() => undefined);
    await runtime.close();
  }
}
