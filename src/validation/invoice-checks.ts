import { Decimal } from 'decimal.js';
import type { InvoiceExtraction } from '../../schemas/index.ts';
import { isIsoCurrency } from '../../schemas/currencies.ts';
import type { CheckResult } from './checks.ts';
import { addMonths, formatIsoDate, parseIsoDate } from './dates.ts';
import { isValidIban } from './iban.ts';
import { decimalPlacesOf, formatAmount, sum, toDecimal, withinTolerance } from './money.ts';

/** Names of the invoice checks, as they appear in CheckResult.name. */
export const INVOICE_CHECKS = {
  lineItemsSum: 'line_items_sum',
  lineItemArithmetic: 'line_item_arithmetic',
  totalsSum: 'totals_sum',
  dueAfterIssue: 'due_date_after_issue_date',
  issueDatePlausible: 'issue_date_plausible',
  currencyIso: 'currency_iso',
  ibanChecksum: 'iban_checksum',
} as const;

/** Line items vs subtotal: 0.01 of rounding per priced line, and never less than 0.02. */
export const LINE_SUM_TOLERANCE_PER_LINE = new Decimal('0.01');
export const LINE_SUM_MIN_TOLERANCE = new Decimal('0.02');
/** subtotal + taxTotal vs total. */
export const TOTALS_TOLERANCE = new Decimal('0.02');
/** quantity × unitPrice vs amount: never less than one cent (see lineItemArithmetic). */
export const LINE_ARITHMETIC_MIN_TOLERANCE = new Decimal('0.01');
/** Earliest plausible issue date. */
export const EARLIEST_ISSUE_DATE = '1990-01-01';
/** Latest plausible issue date, in months after today. */
export const MAX_ISSUE_MONTHS_AHEAD = 12;

/**
 * Runs every applicable invoice check. Checks whose inputs are absent are skipped
 * (see checks.ts). Order: line_items_sum, line_item_arithmetic, totals_sum,
 * due_date_after_issue_date, issue_date_plausible, currency_iso, iban_checksum.
 */
export function validateInvoice(fields: InvoiceExtraction, options: { today: string }): CheckResult[] {
  const today = parseIsoDate(options.today);
  if (today === null) throw new Error(`validateInvoice: today must be an ISO date, got ${JSON.stringify(options.today)}`);
  const results: CheckResult[] = [];
  const push = (r: CheckResult | null): void => {
    if (r !== null) results.push(r);
  };
  push(lineItemsSum(fields));
  push(lineItemArithmetic(fields));
  push(totalsSum(fields));
  push(dueAfterIssue(fields));
  push(issueDatePlausible(fields, formatIsoDate(addMonths(today, MAX_ISSUE_MONTHS_AHEAD))));
  push(currencyIso(fields));
  push(ibanChecksum(fields));
  return results;
}

/**
 * The amount a line contributes to the sum: its amount, else quantity × unitPrice.
 * A line with neither amount nor quantity nor unit price (a comment or heading
 * line) contributes nothing. A line with a price or quantity but no computable
 * amount makes the sum unknowable: undefined.
 */
function lineContribution(line: InvoiceExtraction['lineItems'][number]): Decimal | null | undefined {
  const amount = toDecimal(line.amount);
  if (amount !== null) return amount;
  const q = toDecimal(line.quantity);
  const p = toDecimal(line.unitPrice);
  if (q !== null && p !== null) return q.times(p);
  if (line.quantity === null && line.unitPrice === null && line.amount === null) return null;
  return undefined;
}

