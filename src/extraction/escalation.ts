import {
  CONTRACT_REQUIRED_FIELDS,
  INVOICE_REQUIRED_FIELDS,
  type ContractExtraction,
  type Evidence,
  type Extracted,
  type InvoiceExtraction,
} from '../../schemas/index.ts';
import type { TierName } from '../../schemas/index.ts';
import type { CheckResult } from '../validation/checks.ts';
import { mediaInputTokens, modelProfile } from './gemini/model-profile.ts';
import { mediaPlan } from './media-plan.ts';
import type { ModelTier, TokenAccounting } from './model-tier.ts';

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

export type PageRange = { pageFrom: number; pageTo: number };

/**
 * What an escalation sends: the fast tier's failed chunks, and the pages cited by
 * each field worth a deep look (the first and last pages, where headers and
 * totals usually are, for a field with no evidence); the whole document when
 * that leaves nothing.
 */
export function planEscalationPages(
  problems: readonly EscalationField[],
  failedRanges: readonly PageRange[],
  pageNumbers: readonly number[],
): { ranges: PageRange[]; focusFields: string[] } {
  const lastPage = pageNumbers.at(-1) ?? 1;
  const chosen = new Set<number>();
  for (const r of failedRanges) for (let n = r.pageFrom; n <= r.pageTo; n++) chosen.add(n);
  for (const problem of problems) {
    if (problem.pages.length > 0) problem.pages.forEach((n) => chosen.add(n));
    else {
      chosen.add(1);
      chosen.add(lastPage);
    }
  }
  if (chosen.size === 0) for (const n of pageNumbers) chosen.add(n);
  return { ranges: toRanges([...chosen].filter((n) => n >= 1 && n <= lastPage)), focusFields: problems.map((p) => p.field) };
}

/** Consecutive page numbers as ranges: [1,2,3,7] → 1-3, 7-7. */
export function toRanges(pages: readonly number[]): PageRange[] {
  const sorted = [...new Set(pages)].sort((a, b) => a - b);
  const ranges: PageRange[] = [];
  for (const n of sorted) {
    const last = ranges.at(-1);
    if (last && n === last.pageTo + 1) last.pageTo = n;
    else ranges.push({ pageFrom: n, pageTo: n });
  }
  return ranges;
}

/** Rough size of the instructions and schema sent with each model call, for cost estimates. */
export const PROMPT_OVERHEAD_TOKENS = 1500;
/** Expected answer size per extraction call (thinking not included: see TokenAccounting.thinkingAllowance). */
export const OUTPUT_ALLOWANCE_TOKENS = 2500;
/** Expected answer size of a classification call: a one-word JSON answer. */
export const CLASSIFY_OUTPUT_TOKENS = 20;

/** The tier a planned call goes to: its model, what media it reads, and its token accounting when it knows it. */
export type EstimatedTier = Pick<ModelTier, 'model' | 'readsImages' | 'readsPdf' | 'accounting'>;

function accountingOf(tier: EstimatedTier): TokenAccounting {
  return tier.accounting ?? modelProfile(tier.model);
}

/**
 * The token usage a call of `tierName` over each of `ranges` is expected to
 * have, for the budget check and a paid call's planned row: per range, the
 * prompt, the pages' text, the media the call sends (the range as PDF pages to
 * the deep tier or for scans, or scans as images: mediaPlan) at the model's
 * per-page accounting (mediaInputTokens, as the rate limiter counts), and an
 * answer plus the model's thinking allowance at the output price.
 */
export function expectedEscalationUsage(
  ranges: readonly PageRange[],
  pages: readonly { pageNumber: number; tokens: number; imageOnly: boolean }[],
  tier: EstimatedTier,
  tierName: TierName,
): { inputTokens: number; outputTokens: number; cachedTokens: number } {
  const accounting = accountingOf(tier);
  let inputTokens = 0;
  for (const r of ranges) {
    const inRange = pages.filter((p) => p.pageNumber >= r.pageFrom && p.pageNumber <= r.pageTo);
    const plan = mediaPlan(tier, tierName, inRange);
    inputTokens +=
      PROMPT_OVERHEAD_TOKENS +
      inRange.reduce((sum, p) => sum + p.tokens, 0) +
      mediaInputTokens(accounting, { images: plan.imagePages.length, pdfPages: plan.pdfPages.length });
  }
  return {
    inputTokens,
    outputTokens: (OUTPUT_ALLOWANCE_TOKENS + accounting.thinkingAllowance.extract) * ranges.length,
    cachedTokens: 0,
  };
}

/** The token usage of classifying a scan from `pageCount` rendered page images. */
export function expectedClassificationUsage(tier: EstimatedTier, pageCount: number): { inputTokens: number; outputTokens: number; cachedTokens: number } {
  const accounting = accountingOf(tier);
  return {
    inputTokens: PROMPT_OVERHEAD_TOKENS + mediaInputTokens(accounting, { images: pageCount, pdfPages: 0 }),
    outputTokens: CLASSIFY_OUTPUT_TOKENS + accounting.thinkingAllowance.classify,
    cachedTokens: 0,
  };
}
