import { ActivityFailure, isCancellation, log, proxyActivities, sleep } from '@temporalio/workflow';
import type { BatchPlan, BatchPoll, BatchRange, SubmitBatchInput } from '../activities/batch.ts';
import { TIER_REFUSED, TIER_UNAVAILABLE } from '../activities/error-types.ts';
import type { BatchActivityGroup } from '../activities/index.ts';
import type { ExtractOutcome } from '../activities/types.ts';
import type { PipelinePorts } from '../src/routing/pipeline.ts';
import type { RunPolicy } from './policies.ts';

/**
 * The batch activities, with the policy their work needs: each is one HTTP call
 * (create or get) plus database work, retried by Temporal like a model call;
 * a refusal (bad key, no Batch API for the model) is final.
 */
export function batchActivitiesFor(policy: RunPolicy): BatchActivityGroup {
  return proxyActivities<BatchActivityGroup>({
    startToCloseTimeout: policy.modelAttemptTimeoutMs,
    heartbeatTimeout: '30 seconds',
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumInterval: '2 minutes',
      maximumAttempts: policy.modelAttempts,
      nonRetryableErrorTypes: [TIER_REFUSED, TIER_UNAVAILABLE],
    },
  });
}

/**
 * The pipeline's batch port for one document: asks once whether the document
 * goes through the Batch API (by its source), and if so runs the fast tier's
 * ranges as one batch. A batch that cannot be made or read is given up: online.
 */
export function batchPort(
  acts: BatchActivityGroup,
  documentId: string,
  /** Who answers the plan (a local activity for runs with the lean-run marker); the group's activity otherwise. */
  planner: BatchActivityGroup['batchPlan'] = acts.batchPlan,
): NonNullable<PipelinePorts['extractBatch']> {
  let plan: BatchPlan | null = null;
  let sequence = 0;
  return async ({ kind, tier, ranges }) => {
    plan ??= await planner({ documentId });
    if (!plan.batch) return null;
    sequence += 1;
    try {
      return await extractViaBatch(acts, plan, { documentId, kind, tier, ranges, sequence });
    } catch (err) {
      if (err instanceof ActivityFailure && !isCancellation(err)) {
        log.warn('batch failed; going online', { documentId, error: err.message });
        return null;
      }
      throw err;
    }
  };
}

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
  let reason = `no answer within ${Number((plan.deadlineMs / 60_000).toFixed(2))} minute(s)`;
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
