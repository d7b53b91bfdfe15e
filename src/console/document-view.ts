import { CONTRACT_SCALAR_FIELDS, INVOICE_SCALAR_FIELDS } from '../../schemas/index.ts';
import type { Db } from '../db/database.ts';
import { loadPageItems, loadPageSizes } from '../db/pages.ts';
import { loadReviewDocument } from '../db/review-queue.ts';
import { locateQuote, type EvidenceBox } from '../evidence/locate.ts';

/**
 * A document in review as the console shows it: each field with its value,
 * confidence, the checks that concern it, why it needs a look, and the box of
 * its quote on its page (located in the text layer, like stored evidence).
 */

export type FieldType = 'text' | 'date' | 'amount' | 'currency' | 'iban' | 'duration' | 'boolean';

export interface FieldView {
  name: string;
  label: string;
  type: FieldType;
  value: unknown;
  confidence: number | null;
  page: number | null;
  quote: string | null;
  boxes: EvidenceBox[] | null;
  checks: { name: string; passed: boolean; message: string }[];
  /** Why a person should look at this field, in words (empty when nothing stands out). */
  attention: string[];
}

export interface LineView {
  description: string;
  quantity: string | null;
  unitPrice: string | null;
  amount: string | null;
  confidence: number | null;
  page: number | null;
  boxes: EvidenceBox[] | null;
}

export interface ReviewDocumentView {
  documentId: string;
  file: string;
  kind: 'invoice' | 'contract' | 'other' | null;
  status: string;
  reasons: string[];
  createdAt: string;
  pages: { page: number; width: number | null; height: number | null }[];
  fields: FieldView[];
  lineItems: LineView[] | null;
  parties: { name: string; role: string | null; confidence: number | null; page: number | null; boxes: EvidenceBox[] | null }[] | null;
  /** Checks of the candidate that concern no single field (or the line items). */
  documentChecks: { name: string; passed: boolean; message: string }[];
  candidate: boolean;
}

/** Confidence below this is pointed out (the routing policy's own threshold is applied elsewhere). */
const LOW_CONFIDENCE = 0.8;

const TYPES: Record<string, FieldType> = {
  issueDate: 'date',
  dueDate: 'date',
  effectiveDate: 'date',
  expirationDate: 'date',
  subtotal: 'amount',
  taxTotal: 'amount',
  total: 'amount',
  currency: 'currency',
  iban: 'iban',
  term: 'duration',
  noticePeriod: 'duration',
  autoRenewal: 'boolean',
};

/** "vendorTaxId" → "Vendor tax id". */
export function fieldLabel(name: string): string {
  const words = name.replace(/([A-Z])/g, ' $1').toLowerCase().trim();
  return words.charAt(0).toUpperCase() + words.slice(1).replace(/\biban\b/, 'IBAN').replace(/\bbic\b/, 'BIC');
}

type Extracted = { value: unknown; confidence: number; evidence: { page: number; quote: string } | null };

export async function reviewDocumentView(db: Db, documentId: string): Promise<ReviewDocumentView | null> {
  const loaded = await loadReviewDocument(db, documentId);
  if (!loaded) return null;
  const { doc, candidate, checks } = loaded;
  const pages = await loadPageSizes(db, documentId);
  const items = await loadPageItems(db, documentId, pages.map((p) => p.page));
  const boxesOf = (e: { page: number; quote: string } | null | undefined) => {
    const runs = e ? items.get(e.page) : undefined;
    return e && runs ? locateQuote(runs, e.quote) : null;
  };
  const kind = candidate?.kind ?? (doc.kind === 'invoice' || doc.kind === 'contract' ? doc.kind : null);
  const fields = (candidate?.fields ?? {}) as Record<string, unknown>;
  const names: readonly string[] = kind === 'invoice' ? INVOICE_SCALAR_FIELDS : kind === 'contract' ? CONTRACT_SCALAR_FIELDS : [];
  const checkViews = checks.map((c) => ({ name: c.check_name, passed: c.passed, message: c.message, fields: c.fields }));
  const fieldViews: FieldView[] = names.map((name) => {
    const f = fields[name] as Extracted | undefined;
    const boxes = boxesOf(f?.evidence);
    const concerning = checkViews.filter((c) => c.fields.includes(name)).map(({ name: n, passed, message }) => ({ name: n, passed, message }));
    const attention: string[] = [];
    if (!f || f.value === null) attention.push('no value was found');
    else {
      if (f.confidence < LOW_CONFIDENCE) attention.push(`low confidence (${f.confidence.toFixed(2)})`);
      if (!f.evidence) attention.push('no quote from the document');
      else if (!boxes) attention.push('its quote is not on the page');
    }
    for (const c of concerning) if (!c.passed) attention.push(c.message);
    return {
      name,
      label: fieldLabel(name),
      type: TYPES[name] ?? 'text',
      value: f?.value ?? null,
      confidence: f ? f.confidence : null,
      page: f?.evidence?.page ?? null,
      quote: f?.evidence?.quote ?? null,
      boxes,
      checks: concerning,
      attention,
    };
  });
  type Line = { description: string; quantity: string | null; unitPrice: string | null; amount: string | null; confidence: number; evidence: { page: number; quote: string } | null };
  type Party = { name: string; role: string | null; confidence: number; evidence: { page: number; quote: string } | null };
  const lineItems =
    kind === 'invoice'
      ? ((fields.lineItems as Line[] | undefined) ?? []).map((l) => ({
          description: l.description,
          quantity: l.quantity,
          unitPrice: l.unitPrice,
          amount: l.amount,
          confidence: l.confidence,
          page: l.evidence?.page ?? null,
          boxes: boxesOf(l.evidence),
        }))
      : null;
  const parties =
    kind === 'contract'
      ? ((fields.parties as Party[] | undefined) ?? []).map((p) => ({
          name: p.name,
          role: p.role,
          confidence: p.confidence,
          page: p.evidence?.page ?? null,
          boxes: boxesOf(p.evidence),
        }))
      : null;
  return {
    documentId: doc.id,
    file: doc.file_name,
    kind: doc.kind,
    status: doc.status,
    reasons: doc.review_reasons,
    createdAt: doc.created_at.toISOString(),
    pages,
    fields: fieldViews,
    lineItems,
    parties,
    documentChecks: checkViews
      .filter((c) => c.fields.length === 0 || c.fields.some((f) => !names.includes(f)))
      .map(({ name, passed, message }) => ({ name, passed, message })),
    candidate: candidate !== null,
  };
}
