import type { ContractExtraction, Duration } from '../../schemas/index.ts';
import type { CheckResult } from './checks.ts';
import { addDuration, addMonths, approximateDays, daysBetween, formatDuration, formatIsoDate, parseIsoDate } from './dates.ts';

/** Names of the contract checks, as they appear in CheckResult.name. */
export const CONTRACT_CHECKS = {
  expirationAfterEffective: 'expiration_date_after_effective_date',
  effectiveDatePlausible: 'effective_date_plausible',
  termSane: 'term_sane',
  termMatchesDates: 'term_matches_dates',
} as const;

export const EARLIEST_EFFECTIVE_DATE = '1950-01-01';
/** Latest plausible effective date, in months after today. */
export const MAX_EFFECTIVE_MONTHS_AHEAD = 12;
/** Longest sane contract term, in days (100 years). */
export const MAX_TERM_DAYS = 36_525;
/** effective + term may differ from the expiration date by this many days (about a month). */
export const TERM_DATES_TOLERANCE_DAYS = 31;

/**
 * Runs every applicable contract check; checks whose inputs are absent are
 * skipped (see checks.ts). Order: expiration_date_after_effective_date,
 * effective_date_plausible, term_sane, term_matches_dates.
 */
export function validateContract(fields: ContractExtraction, options: { today: string }): CheckResult[] {
  const today = parseIsoDate(options.today);
  if (today === null) throw new Error(`validateContract: today must be an ISO date, got ${JSON.stringify(options.today)}`);
  const results: CheckResult[] = [];
  const effective = parseIsoDate(fields.effectiveDate.value);
  const expiration = parseIsoDate(fields.expirationDate.value);
  const term = fields.term.value;

  if (effective !== null && expiration !== null) {
    const e = formatIsoDate(effective);
    const x = formatIsoDate(expiration);
    const ok = x >= e;
    results.push({
      name: CONTRACT_CHECKS.expirationAfterEffective,
      passed: ok,
      message: ok ? `expiration date ${x} is on or after effective date ${e}` : `expiration date ${x} is before effective date ${e}`,
      fields: ['effectiveDate', 'expirationDate'],
    });
  }

  if (fields.effectiveDate.value !== null) {
    const name = CONTRACT_CHECKS.effectiveDatePlausible;
    const f = ['effectiveDate'];
    const latest = formatIsoDate(addMonths(today, MAX_EFFECTIVE_MONTHS_AHEAD));
    if (effective === null) {
      results.push({ name, passed: false, message: `effective date ${JSON.stringify(fields.effectiveDate.value)} is not a real calendar date`, fields: f });
    } else {
      const e = formatIsoDate(effective);
      if (e < EARLIEST_EFFECTIVE_DATE) results.push({ name, passed: false, message: `effective date ${e} is before ${EARLIEST_EFFECTIVE_DATE}`, fields: f });
      else if (e > latest) results.push({ name, passed: false, message: `effective date ${e} is more than a year in the future (after ${latest})`, fields: f });
      else results.push({ name, passed: true, message: `effective date ${e} is between ${EARLIEST_EFFECTIVE_DATE} and ${latest}`, fields: f });
    }
  }

  if (term !== null) {
    const problem = termProblem(term);
    results.push({
      name: CONTRACT_CHECKS.termSane,
      passed: problem === null,
      message: problem ?? `term of ${formatDuration(term)} is positive and at most 100 years`,
      fields: ['term'],
    });
  }

  if (term !== null && termProblem(term) === null && effective !== null && expiration !== null) {
    const end = addDuration(effective, term);
    const gap = Math.abs(daysBetween(end, expiration));
    const ok = gap <= TERM_DATES_TOLERANCE_DAYS;
    const e = formatIsoDate(effective);
    const x = formatIsoDate(expiration);
    const endS = formatIsoDate(end);
    results.push({
      name: CONTRACT_CHECKS.termMatchesDates,
      passed: ok,
      message: ok
        ? `effective date ${e} + term ${formatDuration(term)} = ${endS}, within ${TERM_DATES_TOLERANCE_DAYS} days of expiration date ${x}`
        : `effective date ${e} + term ${formatDuration(term)} = ${endS} but expiration date is ${x} (${gap} days apart, tolerance ${TERM_DATES_TOLERANCE_DAYS})`,
      fields: ['term', 'effectiveDate', 'expirationDate'],
    });
  }
  return results;
}

function termProblem(term: Duration): string | null {
  if (!Number.isInteger(term.count) || term.count <= 0) return `term count ${term.count} is not a positive whole number`;
  if (approximateDays(term) > MAX_TERM_DAYS) return `term of ${formatDuration(term)} is longer than 100 years`;
  return null;
}
