import { proxyActivities, proxyLocalActivities, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
import { BAD_DOCUMENT, BAD_REVIEW, TIER_EXHAUSTED, TIER_REFUSED, TIER_UNAVAILABLE } from '../activities/error-types.ts';
import type { BatchActivityGroup, CheckActivities, ModelActivities, ParseActivities, StoreActivities, WebhookActivities } from '../activities/index.ts';

/**
 * How long and how often a run's activities may try, as configured when the
 * document was started (carried in the workflow input, so history replays it).
 */
export interface RunPolicy {
  /**
   * How long infrastructure faults (database or worker away, lost heartbeats)
   * are retried before the run gives up and the document is recorded `stalled`
   * (DOCROUTE_STALL_AFTER_MINUTES). Never a verdict about the document.
   */
  stallAfterMs: number;
  /** Start-to-close of one model attempt: one HTTP call (GEMINI_TIMEOUT_MS) plus a margin (see modelAttemptTimeout). */
  modelAttemptTimeoutMs: number;
  /** Attempts of one model call, the first included (DOCROUTE_GEMINI_MAX_ATTEMPTS). */
  modelAttempts: number;
}

/** Above one HTTP call: rendering scanned pages, the rate limiter's wait, the attempt row. */
const MODEL_ATTEMPT_MARGIN_MS = 60_000;

/** The start-to-close of one model attempt for a given HTTP timeout: the call fits, a retry does not. */
export function modelAttemptTimeout(httpTimeoutMs: number): number {
  return httpTimeoutMs + MODEL_ATTEMPT_MARGIN_MS;
}

export const DEFAULT_RUN_POLICY: RunPolicy = { stallAfterMs: 6 * 3600_000, modelAttemptTimeoutMs: modelAttemptTimeout(120_000), modelAttempts: 6 };

/**
 * The activity groups, each proxied with the policy its work needs. A group's
 * type holds only its own activities: calling one under another policy does not compile.
 */
export function activitiesFor(policy: RunPolicy) {
  return {
    /** Parsing an untrusted PDF: heartbeats (a dead worker is noticed), retried with backoff until the stall limit; the activity turns repeated parser failures into a verdict. */
    parse: proxyActivities<ParseActivities>({
      startToCloseTimeout: '5 minutes',
      heartbeatTimeout: '30 seconds',
      scheduleToCloseTimeout: policy.stallAfterMs,
      retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '5 minutes', nonRetryableErrorTypes: [BAD_DOCUMENT] },
    }),
    /** One paid model call per attempt; 429/5xx retried by Temporal after the server's delay; refusals final. */
    model: proxyActivities<ModelActivities>({
      startToCloseTimeout: policy.modelAttemptTimeoutMs,
      heartbeatTimeout: '30 seconds',
      retry: {
        initialInterval: '2s',
        backoffCoefficient: 2,
        maximumInterval: '2 minutes',
        maximumAttempts: policy.modelAttempts,
        nonRetryableErrorTypes: [TIER_REFUSED, TIER_UNAVAILABLE, TIER_EXHAUSTED],
      },
    }),
    /** The second, independent reading (a cheap check that only moves confidence): one retry of a 429/5xx, then the run goes on without it. */
    check: proxyActivities<CheckActivities>({
      startToCloseTimeout: policy.modelAttemptTimeoutMs,
      heartbeatTimeout: '30 seconds',
      retry: {
        initialInterval: '2s',
        backoffCoefficient: 2,
        maximumInterval: '1 minute',
        maximumAttempts: Math.min(2, policy.modelAttempts),
        nonRetryableErrorTypes: [TIER_REFUSED, TIER_UNAVAILABLE, TIER_EXHAUSTED],
      },
    }),
    /** Database work: retried until the database is back, up to the stall limit. */
    store: proxyActivities<StoreActivities>(databasePolicy(policy)),
    /** Announcing a settled document to webhook subscribers: database work, retried for as long as it takes, like settling. */
    announce: proxyActivities<Pick<WebhookActivities, 'announceDocument'>>(SETTLE_POLICY),
    /** Settling the document: retried for as long as it takes (it is how a stall gets recorded). */
    settle: proxyActivities<Pick<StoreActivities, 'settleDocument'>>(SETTLE_POLICY),
  };
}

/** Database work: retried until the database is back, up to the stall limit; a verdict about the document or a review is final. */
function databasePolicy(policy: RunPolicy) {
  return {
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: policy.stallAfterMs,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: [BAD_DOCUMENT, BAD_REVIEW] },
  } satisfies ActivityOptions & LocalActivityOptions;
}

/** Settling and announcing: retried for as long as it takes (no schedule-to-close). */
const SETTLE_POLICY = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
} satisfies ActivityOptions & LocalActivityOptions;

/**
 * The same database work as local activities (patch docroute-lean-run):
 * run by the worker that runs the workflow task, inside that task, their results
 * recorded as markers. Each saves a round trip through Temporal (scheduled,
 * polled, started, completed, and a workflow task to read the result), which
 * at a dozen per document cost more than the work itself. Only short database
 * work, idempotent per run (a worker lost mid-task runs it again on replay):
 * parsing untrusted files, model calls and review decisions stay activities
 * (heartbeats, other workers can take them, their own retry policies).
 * Same timeouts and retries as their activity form; a local retry that waits
 * longer than a minute waits on a durable timer.
 */
export function localDatabaseActivitiesFor(policy: RunPolicy) {
  return {
    store: proxyLocalActivities<Omit<StoreActivities, 'reviewDocument'>>(databasePolicy(policy)),
    announce: proxyLocalActivities<Pick<WebhookActivities, 'announceDocument'>>(SETTLE_POLICY),
    settle: proxyLocalActivities<Pick<StoreActivities, 'settleDocument'>>(SETTLE_POLICY),
    /** Whether the document goes through the Batch API: a read of its source (batch mode's other steps call Gemini). */
    batchPlan: proxyLocalActivities<Pick<BatchActivityGroup, 'batchPlan'>>(databasePolicy(policy)),
  };
}
