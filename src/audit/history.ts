import { promises as fs } from 'node:fs';
import type { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';
import { DefaultLogger, Worker, type WorkflowBundle } from '@temporalio/worker';
import { workflowBundle } from '../worker/worker.ts';

export type History = temporal.api.history.v1.IHistory;

/** A workflow's full event history in Temporal's JSON format (as `temporal workflow show --output json`). */
export async function exportHistory(client: Client, workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return historyToJSON(history);
}

/** Reads a history file in Temporal's JSON format. */
export async function readHistoryFile(file: string): Promise<History> {
  const text = await fs.readFile(file, 'utf8');
  try {
    return historyFromJSON(JSON.parse(text));
  } catch (error) {
    throw new Error(`${file} is not a Temporal history in JSON format: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export interface ReplayOutcome {
  workflowId: string;
  runId?: string;
  deterministic: boolean;
  /** "nondeterminism" when the code no longer matches the history; "error" for any other replay failure. */
  failure: 'nondeterminism' | 'error' | null;
  message: string | null;
}

const replayOptions = async (bundle?: WorkflowBundle) => ({
  workflowBundle: bundle ?? (await workflowBundle()),
  // The replayer's own logging would repeat what the outcome says.
  debugMode: false,
  replayName: 'docroute-replay',
});

/**
 * Replays one history against the workflow code (the current code, or a given
 * bundle): deterministic, or the reason it is not.
 */
export async function replayHistory(history: History, workflowId: string, bundle?: WorkflowBundle): Promise<ReplayOutcome> {
  try {
    await Worker.runReplayHistory(await replayOptions(bundle), history, workflowId);
    return { workflowId, deterministic: true, failure: null, message: null };
  } catch (error) {
    return { workflowId, deterministic: false, ...classify(error) };
  }
}

/** Replays many histories with one replay worker, yielding an outcome per history. */
export async function* replayHistories(
  histories: AsyncIterable<{ workflowId: string; history: History }> | Iterable<{ workflowId: string; history: History }>,
  bundle?: WorkflowBundle,
): AsyncGenerator<ReplayOutcome> {
  for await (const result of Worker.runReplayHistories(await replayOptions(bundle), histories)) {
    yield result.error
      ? { workflowId: result.workflowId, runId: result.runId, deterministic: false, ...classify(result.error) }
      : { workflowId: result.workflowId, runId: result.runId, deterministic: true, failure: null, message: null };
  }
}

function classify(error: unknown): Pick<ReplayOutcome, 'failure' | 'message'> {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  return { failure: name === 'DeterminismViolationError' ? 'nondeterminism' : 'error', message };
}

/** Quiet logger for bundling during replays. */
export const quietLogger = new DefaultLogger('ERROR');
