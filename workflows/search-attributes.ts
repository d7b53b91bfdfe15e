import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Search attributes of a document's workflow, so the Temporal UI and
 * `temporal workflow list --query` can filter documents. They must be
 * registered on the namespace (the local dev server registers them; on a
 * cluster: `temporal operator search-attribute create --name DocrouteStatus --type Keyword`, …).
 * Values are codes and the file name, never document contents.
 */
export const DocrouteStatus = defineSearchAttributeKey('DocrouteStatus', SearchAttributeType.KEYWORD);
export const DocrouteKind = defineSearchAttributeKey('DocrouteKind', SearchAttributeType.KEYWORD);
export const DocrouteFileName = defineSearchAttributeKey('DocrouteFileName', SearchAttributeType.KEYWORD);

/** `--search-attribute` flags for `temporal server start-dev`. */
export const SEARCH_ATTRIBUTE_FLAGS: readonly string[] = [DocrouteStatus, DocrouteKind, DocrouteFileName].flatMap((k) => [
  '--search-attribute',
  `${k.name}=Keyword`,
]);
