import { Decimal } from 'decimal.js';
import type { CheckResult } from '../validation/checks.ts';
import type { EInvoice, XmlValue } from './model.ts';

/**
 * The EN 16931 business rules that matter for paying an invoice, run on the
 * XML's own values. Each result's `name` is the rule id of the standard
 * (BR-CO-10 …); a rule whose inputs are absent is skipped, except the rules
 * that require a value to be present. Amounts are compared exactly
 * (decimal.js); a VAT amount may differ from base × rate by the rounding to
 * cents the standard allows.
 */
export function checkEn16931(e: EInvoice): CheckResult[] {
  const out: CheckResult[] = [];
  const rule = (name: string, passed: boolean, message: string, fields: string[]) =>
    out.push({ name, passed, message: passed ? `${name}: ${message}` : `${name} violated: ${message}`, fields });
  const present = (name: string, v: XmlValue | null, what: string, field: string) =>
    rule(name, v !== null, v ? `${what} present` : `${what} is missing`, [field]);

  // Mandatory values.
  present('BR-01', e.profile, 'specification identifier (BT-24)', 'profile');
  present('BR-02', e.number, 'invoice number (BT-1)', 'invoiceNumber');
  present('BR-03', e.issueDate, 'issue date (BT-2)', 'issueDate');
  present('BR-04', e.typeCode, 'invoice type code (BT-3)', 'documentType');
  present('BR-05', e.currency, 'invoice currency (BT-5)', 'currency');
  present('BR-06', e.seller.name, 'seller name (BT-27)', 'vendorName');
  present('BR-07', e.buyer.name, 'buyer name (BT-44)', 'customerName');
  present('BR-13', e.totals.taxExclusive, 'invoice total without VAT (BT-109)', 'subtotal');
  present('BR-14', e.totals.taxInclusive, 'invoice total with VAT (BT-112)', 'total');
  present('BR-15', e.totals.payable, 'amount due for payment (BT-115)', 'total');
  if (e.linesAbsent === null) {
    present('BR-12', e.totals.lineNet, 'sum of invoice line net amounts (BT-106)', 'lineItems');
    rule('BR-16', e.lines.length > 0, e.lines.length > 0 ? `${e.lines.length} invoice line(s)` : 'the invoice has no lines', ['lineItems']);
  }
  for (const p of e.problems) rule('syntax', false, `${p.message} at ${p.path}`, []);

  const d = (v: XmlValue | null): Decimal | null => (v ? new Decimal(v.value) : null);
  const zero = new Decimal(0);
  const eq = (a: Decimal, b: Decimal) => a.eq(b);
  const fmt = (x: Decimal) => x.toFixed(Math.max(2, x.decimalPlaces()));

  // BR-CO-10: sum of line net amounts = BT-106.
  const lineNet = d(e.totals.lineNet);
  const lineAmounts = e.lines.map((l) => d(l.net));
  if (lineNet && e.lines.length > 0 && lineAmounts.every((a) => a !== null)) {
    const sum = lineAmounts.reduce((acc: Decimal, a) => acc.plus(a!), zero);
    rule('BR-CO-10', eq(sum, lineNet), `the lines add up to ${fmt(sum)}, the sum of line net amounts (BT-106) is ${fmt(lineNet)}`, ['lineItems', 'subtotal']);
  }
  // BR-CO-11 / BR-CO-12: document-level allowances and charges add up to their totals.
  const allowances = e.allowancesCharges.filter((a) => !a.charge);
  const charges = e.allowancesCharges.filter((a) => a.charge);
  const sumOf = (list: typeof allowances) => list.reduce((acc, a) => acc.plus(d(a.amount) ?? zero), zero);
  const allowanceTotal = d(e.totals.allowances);
  const chargeTotal = d(e.totals.charges);
  if (allowances.length > 0 || (allowanceTotal && !allowanceTotal.isZero()))
    rule('BR-CO-11', eq(sumOf(allowances), allowanceTotal ?? zero), `allowances add up to ${fmt(sumOf(allowances))}, their total (BT-107) is ${fmt(allowanceTotal ?? zero)}`, ['subtotal']);
  if (charges.length > 0 || (chargeTotal && !chargeTotal.isZero()))
    rule('BR-CO-12', eq(sumOf(charges), chargeTotal ?? zero), `charges add up to ${fmt(sumOf(charges))}, their total (BT-108) is ${fmt(chargeTotal ?? zero)}`, ['subtotal']);
  // BR-CO-13: BT-109 = BT-106 - BT-107 + BT-108.
  const taxExclusive = d(e.totals.taxExclusive);
  if (lineNet && taxExclusive) {
    const expected = lineNet.minus(allowanceTotal ?? zero).plus(chargeTotal ?? zero);
    rule('BR-CO-13', eq(expected, taxExclusive), `line total ${fmt(lineNet)} - allowances ${fmt(allowanceTotal ?? zero)} + charges ${fmt(chargeTotal ?? zero)} = ${fmt(expected)}, the total without VAT (BT-109) is ${fmt(taxExclusive)}`, ['subtotal']);
  }
  // BR-CO-14: BT-110 = sum of the breakdown's VAT amounts.
  const tax = d(e.totals.tax);
  if (tax && e.vat.length > 0 && e.vat.every((v) => v.tax !== null)) {
    const sum = e.vat.reduce((acc, v) => acc.plus(d(v.tax)!), zero);
    rule('BR-CO-14', eq(sum, tax), `the VAT breakdown adds up to ${fmt(sum)}, the VAT total (BT-110) is ${fmt(tax)}`, ['taxTotal', 'vatBreakdown']);
  }
  // BR-CO-15: BT-112 = BT-109 + BT-110.
  const taxInclusive = d(e.totals.taxInclusive);
  if (taxExclusive && taxInclusive) {
    const expected = taxExclusive.plus(tax ?? zero);
    rule('BR-CO-15', eq(expected, taxInclusive), `net ${fmt(taxExclusive)} + VAT ${fmt(tax ?? zero)} = ${fmt(expected)}, the total with VAT (BT-112) is ${fmt(taxInclusive)}`, ['subtotal', 'taxTotal', 'total']);
  }
  // BR-CO-16: BT-115 = BT-112 - BT-113 + BT-114.
  const payable = d(e.totals.payable);
  if (taxInclusive && payable) {
    const prepaid = d(e.totals.prepaid) ?? zero;
    const rounding = d(e.totals.rounding) ?? zero;
    const expected = taxInclusive.minus(prepaid).plus(rounding);
    rule('BR-CO-16', eq(expected, payable), `total ${fmt(taxInclusive)} - prepaid ${fmt(prepaid)} + rounding ${fmt(rounding)} = ${fmt(expected)}, the amount due (BT-115) is ${fmt(payable)}`, ['total']);
  }
  // BR-CO-17: each VAT amount = taxable amount × rate, rounded to cents.
  e.vat.forEach((v, i) => {
    const base = d(v.taxable);
    const rate = d(v.rate);
    const amount = d(v.tax);
    if (!base || !rate || !amount) return;
    const expected = base.times(rate).dividedBy(100).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
    rule('BR-CO-17', expected.minus(amount).abs().lte('0.01'), `VAT at ${fmt(rate)}% on ${fmt(base)} is ${fmt(expected)}, the breakdown says ${fmt(amount)}`, [`vatBreakdown[${i}]`]);
  });
  // BR-x-08: per VAT category and rate, the taxable amount = lines - allowances + charges at that rate.
  if (e.lines.length > 0) {
    e.vat.forEach((v, i) => {
      const base = d(v.taxable);
      if (!base || !v.category) return;
      const same = (category: XmlValue | null, rate: XmlValue | null) =>
        category?.value === v.category!.value && (d(rate) ?? zero).eq(d(v.rate) ?? zero);
      const lines = e.lines.filter((l) => same(l.vatCategory, l.vatRate));
      if (lines.some((l) => l.net === null)) return;
      const expected = lines
        .reduce((acc, l) => acc.plus(d(l.net)!), zero)
        .minus(sumOf(allowances.filter((a) => same(a.category, a.rate))))
        .plus(sumOf(charges.filter((a) => same(a.category, a.rate))));
      const id = `BR-${CATEGORY_RULE_PREFIX[v.category.value] ?? v.category.value}-08`;
      rule(id, eq(expected, base), `lines at category ${v.category.value} ${fmt(d(v.rate) ?? zero)}% add up to ${fmt(expected)} (after allowances and charges), the breakdown's taxable amount is ${fmt(base)}`, [`vatBreakdown[${i}]`, 'lineItems']);
    });
  }
  // BR-CO-25: a positive amount due needs a due date or payment terms.
  if (payable && payable.gt(0)) {
    const ok = e.dueDate !== null || e.paymentTerms !== null;
    rule('BR-CO-25', ok, ok ? 'due date or payment terms present' : `amount due ${fmt(payable)} but neither a due date (BT-9) nor payment terms (BT-20)`, ['dueDate', 'paymentTerms']);
  }
  // Not an EN 16931 rule, but a payment one: the due date is not before the issue date.
  if (e.issueDate && e.dueDate) {
    const ok = e.dueDate.value >= e.issueDate.value;
    rule('due_date_after_issue_date', ok, `due ${e.dueDate.value}, issued ${e.issueDate.value}`, ['dueDate', 'issueDate']);
  }
  return out;
}

/** Rule-id prefixes of the VAT categories (UNCL 5305 code → EN 16931 rule group). */
const CATEGORY_RULE_PREFIX: Record<string, string> = {
  S: 'S',
  Z: 'Z',
  E: 'E',
  AE: 'AE',
  K: 'IC',
  G: 'G',
  O: 'O',
  L: 'AF',
  M: 'AG',
};
