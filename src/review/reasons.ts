import { checkCode } from '../validation/checks.ts';

/**
 * Why a document is in review, in words a clerk reads. `documents.review_reasons`
 * holds the routing decision's reasons, which pass through workflow history and
 * so name a failed check by its code (`check failed: line_items_sum(lineItems,subtotal)`),
 * never by the values involved. The values are in Postgres, in the checks stored
 * with the candidate: this puts each code next to the words of its check's
 * message ("2 line items sum to 120.00 but subtotal is 130.00 …"). The one place
 * that does it, for the console (queue and document) and the API (review queue,
 * document detail).
 *
 * @example
 *   reviewReasonsInWords(['check failed: iban_checksum(iban)'], candidate.checks)
 *   // → [{ code: 'check failed: iban_checksum(iban)', text: 'IBAN DE00 … fails the ISO 13616 length or mod-97 checksum' }]
 */

export interface ReviewReason {
  /** The reason as routing recorded it (stable; what filters and scripts match). */
  code: string;
  /** The same reason in words, with the values of the check it names. */
  text: string;
}

/** A check stored with a candidate (candidates.checks, validation_results). */
export interface ReasonCheck {
  name: string;
  passed: boolean;
  message: string;
  fields: string[];
}

const CHECK_FAILED = 'check failed: ';

/** "lineItems[2]" → "line items[2]", "vendorTaxId" → "vendor tax id". */
const fieldWords = (path: string) => path.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();

/** One reason in words; a reason that is already a sentence keeps its words. */
export function reviewReasonInWords(code: string, checks: readonly ReasonCheck[]): ReviewReason {
  if (code.startsWith(CHECK_FAILED)) {
    const check = code.slice(CHECK_FAILED.length);
    const messages = [...new Set(checks.filter((c) => !c.passed && checkCode(c) === check).map((c) => c.message))];
    if (messages.length > 0) return { code, text: messages.join('; ') };
    // The candidate that failed it is not at hand (a later candidate passes it): name the check and its fields.
    const m = /^([^(]+)(?:\((.*)\))?$/.exec(check);
    const name = (m?.[1] ?? check).replace(/_/g, ' ');
    const fields = m?.[2] ? ` (${m[2].split(',').map(fieldWords).join(', ')})` : '';
    return { code, text: `the ${name} check failed${fields}` };
  }
  const confidence = /^confidence (\d+(?:\.\d+)?) < (\d+(?:\.\d+)?)$/.exec(code);
  if (confidence) return { code, text: `the models' confidence ${confidence[1]} is below the threshold ${confidence[2]}` };
  const missing = /^(required fields missing|required field missing from the XML): (.+)$/.exec(code);
  if (missing) return { code, text: `${missing[1]}: ${missing[2]!.split(', ').map(fieldWords).join(', ')}` };
  return { code, text: code };
}

/** The reasons of a document in review, in words, in their order. */
export function reviewReasonsInWords(codes: readonly string[], checks: readonly ReasonCheck[]): ReviewReason[] {
  return codes.map((code) => reviewReasonInWords(code, checks));
}
