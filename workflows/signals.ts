import { defineSignal } from '@temporalio/workflow';
import type { ReviewDecision } from '../activities/types.ts';

/**
 * Signals of the extraction workflow, in a module of their own so that clients
 * (the API) can import them without the workflow code.
 */
export const reviewSignal = defineSignal<[ReviewDecision]>('review');
