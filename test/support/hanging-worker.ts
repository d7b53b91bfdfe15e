/**
 * A worker process for the crash test: its fast tier never answers, so the test
 * can kill this process (SIGKILL, no goodbye) while an extraction is in flight.
 * Usage: node test/support/hanging-worker.ts <databaseUrl> <temporalAddress> <taskQueue>
 */
import { loadConfig } from '../../src/config/config.ts';
import { createDb } from '../../src/db/database.ts';
import type { ModelTier } from '../../src/extraction/model-tier.ts';
import { createRulesTier } from '../../src/extraction/rules/rules-tier.ts';
import { createDocrouteWorker } from '../../src/worker/worker.ts';

const [databaseUrl, address, taskQueue] = process.argv.slice(2) as [string, string, string];
const config = loadConfig({ DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: address, DOCROUTE_TASK_QUEUE: taskQueue });
const rules = createRulesTier();
const hanging: ModelTier = {
  tier: 'flash',
  model: rules.model, // priced (free), like the tier it stands in for
  readsImages: false,
  countTokens: (pages) => rules.countTokens(pages),
  extract: () => new Promise(() => undefined),
};
const db = createDb(databaseUrl);
const { worker } = await createDocrouteWorker({ address, namespace: 'default', taskQueue, deps: { db, tiers: { fast: hanging, deep: null }, config }, tuning: config.worker });
process.stdout.write('ready\n');
await worker.run();
