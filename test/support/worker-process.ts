/**
 * A worker in a process of its own (offline tiers), for tests that SIGKILL it.
 * Usage: node test/support/worker-process.ts <databaseUrl> <temporalAddress> <taskQueue>
 * Other settings come from the environment (e.g. DOCROUTE_WEBHOOK_ALLOW_PRIVATE).
 */
import { loadConfig, workerPoolSize } from '../../src/config/config.ts';
import { createDb } from '../../src/db/database.ts';
import { createTiers } from '../../src/extraction/tiers.ts';
import { createDocrouteWorker } from '../../src/worker/worker.ts';

const [databaseUrl, address, taskQueue] = process.argv.slice(2) as [string, string, string];
// The value floor off, as in harness.ts: these tests need accepted records from the offline samples.
const config = loadConfig({ DOCROUTE_VALUE_FLOOR: 'off', ...process.env, GEMINI_API_KEY: undefined, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: address, DOCROUTE_TASK_QUEUE: taskQueue });
const db = createDb(databaseUrl, { max: workerPoolSize(config.worker) });
const { worker } = await createDocrouteWorker({
  address,
  namespace: 'default',
  taskQueue,
  deps: { db, tiers: createTiers(config, undefined, { httpAttempts: 1 }), config },
  tuning: config.worker,
});
process.stdout.write('ready\n');
await worker.run();
