import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { temporal } from '@temporalio/proto';

/**
 * What a workflow history says, as text a person could read: the history's
 * JSON followed by every payload decoded (payloads are base64 of JSON). A value
 * that went through history is found here, wherever it was carried.
 */
export function historyText(history: temporal.api.history.v1.IHistory | string): string {
  const raw = typeof history === 'string' ? history : historyToJSON(history);
  const decoded = [...raw.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8'));
  return [raw, ...decoded].join('\n');
}

/**
 * Values of the sample documents (samples/, scripts/make-samples.ts): invoice,
 * customer and PO numbers, totals in both notations, vendor and bank names.
 * None of them may go through a workflow history.
 */
export const SAMPLE_DOCUMENT_VALUES = [
  'HDS-2024-0417',
  'QP-88213',
  'RE-2024-00318',
  'K-10452',
  '2024-0912',
  'DGK-0231',
  '15146.69',
  '15,146.69',
  '1487.51',
  '1.487,51',
  '8288.35',
  '8.288,35',
  'Harborside',
  'Neckartal',
  'Molenwerf',
  'Gouden Korenschoof',
] as const;

/** The values among `values` that occur in `text`. */
export function valuesIn(text: string, values: readonly string[]): string[] {
  return values.filter((v) => v.length > 0 && text.includes(v));
}
