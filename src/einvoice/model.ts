import { Decimal } from 'decimal.js';
import type { XmlElement } from './xml.ts';

/**
 * An e-invoice as read from its XML (UBL 2.1, UN/CEFACT CII D16B, or the older
 * ZUGFeRD 1.0 CII), before it becomes our invoice record. Every value keeps
 * the element path it was read from: that path is its evidence.
 */
export type EInvoiceSyntax = 'ubl' | 'cii' | 'zugferd1';

export interface XmlValue {
  value: string;
  /** Element path, e.g. "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID". */
  path: string;
}

export interface EInvoiceParty {
  name: XmlValue | null;
  /** VAT identifier (BT-31 / BT-48). */
  vatId: XmlValue | null;
  /** Other tax registration (BT-32, e.g. a German Steuernummer). */
  taxId: XmlValue | null;
  /** Postal address on one line: lines, postcode and city, subdivision, country. */
  address: XmlValue | null;
}

export interface EInvoiceLine {
  id: XmlValue | null;
  name: XmlValue | null;
  quantity: XmlValue | null;
  /** Item net price (BT-146), per `baseQuantity` when that is given. */
  unitPrice: XmlValue | null;
  baseQuantity: XmlValue | null;
  /** Line net amount (BT-131). */
  net: XmlValue | null;
  vatCategory: XmlValue | null;
  vatRate: XmlValue | null;
  path: string;
}

export interface EInvoiceVat {
  category: XmlValue | null;
  rate: XmlValue | null;
  taxable: XmlValue | null;
  tax: XmlValue | null;
  exemptionReason: XmlValue | null;
  path: string;
}

/** A document-level allowance (discount) or charge (BG-20 / BG-21). */
export interface EInvoiceAllowanceCharge {
  charge: boolean;
  amount: XmlValue | null;
  category: XmlValue | null;
  rate: XmlValue | null;
  path: string;
}

export interface EInvoiceTotals {
  /** BT-106 sum of line net amounts. */
  lineNet: XmlValue | null;
  /** BT-107 / BT-108 */
  allowances: XmlValue | null;
  charges: XmlValue | null;
  /** BT-109 total without VAT. */
  taxExclusive: XmlValue | null;
  /** BT-110 VAT total in the invoice currency. */
  tax: XmlValue | null;
  /** BT-112 total with VAT. */
  taxInclusive: XmlValue | null;
  /** BT-113 / BT-114 / BT-115 */
  prepaid: XmlValue | null;
  rounding: XmlValue | null;
  payable: XmlValue | null;
}

export interface EInvoice {
  syntax: EInvoiceSyntax;
  /** The specification identifier (BT-24): EN 16931, XRechnung, a ZUGFeRD/Factur-X profile. */
  profile: XmlValue | null;
  /** Why the invoice has no lines when its profile carries none (MINIMUM, BASIC WL); null otherwise. */
  linesAbsent: string | null;
  number: XmlValue | null;
  typeCode: XmlValue | null;
  documentType: 'invoice' | 'credit_note';
  issueDate: XmlValue | null;
  dueDate: XmlValue | null;
  currency: XmlValue | null;
  buyerReference: XmlValue | null;
  purchaseOrder: XmlValue | null;
  paymentTerms: XmlValue | null;
  iban: XmlValue | null;
  bic: XmlValue | null;
  seller: EInvoiceParty;
  buyer: EInvoiceParty;
  totals: EInvoiceTotals;
  lines: EInvoiceLine[];
  vat: EInvoiceVat[];
  allowancesCharges: EInvoiceAllowanceCharge[];
  /** Values present in the XML that could not be read as what they must be (an amount, a date). */
  problems: { path: string; message: string }[];
}

/** UNTDID 1001 codes EN 16931 allows for a credit note (the rest are invoices). */
export const CREDIT_NOTE_TYPE_CODES = new Set(['81', '83', '261', '262', '296', '308', '381', '396', '420', '458', '532']);

/** Profiles whose XML carries no invoice lines (Factur-X / ZUGFeRD 2 MINIMUM and BASIC WL). */
export function profileWithoutLines(profile: string | null): string | null {
  if (!profile) return null;
  if (/minimum/i.test(profile)) return 'the MINIMUM profile carries no invoice lines';
  if (/basicwl/i.test(profile)) return 'the BASIC WL profile carries no invoice lines';
  return null;
}

/**
 * Builds values from elements, normalising as it goes and noting what it cannot
 * read (shared by the UBL and CII readers).
 */
export class ValueReader {
  readonly problems: { path: string; message: string }[] = [];

  text(element: XmlElement | null | undefined): XmlValue | null {
    if (!element || element.text === '') return null;
    return { value: element.text.replace(/\s+/g, ' ').trim(), path: element.path };
  }

  /** An amount: an exact decimal with at least two decimals ("160" → "160.00"). */
  amount(element: XmlElement | null | undefined): XmlValue | null {
    return this.decimal(element, (d) => d.toFixed(Math.max(2, d.decimalPlaces())), 'an amount');
  }

  /** A quantity or rate: an exact decimal without trailing zeros ("2.000" → "2"). */
  quantity(element: XmlElement | null | undefined): XmlValue | null {
    return this.decimal(element, (d) => d.toFixed(), 'a number');
  }

  /** A VAT rate in percent, at least two decimals ("19" → "19.00"). */
  rate(element: XmlElement | null | undefined): XmlValue | null {
    return this.amount(element);
  }

  /** A date: UBL's YYYY-MM-DD or CII's format 102 (YYYYMMDD). */
  date(element: XmlElement | null | undefined): XmlValue | null {
    const t = this.text(element);
    if (!t) return null;
    const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(t.value);
    const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(t.value);
    const m = compact ?? iso;
    if (!m) {
      this.problems.push({ path: t.path, message: `"${t.value}" is not a date` });
      return null;
    }
    const value = `${m[1]}-${m[2]}-${m[3]}`;
    const d = new Date(`${value}T00:00:00Z`);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) {
      this.problems.push({ path: t.path, message: `"${t.value}" is not a calendar date` });
      return null;
    }
    return { value, path: t.path };
  }

  /** An IBAN or other account id without spaces, upper case. */
  account(element: XmlElement | null | undefined): XmlValue | null {
    const t = this.text(element);
    return t ? { value: t.value.replace(/\s+/g, '').toUpperCase(), path: t.path } : null;
  }

  private decimal(element: XmlElement | null | undefined, format: (d: Decimal) => string, what: string): XmlValue | null {
    const t = this.text(element);
    if (!t) return null;
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t.value)) {
      this.problems.push({ path: t.path, message: `"${t.value}" is not ${what}` });
      return null;
    }
    return { value: format(new Decimal(t.value)), path: t.path };
  }
}

/** Joins the parts of an address that are present. */
export function joinAddress(parts: (string | null | undefined)[]): string | null {
  const present = parts.map((p) => p?.replace(/\s+/g, ' ').trim()).filter((p): p is string => !!p);
  return present.length > 0 ? present.join(', ') : null;
}

/** "12345 Berlin" from the parts present. */
export function postcodeCity(postcode: string | null | undefined, city: string | null | undefined): string | null {
  return [postcode, city].map((p) => p?.trim()).filter(Boolean).join(' ') || null;
}
