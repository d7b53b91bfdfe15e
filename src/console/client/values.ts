import { Decimal } from 'decimal.js';
import { ContractCorrection, InvoiceCorrection } from '../../../schemas/corrections.ts';
import { isValidIban } from '../../validation/iban.ts';
import type { FieldView } from './api.ts';

/**
 * Field values between the form (text a clerk types) and a correction (the
 * values the API takes), validated with the API's own zod schemas as you type.
 */

/** A field's value as text in its input. */
export function toText(field: Pick<FieldView, 'type'>, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (field.type === 'duration') {
    const d = value as { count: number; unit: string };
    return `${d.count} ${d.unit}`;
  }
  if (field.type === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** Text from an input → the value a correction carries (empty → null), before schema validation. */
export function fromText(field: Pick<FieldView, 'type'>, text: string): unknown {
  const t = text.trim();
  if (t === '') return null;
  switch (field.type) {
    case 'amount':
      return t.replace(/[\s,](?=\d{3}(\D|$))/g, '');
    case 'currency':
      return t.toUpperCase();
    case 'iban':
      return t.replace(/\s+/g, '').toUpperCase();
    case 'duration': {
      const m = /^(\d+)\s*([a-z]+)$/i.exec(t);
      if (!m) return { count: Number.NaN, unit: t };
      const unit = m[2]!.toLowerCase();
      return { count: Number(m[1]), unit: unit.endsWith('s') ? unit : `${unit}s` };
    }
    case 'boolean':
      return /^(y|yes|true|1)$/i.test(t) ? true : /^(n|no|false|0)$/i.test(t) ? false : t;
    default:
      return t;
  }
}

type Shape = Record<string, { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } }>;

/** Why a field's text is not a valid value for it, or null (the same schema as the API's corrections). */
export function fieldProblem(kind: 'invoice' | 'contract', field: Pick<FieldView, 'name' | 'type'>, text: string): string | null {
  const shape = (kind === 'invoice' ? InvoiceCorrection.shape : ContractCorrection.shape) as unknown as Shape;
  const schema = shape[field.name];
  if (!schema) return null;
  const value = fromText(field, text);
  const parsed = schema.safeParse(value);
  if (!parsed.success) return parsed.error?.issues[0]?.message ?? 'not a valid value';
  return null;
}

/**
 * What looks wrong but may be what the document says (the record keeps what is
 * printed): an IBAN that fails its length or checksum. Shown, never blocking.
 */
export function fieldWarning(field: Pick<FieldView, 'type'>, text: string): string | null {
  const value = fromText(field, text);
  if (field.type === 'iban' && typeof value === 'string' && !isValidIban(value)) return 'not a valid IBAN (length or ISO 13616 checksum)';
  return null;
}

/** Why a line item cell is not valid, or null (the API's line item schema). */
export function lineProblem(column: 'description' | 'quantity' | 'unitPrice' | 'amount', text: string): string | null {
  const lineItems = (InvoiceCorrection.shape as unknown as { lineItems: { unwrap(): { element: { shape: Shape } } } }).lineItems;
  const shape = lineItems.unwrap().element.shape;
  const value = text.trim() === '' ? (column === 'description' ? '' : null) : text.trim().replace(/[\s,](?=\d{3}(\D|$))/g, '');
  const parsed = shape[column]!.safeParse(value);
  return parsed.success ? null : (parsed.error?.issues[0]?.message ?? 'not valid');
}

export interface LineText {
  description: string;
  quantity: string;
  unitPrice: string;
  amount: string;
}

const dec = (s: string): Decimal | null => {
  try {
    const t = s.trim().replace(/[\s,](?=\d{3}(\D|$))/g, '');
    return t === '' ? null : new Decimal(t);
  } catch {
    return null;
  }
};

/**
 * The arithmetic check, live: the sum of line amounts against the subtotal (or
 * the total when there is no subtotal), and quantity × unit price per line.
 */
export function arithmetic(lines: readonly LineText[], subtotal: string, total: string): { sum: string; ok: boolean | null; message: string; lineIssues: number[] } {
  let sum = new Decimal(0);
  const lineIssues: number[] = [];
  lines.forEach((l, i) => {
    const amount = dec(l.amount);
    if (amount) sum = sum.plus(amount);
    const q = dec(l.quantity);
    const p = dec(l.unitPrice);
    if (amount && q && p && !q.times(p).minus(amount).abs().lte(0.01)) lineIssues.push(i);
  });
  const target = dec(subtotal) ?? dec(total);
  const which = dec(subtotal) ? 'subtotal' : 'total';
  if (lines.length === 0) return { sum: '0.00', ok: null, message: 'no line items', lineIssues };
  if (!target) return { sum: sum.toFixed(2), ok: null, message: `lines sum to ${sum.toFixed(2)}; no ${which} to compare`, lineIssues };
  const ok = sum.minus(target).abs().lte(0.01);
  return {
    sum: sum.toFixed(2),
    ok,
    message: ok ? `lines sum to ${sum.toFixed(2)} = ${which}` : `lines sum to ${sum.toFixed(2)}, ${which} is ${target.toFixed(2)}`,
    lineIssues,
  };
}
