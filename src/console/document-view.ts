import { CONTRACT_SCALAR_FIELDS, INVOICE_SCALAR_FIELDS } from '../../schemas/index.ts';
import type { Db } from '../db/database.ts';
import { loadPageItems, loadPageSizes } from '../db/pages.ts';
import { loadReviewDocument } from '../db/review-queue.ts';
import { locateQuote } from '../evidence/locate.ts';
import { reviewReasonsInWords } from '../review/reasons.ts';
import type { FieldType, FieldView, ReviewDocumentView, SourceView } from './view-model.ts';

/**
 * A document in review as the console shows it (the model in view-model.ts):
 * each field with its value, confidence, the checks that concern it, why it
 * needs a look, and where it was read: the box of its quote on its page
 * (located in the text layer, like stored evidence), or the XML path of a
 * value read from an e-invoice.
 */

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

type StoredEvidence = { page: number; quote: string; path?: string } | null;
type Extracted = { value: unknown; confidence: number; evidence: StoredEvidence };
type Line = { description: string; quantity: string | null; unitPrice: string | null; amount: string | null; confidence: number; evidence: StoredEvidence };
type Party = { name: string; role: string | null; confidence: number; evidence: StoredEvidence };

export async function reviewDocumentView(db: Db, documentId: string): Promise<ReviewDocumentView | null> {
  const loaded = await loadReviewDocument(db, documentId);
  if (!loaded) return null;
  const { doc, candidate, checks } = loaded;
  const original = doc.media_type === 'application/xml' ? 'xml' : 'pdf';
  const pages = original === 'xml' ? [] : await loadPageSizes(db, documentId);
  const items = await loadPageItems(db, documentId, pages.map((p) => p.page));
  /** Where a value was read: an XML path (e-invoices), or its page and the boxes of its quote there. */
  const sourceOf = (e: StoredEvidence | undefined): SourceView => {
    if (!e) return { page: null, quote: null, boxes: null, path: null };
    if (e.path) return { page: original === 'xml' ? null : e.page, quote: e.quote, boxes: null, path: e.path };
    const runs = items.get(e.page);
    return { page: e.page, quote: e.quote, boxes: runs ? locateQuote(runs, e.quote) : null, path: null };
  };
  const kind = candidate?.kind ?? (doc.kind === 'invoice' || doc.kind === 'contract' ? doc.kind : null);
  const fields = (candidate?.fields ?? {}) as Record<string, unknown>;
  const names: readonly string[] = kind === 'invoice' ? INVOICE_SCALAR_FIELDS : kind === 'contract' ? CONTRACT_SCALAR_FIELDS : [];
  const checkViews = checks.map((c) => ({ name: c.check_name, passed: c.passed, message: c.message, fields: c.fields }));
  const fieldViews: FieldView[] = names.map((name) => {
    const f = fields[name] as Extracted | undefined;
    const source = sourceOf(f?.evidence);
    const concerning = checkViews.filter((c) => c.fields.includes(name)).map(({ name: n, passed, message }) => ({ name: n, passed, message }));
    const attention: string[] = [];
    if (!f || f.value === null) attention.push('no value was found');
    else {
      if (f.confidence < LOW_CONFIDENCE) attention.push(`low confidence (${f.confidence.toFixed(2)})`);
      if (!f.evidence) attention.push('no quote from the document');
      else if (!source.path && !source.boxes) attention.push('its quote is not on the page');
    }
    for (const c of concerning) if (!c.passed) attention.push(c.message);
    return {
      name,
      label: fieldLabel(name),
      type: TYPES[name] ?? 'text',
      value: f?.value ?? null,
      confidence: f ? f.confidence : null,
      ...source,
      checks: concerning,
      attention,
    };
  });
  const lineItems =
    kind === 'invoice'
      ? ((fields.lineItems as Line[] | undefined) ?? []).map(({ description, quantity, unitPrice, amount, confidence, evidence }) => ({
          description,
          quantity,
          unitPrice,
          amount,
          confidence,
          ...sourceOf(evidence),
        }))
      : null;
  const parties =
    kind === 'contract'
      ? ((fields.parties as Party[] | undefined) ?? []).map(({ name, role, confidence, evidence }) => ({ name, role, confidence, ...sourceOf(evidence) }))
      : null;
  return {
    documentId: doc.id,
    file: doc.file_name,
    kind: doc.kind,
    status: doc.status,
    reasons: reviewReasonsInWords(doc.review_reasons, checkViews),
    createdAt: doc.created_at.toISOString(),
    original,
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
