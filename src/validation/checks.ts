/**
 * Consistency checks on an extraction. Pure and deterministic: "today" is a parameter.
 *
 * Policy for absent data: a check whose inputs are missing (value null, or not a
 * parseable amount/date) is SKIPPED, i.e. not reported at all. Absence alone
 * never fails a check; a failed check always means the values present contradict
 * each other or are implausible. Document completeness is measured separately,
 * by documentConfidence (src/extraction/confidence.ts).
 */
export interface CheckResult {
  /** Stable machine name, e.g. "totals_sum". */
  name: string;
  passed: boolean;
  /** Human message naming the numbers involved. */
  message: string;
  /** Field paths the check concerns: "subtotal", "lineItems", "lineItems[2]", "parties[0]". */
  fields: string[];
  /**
   * When it fails: why, in words a reviewer reads in the routing reasons, naming
   * fields, pages and counts but never a value (it passes through workflow history).
   */
  reason?: string;
}

/**
 * A check as workflow history and routing reasons carry it: its name and the
 * fields it concerns (`iban_checksum(iban)`), never the values its message quotes.
 */
export function checkCode(check: Pick<CheckResult, 'name' | 'fields'>): string {
  return check.fields.length > 0 ? `${check.name}(${check.fields.join(',')})` : check.name;
}

export { validateInvoice, INVOICE_CHECKS } from './invoice-checks.ts';
export { validateContract, CONTRACT_CHECKS } from './contract-checks.ts';
