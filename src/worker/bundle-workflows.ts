/**
 * Child-process entry of `workflowBundle()` (worker.ts): bundles the workflow
 * code with the SDK's bundler (webpack) and writes the bundle's code to stdout.
 * Run apart so that webpack's memory (a few hundred MiB at its peak, which a
 * Node process keeps as resident set long after) is never the worker's.
 */
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';

const workflowsPath = process.argv[2];
if (!workflowsPath) {
  process.stderr.write('usage: bundle-workflows.ts <workflows index>\n');
  process.exit(2);
}
const bundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
process.stdout.write(bundle.code);