function lineItemsSum(f: InvoiceExtraction): CheckResult | null {
  const contributions: Decimal[] = [];
  for (const line of f.lineItems) {
    const c = lineContribution(line);
    if (c === undefined) return null;
    if (c !== null) contributions.push(c);
  }
  if (contributions.length === 0) return null;
  const total = sum(contributions);
  const n = contributions.length;
  const tolerance = Decimal.max(LINE_SUM_MIN_TOLERANCE, LINE_SUM_TOLERANCE_PER_LINE.times(n));
  const name = INVOICE_CHECKS.lineItemsSum;
  const lines = `${n} line item${n === 1 ? '' : 's'}`;

  const subtotal = toDecimal(f.subtotal.value);
  const grand = toDecimal(f.total.value);
  if (subtotal !== null) {
    // Consumer invoices often list gross (tax-inclusive) line amounts: then the lines sum to the total.
    if (!withinTolerance(total, subtotal, tolerance) && grand !== null && withinTolerance(total, grand, tolerance)) {
      return {
        name,
        passed: true,
        message: `${lines} sum to ${formatAmount(total)}, matching total ${formatAmount(grand)} (line amounts include tax)`,
        fields: ['lineItems', 'total'],
      };
    }
    const ok = withinTolerance(total, subtotal, tolerance);
    return {
      name,
      passed: ok,
      message: ok
        ? `${lines} sum to ${formatAmount(total)}, matching subtotal ${formatAmount(subtotal)}`
        : `${lines} sum to ${formatAmount(total)} but subtotal is ${formatAmount(subtotal)} (difference ${formatAmount(total.minus(subtotal).abs())}, tolerance ${formatAmount(tolerance)})`,
      fields: ['lineItems', 'subtotal'],
    };
  }
  if (grand === null) return null;
  const tax = toDecimal(f.taxTotal.value);
  if (withinTolerance(total, grand, tolerance)) {
    return {
      name,
      passed: true,
      message: `${lines} sum to ${formatAmount(total)}, matching total ${formatAmount(grand)} (no subtotal)`,
      fields: ['lineItems', 'total'],
    };
  }
  if (tax !== null) {
    const net = grand.minus(tax);
    const ok = withinTolerance(total, net, tolerance);
    return {
      name,
      passed: ok,
      message: ok
        ? `${lines} sum to ${formatAmount(total)}, matching total ${formatAmount(grand)} minus tax ${formatAmount(tax)} (no subtotal)`
        : `${lines} sum to ${formatAmount(total)} but total is ${formatAmount(grand)} and total minus tax ${formatAmount(tax)} is ${formatAmount(net)} (no subtotal; tolerance ${formatAmount(tolerance)})`,
      fields: ['lineItems', 'taxTotal', 'total'],
    };
  }
  return {
    name,
    passed: false,
    message: `${lines} sum to ${formatAmount(total)} but total is ${formatAmount(grand)} (no subtotal or tax; difference ${formatAmount(total.minus(grand).abs())}, tolerance ${formatAmount(tolerance)})`,
    fields: ['lineItems', 'total'],
  };
}

/**
 * quantity × unitPrice = amount, for each line where all three are present.
 * Tolerance: max(0.01, |quantity| × half a unit of the unit price's last printed
 * decimal, at least the second) — a unit price printed as 33.33 may really be
 * 33.3333, so 3 × 33.33 = 99.99 against an amount of 100.00 passes.
 * One result for all lines; when it fails, `fields` names the failing lines.
 */
function lineItemArithmetic(f: InvoiceExtraction): CheckResult | null {
  const failures: string[] = [];
  const paths: string[] = [];
  let checked = 0;
  f.lineItems.forEach((line, i) => {
    const q = toDecimal(line.quantity);
    const p = toDecimal(line.unitPrice);
    const a = toDecimal(line.amount);
    if (q === null || p === null || a === null || line.unitPrice === null) return;
    checked++;
    const halfUnit = new Decimal(5).times(new Decimal(10).pow(-(Math.max(2, decimalPlacesOf(line.unitPrice.trim())) + 1)));
    const tolerance = Decimal.max(LINE_ARITHMETIC_MIN_TOLERANCE, q.abs().times(halfUnit));
    const product = q.times(p);
    if (!withinTolerance(product, a, tolerance)) {
      failures.push(
        `line ${i + 1}: ${q.toFixed()} × ${formatAmount(p)} = ${formatAmount(product)} but amount is ${formatAmount(a)}`,
      );
      paths.push(`lineItems[${i}]`);
    }
  });
  if (checked === 0) return null;
  const name = INVOICE_CHECKS.lineItemArithmetic;
  if (failures.length === 0) {
    return { name, passed: true, message: `quantity × unit price matches the amount on ${checked} line item${checked === 1 ? '' : 's'}`, fields: ['lineItems'] };
  }
  return { name, passed: false, message: failures.join('; '), fields: paths };
}

