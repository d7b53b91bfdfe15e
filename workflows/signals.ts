import { defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ReviewDecision, ReviewRequest, ReviewResult } from '../activities/types.ts';

/**
 * Messages of the extraction workflow, in a module of their own so that clients
 * (the API, the console) can import them without the workflow code.
 */

/**
 * v2: a reviewer's decision, as an Update. The validator refuses it (the caller
 * gets the reason) when the document is not awaiting review, is already decided
 * or the action does not fit the document; accepted, the handler applies it and
 * returns the new record version, or the checks that fail on the corrected record.
 * Carries only the id of the submission stored in Postgres and the action.
 */
export const reviewUpdate = defineUpdate<ReviewResult, [ReviewRequest]>('review');

/**
 * Patch docroute-lean-run: answers once the run has settled its document,
 * with `review` (the document waits in review, its state written to Postgres) or
 * `settled` (the run is ending: extracted, failed or stalled; its result says
 * which). What `docroute ingest` awaits instead of polling Postgres for review.
 * Runs started before the patch do not know it (the caller falls back to polling).
 */
export const settledUpdate = defineUpdate<'review' | 'settled', []>('settled');

/** v1 only (runs started before the pipeline-v2 patch): the decision as a signal. */
export const reviewSignal = defineSignal<[ReviewDecision]>('review');
