import { log, sleep } from '@temporalio/workflow';
import type { BatchPlan, BatchPoll, BatchRange, SubmitBatchInput } from '../activities/batch.ts';
import type { ExtractOutcome } from '../activities/types.ts';

/** Patch id of the batch-mode branch in the extraction workflow (see workflows/patches.ts). */
export const BATCH_MODE_PATCH = 'gemini-batch-mode-v1';

/** The activities batch mode needs, as the workflow proxies them. */
export interface BatchActivities {
  submitBatch(input: SubmitBatchInput): Promise<{ batchId: string; batchName: string }>;
  pollBatch(input: { batchId: string }): Promise<BatchPoll>;
  abandonBatch(input: { batchId: string; reason: string }): Promise<void>;
}

/**
 * One tier over page ranges through the Gemini Batch API: submits one batch,
 * then waits with durable timers (`sleep`: no worker is busy, and a worker
 * restart changes nothing) and polls every `pollMs` until the batch is done or
 * `deadlineMs` has passed. Returns one outcome per range (null: that range must
 * be asked online, its batch answer was unusable), or null when the whole batch
 * is given up (failed, or the deadline passed): the caller goes online.
 */
export async function extractViaBatch(
  acts: BatchActivities,
  plan: Pick<BatchPlan, 'deadlineMs' | 'pollMs'>,
  input: { documentId: string; kind: SubmitBatchInput['kind']; tier: SubmitBatchInput['tier']; ranges: BatchRange[]; focusFields?: string[]; sequence: number },
): Promise<(ExtractOutcome | null)[] | null> {
  const { batchId, batchName } = await acts.submitBatch({
    documentId: input.documentId,
    kind: input.kind,
    tier: input.tier,
    ranges: input.ranges,
    ...(input.focusFields?.length ? { focusFields: input.focusFields } : {}),
    sequence: input.sequence,
  });
  log.info('batch submitted', { documentId: input.documentId, batchName, ranges: input.ranges.length });
  const deadline = Date.now() + plan.deadlineMs;
  let reason = `no answer within ${Math.round(plan.deadlineMs / 60_000)} minute(s)`;
  while (Date.now() < deadline) {
    await sleep(Math.max(1, Math.min(plan.pollMs, deadline - Date.now())));
    const poll = await acts.pollBatch({ batchId });
    if (poll.state === 'done') return poll.outcomes;
    if (poll.state === 'failed') {
      reason = poll.error;
      break;
    }
  }
  log.warn('batch given up; going online', { documentId: input.documentId, batchName, reason });
  await acts.abandonBatch({ batchId, reason });
  return null;
}
