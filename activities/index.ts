import { createDocumentActivities } from './documents.ts';
import { createEInvoiceActivities } from './einvoice.ts';
import { createExtractionActivities } from './extraction.ts';
import { createOutcomeActivities } from './outcome.ts';
import type { ActivityDeps } from './support.ts';

export type * from './types.ts';
export { BAD_DOCUMENT, type ActivityDeps } from './support.ts';

/**
 * The activities of the extraction workflow. Each is a plain async function over
 * the dependencies given here; the workflow calls them by name through
 * `proxyActivities<Activities>`. They are grouped by concern in the files beside this one.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createDocumentActivities(deps),
    ...createEInvoiceActivities(deps),
    ...createExtractionActivities(deps),
    ...createOutcomeActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
