import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Config } from '../src/config/config.ts';
import { scrubSecrets, type Secret } from '../src/config/secret.ts';
import type { Db } from '../src/db/database.ts';
import type { ModelTier, PageText } from '../src/extraction/model-tier.ts';
import type { TierName } from '../schemas/index.ts';

/** Error types the workflow and retry policies know: bad input is final, retrying cannot help. */
export const BAD_DOCUMENT = 'BadDocument';

export interface ActivityDeps {
  db: Db;
  tiers: { fast: ModelTier; deep: ModelTier | null };
  config: Pick<Config, 'limits' | 'prices'> & Partial<Pick<Config, 'ocr'>>;
  /** Secrets that must never appear in stored errors. */
  secrets?: readonly (Secret | undefined)[];
  /** Today's date (YYYY-MM-DD) for date plausibility checks; injectable for tests. */
  today?: () => string;
}

/** What every group of activities needs, derived once from the dependencies. */
export function activityContext(deps: ActivityDeps) {
  const { db } = deps;
  return {
    db,
    today: deps.today ?? (() => new Date().toISOString().slice(0, 10)),
    scrub: (message: string) => scrubSecrets(message, deps.secrets ?? []),
    tierFor(name: TierName): ModelTier {
      const tier = name === 'flash' ? deps.tiers.fast : deps.tiers.deep;
      if (!tier) throw ApplicationFailure.nonRetryable(`the ${name} tier is not configured`, 'TierUnavailable');
      return tier;
    },
    /** A document's page texts (all, or a range), in page order. */
    async loadPages(documentId: string, range?: { from: number; to: number }): Promise<PageText[]> {
      let query = db
        .selectFrom('pages')
        .select(['page_number', 'text', 'image_only', 'items', 'width', 'height'])
        .where('document_id', '=', documentId);
      if (range) query = query.where('page_number', '>=', range.from).where('page_number', '<=', range.to);
      const rows = await query.orderBy('page_number').execute();
      return rows.map((r) => ({
        pageNumber: r.page_number,
        text: r.text,
        imageOnly: r.image_only,
        ...(r.items ? { items: r.items } : {}),
        ...(r.width !== null && r.height !== null ? { size: { width: r.width, height: r.height } } : {}),
      }));
    },
  };
}

export function rejection(reviewer: string, note: string | null): string {
  return `rejected in review by ${reviewer}${note ? `: ${note}` : ''}`;
}

/**
 * Heartbeats while `work` runs, so that a worker that dies mid-call is noticed
 * within the heartbeat timeout and the activity retried elsewhere, instead of
 * waiting out the whole start-to-close timeout.
 */
export async function withHeartbeat<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), 5_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** The workflow run the current activity belongs to (every docroute activity runs in one). */
export function workflowRun(): { workflowId: string; runId: string } {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw ApplicationFailure.nonRetryable('docroute activities run only inside a workflow', 'Misuse');
  return execution;
}
