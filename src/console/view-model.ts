/**
 * The document view's model: what the console's server builds
 * (document-view.ts) and its client shows (client/main.ts). Types only, with
 * no imports, so that the browser bundle and the server share one definition.
 */

export type FieldType = 'text' | 'date' | 'amount' | 'currency' | 'iban' | 'duration' | 'boolean';

/** A rectangle on a page, 0–1 of the page's width and height from its top-left corner (src/evidence/locate.ts). */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Where a value was read. On a page: its page and the boxes of its quote there
 * (null when the quote is not on the page's text layer). From an e-invoice's
 * XML: the element path it came from, and no box (an XML has no page to point at).
 */
export interface SourceView {
  page: number | null;
  quote: string | null;
  boxes: Box[] | null;
  /** The XML element path, for values read from an e-invoice. */
  path: string | null;
}

/** Why a document needs a look: the reason as routing recorded it, and in words (src/review/reasons.ts). */
export interface ReasonView {
  code: string;
  text: string;
}

export interface CheckView {
  name: string;
  passed: boolean;
  message: string;
}

export interface FieldView extends SourceView {
  name: string;
  label: string;
  type: FieldType;
  value: unknown;
  confidence: number | null;
  checks: CheckView[];
  /** Why a person should look at this field, in words (empty when nothing stands out). */
  attention: string[];
}

export interface LineView extends SourceView {
  description: string;
  quantity: string | null;
  unitPrice: string | null;
  amount: string | null;
  confidence: number | null;
}

export interface PartyView extends SourceView {
  name: string;
  role: string | null;
  confidence: number | null;
}

export interface ReviewDocumentView {
  documentId: string;
  file: string;
  kind: 'invoice' | 'contract' | 'other' | null;
  status: string;
  reasons: ReasonView[];
  createdAt: string;
  /**
   * What the original is: a PDF has pages to show; an e-invoice's XML has
   * none (its values point at XML paths instead).
   */
  original: 'pdf' | 'xml';
  pages: { page: number; width: number | null; height: number | null }[];
  fields: FieldView[];
  lineItems: LineView[] | null;
  parties: PartyView[] | null;
  /** Checks of the candidate that concern no single field (or the line items). */
  documentChecks: CheckView[];
  candidate: boolean;
}
