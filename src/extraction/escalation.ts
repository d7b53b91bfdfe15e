import {
  CONTRACT_REQUIRED_FIELDS,
  INVOICE_REQUIRED_FIELDS,
  type ContractExtraction,
  type Evidence,
  type Extracted,
  type InvoiceExtraction,
} from '../../schemas/index.ts';
import type { CheckResult } from '../validation/checks.ts';

/** A field the deep tier is asked to settle, and the pages its current evidence cites. */
export interface EscalationField {
  field: string;
  pages: number[];
}

/** What a candidate row stores next to its fields (see candidate.ts). */
interface StoredChecks {
  checks: CheckResult[];
  ungrounded: string[];
  missingRequired: string[];
}

/** "lineItems[2]" → "lineItems", "parties[0].role" → "parties", "total" → "total". */
export function rootField(path: string): string {
  return path.replace(/[[.].*$/, '');
}

/**
 * The fields worth a deep-tier look, from a fast-tier candidate: required fields
 * that are missing or below the confidence threshold, values not found on their
 * cited page, and fields named by a failed check. Each comes with the pages its
 * evidence cites (none for a missing field), in field order, without repeats.
 */
export function escalationFields(
  kind: 'invoice' | 'contract',
  fields: unknown,
  checks: unknown,
  minConfidence: number,
): EscalationField[] {
  const stored = checks as StoredChecks;
  const wanted: string[] = [...stored.missingRequired, ...stored.ungrounded.map(rootField)];
  for (const check of stored.checks) if (!check.passed) wanted.push(...check.fields.map(rootField));
  const required: readonly string[] = kind === 'invoice' ? INVOICE_REQUIRED_FIELDS : CONTRACT_REQUIRED_FIELDS;
  for (const name of required) {
    if (confidenceOf(kind, fields, name) < minConfidence) wanted.push(name);
  }
  return [...new Set(wanted)].map((field) => ({ field, pages: evidencePages(kind, fields, field) }));
}

function confidenceOf(kind: 'invoice' | 'contract', fields: unknown, name: string): number {
  if (kind === 'contract' && name === 'parties') {
    const parties = (fields as ContractExtraction).parties.map((p) => p.confidence).sort((a, b) => b - a);
    return parties.length < 2 ? 0 : ((parties[0] ?? 0) + (parties[1] ?? 0)) / 2;
  }
  const field = (fields as Record<string, Extracted<unknown> | undefined>)[name];
  return field && field.value !== null ? field.confidence : 0;
}

function evidencePages(kind: 'invoice' | 'contract', fields: unknown, name: string): number[] {
  let evidence: (Evidence | null)[] = [];
  if (kind === 'invoice' && name === 'lineItems') evidence = (fields as InvoiceExtraction).lineItems.map((l) => l.evidence);
  else if (kind === 'contract' && name === 'parties') evidence = (fields as ContractExtraction).parties.map((p) => p.evidence);
  else evidence = [(fields as Record<string, Extracted<unknown> | undefined>)[name]?.evidence ?? null];
  return [...new Set(evidence.filter((e): e is Evidence => e !== null).map((e) => e.page))].sort((a, b) => a - b);
}