function totalsSum(f: InvoiceExtraction): CheckResult | null {
  const subtotal = toDecimal(f.subtotal.value);
  const tax = toDecimal(f.taxTotal.value);
  const total = toDecimal(f.total.value);
  if (subtotal === null || tax === null || total === null) return null;
  const expected = subtotal.plus(tax);
  const ok = withinTolerance(expected, total, TOTALS_TOLERANCE);
  return {
    name: INVOICE_CHECKS.totalsSum,
    passed: ok,
    message: ok
      ? `subtotal ${formatAmount(subtotal)} + tax ${formatAmount(tax)} = ${formatAmount(expected)}, matching total ${formatAmount(total)}`
      : `subtotal ${formatAmount(subtotal)} + tax ${formatAmount(tax)} = ${formatAmount(expected)} but total is ${formatAmount(total)} (difference ${formatAmount(expected.minus(total).abs())}, tolerance ${formatAmount(TOTALS_TOLERANCE)})`,
    fields: ['subtotal', 'taxTotal', 'total'],
  };
}

function dueAfterIssue(f: InvoiceExtraction): CheckResult | null {
  const issue = parseIsoDate(f.issueDate.value);
  const due = parseIsoDate(f.dueDate.value);
  if (issue === null || due === null) return null;
  const issueS = formatIsoDate(issue);
  const dueS = formatIsoDate(due);
  const ok = dueS >= issueS;
  return {
    name: INVOICE_CHECKS.dueAfterIssue,
    passed: ok,
    message: ok ? `due date ${dueS} is on or after issue date ${issueS}` : `due date ${dueS} is before issue date ${issueS}`,
    fields: ['issueDate', 'dueDate'],
  };
}

function issueDatePlausible(f: InvoiceExtraction, latest: string): CheckResult | null {
  if (f.issueDate.value === null) return null;
  const name = INVOICE_CHECKS.issueDatePlausible;
  const fields = ['issueDate'];
  const issue = parseIsoDate(f.issueDate.value);
  if (issue === null) return { name, passed: false, message: `issue date ${JSON.stringify(f.issueDate.value)} is not a real calendar date`, fields };
  const s = formatIsoDate(issue);
  if (s < EARLIEST_ISSUE_DATE) return { name, passed: false, message: `issue date ${s} is before ${EARLIEST_ISSUE_DATE}`, fields };
  if (s > latest) return { name, passed: false, message: `issue date ${s} is more than a year in the future (after ${latest})`, fields };
  return { name, passed: true, message: `issue date ${s} is between ${EARLIEST_ISSUE_DATE} and ${latest}`, fields };
}

function currencyIso(f: InvoiceExtraction): CheckResult | null {
  const c = f.currency.value;
  if (c === null) return null;
  const ok = isIsoCurrency(c);
  return {
    name: INVOICE_CHECKS.currencyIso,
    passed: ok,
    message: ok ? `currency ${c} is an ISO 4217 code` : `currency ${JSON.stringify(c)} is not an ISO 4217 code`,
    fields: ['currency'],
  };
}

function ibanChecksum(f: InvoiceExtraction): CheckResult | null {
  const iban = f.iban.value;
  if (iban === null) return null;
  const ok = isValidIban(iban);
  return {
    name: INVOICE_CHECKS.ibanChecksum,
    passed: ok,
    message: ok ? `IBAN ${iban} has a valid length and mod-97 checksum` : `IBAN ${iban} fails the ISO 13616 length or mod-97 checksum`,
    fields: ['iban'],
  };
}
