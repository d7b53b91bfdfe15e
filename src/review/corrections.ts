import {
  CONTRACT_SCALAR_FIELDS,
  ContractCorrection,
  emptyContractExtraction,
  emptyInvoiceExtraction,
  INVOICE_SCALAR_FIELDS,
  InvoiceCorrection,
  type ContractExtraction,
  type Extracted,
  type InvoiceExtraction,
} from '../../schemas/index.ts';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** A value a person set: they vouch for it, so it is certain; it has no quote. */
const vouched = <T>(value: T | null): Extracted<T> => ({ value, confidence: 1, evidence: null });

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Applies a reviewer's corrections to the models' candidate (or to an empty
 * record when there was none): corrected fields take the reviewer's value at
 * confidence 1; the rest stay as extracted, with their evidence. Returns the
 * record and what changed (field, before, after), for the audit trail.
 * The corrections are validated again here: the workflow is not the only caller.
 */
export function applyCorrections(
  kind: 'invoice' | 'contract',
  candidate: unknown,
  corrections: Record<string, unknown>,
): { fields: InvoiceExtraction | ContractExtraction; changes: FieldChange[] } {
  const changes: FieldChange[] = [];
  if (kind === 'invoice') {
    const c = InvoiceCorrection.parse(corrections);
    const fields: InvoiceExtraction = structuredClone((candidate as InvoiceExtraction | null) ?? emptyInvoiceExtraction());
    for (const name of INVOICE_SCALAR_FIELDS) {
      if (!(name in c)) continue;
      const after = c[name] ?? null;
      // An exact-only field a text tier did not read counts as absent before.
      const before = fields[name]?.value ?? null;
      if (!same(before, after)) changes.push({ field: name, before, after });
      (fields as Record<string, unknown>)[name] = vouched(after);
    }
    if (c.lineItems) {
      // A line's VAT rate (e-invoices) is shown when it has one, as the reviewer may send it.
      const before = fields.lineItems.map(({ description, quantity, unitPrice, amount, vatRate }) => ({
        description,
        quantity,
        unitPrice,
        amount,
        ...(vatRate != null ? { vatRate } : {}),
      }));
      if (!same(before, c.lineItems)) changes.push({ field: 'lineItems', before, after: c.lineItems });
      fields.lineItems = c.lineItems.map((l) => ({ ...l, confidence: 1, evidence: null }));
    }
    if (c.vatBreakdown) {
      const before = (fields.vatBreakdown ?? []).map(({ category, rate, taxableAmount, taxAmount }) => ({ category, rate, taxableAmount, taxAmount }));
      if (!same(before, c.vatBreakdown)) changes.push({ field: 'vatBreakdown', before, after: c.vatBreakdown });
      fields.vatBreakdown = c.vatBreakdown.map((v) => ({ ...v, confidence: 1, evidence: null }));
    }
    return { fields, changes };
  }
  const c = ContractCorrection.parse(corrections);
  const fields: ContractExtraction = structuredClone((candidate as ContractExtraction | null) ?? emptyContractExtraction());
  for (const name of CONTRACT_SCALAR_FIELDS) {
    if (!(name in c)) continue;
    const after = c[name] ?? null;
    if (!same(fields[name].value, after)) changes.push({ field: name, before: fields[name].value, after });
    (fields as Record<string, unknown>)[name] = vouched(after);
  }
  if (c.parties) {
    const before = fields.parties.map(({ name, role }) => ({ name, role }));
    if (!same(before, c.parties)) changes.push({ field: 'parties', before, after: c.parties });
    fields.parties = c.parties.map((p) => ({ ...p, confidence: 1, evidence: null }));
  }
  return { fields, changes };
}
