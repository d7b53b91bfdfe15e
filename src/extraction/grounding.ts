import { askedFields, CONTRACT_FIELDS, INVOICE_FIELDS, mapFields } from '../../schemas/index.ts';
import type {
  InvoiceModelField,
  ContractExtraction,
  Duration,
  Evidence,
  ExtractableKind,
  Extracted,
  FieldType,
  InvoiceExtraction,
} from '../../schemas/index.ts';
import { amountAppearsIn } from '../validation/money.ts';
import type { ExtractionFields, PageText } from './model-tier.ts';
import { currencyAppearsIn, dateAppearsIn, durationAppearsIn, quoteOnPage, textAppearsIn } from './normalize.ts';

/**
 * Grounding: is each extracted value really on the page it cites?
 *
 * A non-null value is GROUNDED when it has evidence and
 *   (a) the quote occurs on the cited page (case- and whitespace-insensitive;
 *       "..." in a quote stands for elided text), and
 *   (b) the value, normalised for its type, occurs in the quote:
 *       - dates in any common written form (see dateAppearsIn),
 *       - amounts with either decimal separator, thousands separators and
 *         currency symbols; the sign is ignored ("-50.00" matches "(50,00)"),
 *       - currencies by ISO code, symbol or name ("EUR" matches "€"),
 *       - durations in digits, number words or an equivalent unit,
 *       - names and identifiers ignoring case, accents, punctuation and spaces,
 *       - booleans (autoRenewal) only need (a): their quote is the clause.
 *   Line items: the description and, when present, the amount must occur in the
 *   quote. Parties: the name must.
 *
 * Scanned pages (imageOnly) have no text layer to check (a) against, so for them
 * only (b) is required; the reader of the image is trusted to quote it.
 *
 * An ungrounded value (including a non-null value with no evidence, or evidence
 * citing a page not in `pages`) keeps its value and evidence, but its confidence
 * becomes min(confidence × UNGROUNDED_FACTOR, UNGROUNDED_CAP), and its path is
 * listed in `ungrounded`. Null values are absent, not claims: never ungrounded.
 * Not idempotent: ground an extraction once.
 */

/** Confidence multiplier for an ungrounded value. */
export const UNGROUNDED_FACTOR = 0.3;
/** Upper bound on an ungrounded value's confidence. */
export const UNGROUNDED_CAP = 0.3;

export function capUngrounded(confidence: number): number {
  return Math.min(confidence * UNGROUNDED_FACTOR, UNGROUNDED_CAP);
}

type ValueMatcher = (value: never, quote: string) => boolean;

const text: ValueMatcher = (value: string, quote) => textAppearsIn(value, quote);
const date: ValueMatcher = (value: string, quote) => dateAppearsIn(value, quote);
const amount: ValueMatcher = (value: string, quote) => amountAppearsIn(value, quote);
const currency: ValueMatcher = (value: string, quote) => currencyAppearsIn(value, quote);
const duration: ValueMatcher = (value: Duration, quote) => durationAppearsIn(value, quote);
const clause: ValueMatcher = () => true;

/** How a value of each registry type is found in its quote (booleans: the quote is the clause). */
const MATCHER_OF_TYPE: Readonly<Record<FieldType, ValueMatcher>> = {
  text,
  identifier: text,
  date,
  money: amount,
  currency,
  boolean: clause,
  duration,
  documentType: text,
};

/** The fields the models are asked for (exact-only fields come from XML, with an element path, not a quote). */
const INVOICE_MATCHERS: Readonly<Record<InvoiceModelField, ValueMatcher>> = mapFields(
  askedFields(INVOICE_FIELDS),
  (spec) => MATCHER_OF_TYPE[spec.type],
);

const CONTRACT_MATCHERS: Readonly<Record<Exclude<keyof ContractExtraction, 'parties'>, ValueMatcher>> = mapFields(
  CONTRACT_FIELDS,
  (spec) => MATCHER_OF_TYPE[spec.type],
);

export function groundExtraction<K extends ExtractableKind>(
  kind: K,
  fields: ExtractionFields<K>,
  pages: readonly PageText[],
): { fields: ExtractionFields<K>; ungrounded: string[] } {
  const byPage = new Map<number, PageText>();
  for (const p of pages) byPage.set(p.pageNumber, p);
  const ungrounded: string[] = [];

  /** (a) + (b) for one value. */
  const grounded = (evidence: Evidence | null, valueInQuote: (quote: string) => boolean): boolean => {
    if (evidence === null) return false;
    const page = byPage.get(evidence.page);
    if (page === undefined) return false;
    if (!page.imageOnly && !quoteOnPage(evidence.quote, page.text)) return false;
    return valueInQuote(evidence.quote);
  };

  const groundScalar = <T>(path: string, field: Extracted<T>, matcher: ValueMatcher): Extracted<T> => {
    if (field.value === null) return { ...field };
    const value = field.value;
    if (grounded(field.evidence, (quote) => (matcher as (v: T, q: string) => boolean)(value, quote))) return { ...field };
    ungrounded.push(path);
    return { ...field, confidence: capUngrounded(field.confidence) };
  };

  if (kind === 'invoice') {
    const f = fields as InvoiceExtraction;
    const out = { ...f } as InvoiceExtraction;
    for (const [name, matcher] of Object.entries(INVOICE_MATCHERS) as [keyof typeof INVOICE_MATCHERS, ValueMatcher][]) {
      (out as Record<string, unknown>)[name] = groundScalar(name, f[name] as Extracted<unknown>, matcher);
    }
    out.lineItems = f.lineItems.map((line, i) => {
      const ok = grounded(
        line.evidence,
        (quote) => textAppearsIn(line.description, quote) && (line.amount === null || amountAppearsIn(line.amount, quote)),
      );
      if (ok) return { ...line };
      ungrounded.push(`lineItems[${i}]`);
      return { ...line, confidence: capUngrounded(line.confidence) };
    });
    return { fields: out as ExtractionFields<K>, ungrounded };
  }

  const f = fields as ContractExtraction;
  const out = { ...f } as ContractExtraction;
  for (const [name, matcher] of Object.entries(CONTRACT_MATCHERS) as [keyof typeof CONTRACT_MATCHERS, ValueMatcher][]) {
    (out as Record<string, unknown>)[name] = groundScalar(name, f[name] as Extracted<unknown>, matcher);
  }
  out.parties = f.parties.map((party, i) => {
    if (grounded(party.evidence, (quote) => textAppearsIn(party.name, quote))) return { ...party };
    ungrounded.push(`parties[${i}]`);
    return { ...party, confidence: capUngrounded(party.confidence) };
  });
  return { fields: out as ExtractionFields<K>, ungrounded };
}
