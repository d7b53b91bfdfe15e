import type { AssembledCandidate } from '../src/extraction/candidate.ts';
import type { DocumentKind, DocumentStatus, ExtractableKind, RouteStep, TierName } from '../schemas/index.ts';

/**
 * The data that crosses the workflow boundary. Only ids, counts and short
 * reasons: document text and extracted fields stay in Postgres, so workflow
 * histories stay small whatever the document's size.
 */
export interface ParsedSummary {
  pageCount: number;
  imageOnlyPages: number[];
  /** Token estimate per page, in page order (for chunking). */
  pageTokens: number[];
  /** Tokens of the whole document as counted by the fast tier. */
  tokens: number;
  tokensEstimated: boolean;
}

export interface Classification {
  kind: DocumentKind;
  confidence: number;
}

export interface ExtractInput {
  documentId: string;
  kind: ExtractableKind;
  tier: TierName;
  pageFrom: number;
  pageTo: number;
  chunkIndex: number | null;
  /** For an escalation: the fields the deep tier is asked to settle. */
  focusFields?: string[];
  /**
   * A cut-off answer for a range of several pages: 'return' ends the attempt
   * with outcome 'cut_off' for the caller to split the range into activities
   * (runs since patch docroute-split-in-workflow); absent or 'in-call': the tier
   * splits within this one activity, as runs started before it expect.
   */
  splitCutOff?: 'in-call' | 'return';
}

/**
 * One range's extraction as the workflow sees it: the attempt row's id and how
 * it ended, with a code for why an answer was unusable. The message itself
 * (which can quote the model's output, i.e. document values) stays in
 * Postgres, in the attempt row: history carries ids and codes.
 *
 * Histories recorded before this carry `error` (the message) instead of
 * `errorCode`; the workflow reads neither, so they replay unchanged.
 */
export interface ExtractOutcome {
  attemptId: string;
  /**
   * cut_off (only when asked with splitCutOff 'return'): the answer for the
   * range's pages was cut off; the attempt row is `invalid` (code cut_off) with
   * what it cost, and the range is to be asked again in halves.
   */
  outcome: 'ok' | 'invalid' | 'cut_off';
  errorCode: ExtractErrorCode | null;
}

/**
 * schema_invalid: the answer did not follow the record's schema; rejected: the
 * tier gave up on it (malformed, a single page cut off, refused); cut_off: the
 * answer for a range of several pages was cut off, to be split by the caller.
 */
export type ExtractErrorCode = 'schema_invalid' | 'rejected' | 'cut_off';

export interface EscalationInput {
  documentId: string;
  /** The fast tier's candidate whose problems are escalated; null to send the whole document. */
  candidateId: string | null;
  /** Page ranges of chunks the fast tier could not extract. */
  failedRanges: { pageFrom: number; pageTo: number }[];
  minConfidence: number;
}

export interface EscalationPlan {
  ranges: { pageFrom: number; pageTo: number }[];
  focusFields: string[];
  /** Expected cost of the deep-tier calls (USD). */
  estimatedCostUsd: number;
  /** What the document's model calls have cost so far (USD). */
  spentUsd: number;
}

export interface CandidateInput {
  documentId: string;
  kind: ExtractableKind;
  stage: 'fast' | 'deep';
  attemptIds: string[];
  /** The second, independent reading of the required fields to compare with (an attempt id), when one was made. */
  secondReadingId?: string;
}

/** A second, independent reading of the required fields over a page range (a paid call of its own). */
export interface SecondReadingInput {
  documentId: string;
  kind: ExtractableKind;
  pageFrom: number;
  pageTo: number;
}

export interface SecondReadingOutcome {
  /** Its attempt row; null when nothing was read (no text to read: no call, no cost). */
  attemptId: string | null;
  outcome: 'ok' | 'invalid' | 'skipped';
}

/**
 * What the workflow learns of a candidate: its id, confidence and what is wrong
 * with it, as codes (`iban_checksum(iban)`) and field names; the messages, which
 * quote values, stay in Postgres (validation_results).
 */
export type CandidateSummary = AssembledCandidate;

export interface RoutingRecord {
  documentId: string;
  sequence: number;
  stage: string;
  action: string;
  reasons: string[];
  inputs: Record<string, unknown>;
}

export interface FinishInput {
  documentId: string;
  status: Extract<DocumentStatus, 'extracted' | 'needs_review' | 'failed'>;
  kind: DocumentKind | null;
  candidateId: string | null;
  route: RouteStep[];
  reasons: string[];
  error: string | null;
}

export interface TierInfo {
  fastModel: string;
  deepModel: string | null;
  deepAvailable: boolean;
  fastReadsImages: boolean;
  deepReadsImages: boolean;
  /** The model of the second, independent reading of required fields; null or absent: none. */
  checkModel?: string | null;
  /**
   * The lowest value confidence accepted without review (tiersValueFloor): the
   * highest floor a configured tier has measured. Null: none measured (the Gemini
   * tiers); absent in runs recorded before it existed. Either way no floor applies.
   */
  valueFloor?: number | null;
}

/** A reviewer's decision on a document in review, as the API sends it (already validated there). */
export interface ReviewDecision {
  /** Who decided (the API key's name, or a name the reviewer gave). */
  reviewer: string;
  action: 'approve' | 'correct' | 'reject';
  /** For `correct`: field → corrected plain value, validated against the kind's correction schema by the API. */
  corrections?: Record<string, unknown>;
  note?: string;
}

export interface ApplyReviewInput {
  documentId: string;
  kind: DocumentKind | null;
  candidateId: string | null;
  decision: ReviewDecision;
}

export interface ReviewOutcome {
  status: 'extracted' | 'failed';
  confidence: number | null;
  recordId: string | null;
  error: string | null;
}

/** What classification from the text found, and whether a tier should look at page images. */
export interface TextClassification extends Classification {
  /** Not recognised from the text, but scanned pages that a tier reading images could classify. */
  scanPages: number[];
}

/** How a document's run ends (v2): the one place the workflow settles a document. */
export interface SettleInput {
  documentId: string;
  status: Extract<DocumentStatus, 'extracted' | 'needs_review' | 'failed' | 'cancelled' | 'stalled'>;
  kind: DocumentKind | null;
  candidateId: string | null;
  route: RouteStep[];
  /** Reasons as codes and short texts without document values. */
  reasons: string[];
  error: string | null;
}

export interface SettleOutcome {
  /** The record version written for an extracted document (null otherwise). */
  recordId: string | null;
  version: number | null;
}

/**
 * A reviewer's decision as it crosses the workflow boundary (v2): the id of the
 * submission stored in Postgres (review_submissions: who, corrections, note,
 * confirmed checks) and the action, never the values.
 */
export interface ReviewRequest {
  submissionId: string;
  action: 'approve' | 'correct' | 'reject';
}

export interface ReviewInput extends ReviewRequest {
  documentId: string;
  kind: DocumentKind | null;
  candidateId: string | null;
  route: RouteStep[];
}

/**
 * What a review came to: applied (a new record version, or the rejection), or
 * refused because checks fail on the corrected record and the reviewer did not
 * confirm them (codes; the messages are in review_submissions). A refused
 * decision leaves the document in review.
 */
export type ReviewResult =
  | {
      outcome: 'applied';
      status: 'extracted' | 'failed';
      recordId: string | null;
      version: number | null;
      /** The reasons of the final state (confirmed or approved failing checks, or the rejection). */
      reasons: string[];
      error: string | null;
    }
  | { outcome: 'checks_failed'; failedChecks: string[] };

/** What the exact e-invoice tier found in a document (see activities/einvoice.ts). */
/**
 * readDocument: the e-invoice read and, unless an XML file was claimed, the parse,
 * in one activity. A parse that gave a verdict about the document (BadDocument)
 * is returned as `parseError`, not thrown: the e-invoice read's routing decision
 * is recorded first, as when they were two activities.
 */
export interface DocumentRead {
  einvoice: EInvoiceRead;
  parsed: ParsedSummary | null;
  parseError: string | null;
}

export interface EInvoiceRead {
  /** claimed: read from its XML; absent: no e-invoice; unreadable: an embedded XML that cannot be read. */
  outcome: 'claimed' | 'absent' | 'unreadable';
  container: 'xml' | 'pdf' | 'other';
  /** The exact tier's attempt (claimed only). */
  attemptId: string | null;
  /** What was found, or why nothing was (recorded with the routing decision). */
  note: string;
}

export interface EInvoiceScoreInput {
  documentId: string;
  attemptId: string;
  /** Compare the PDF's page text with the XML (a hybrid PDF whose pages were parsed). */
  crossCheck: boolean;
  /** Problems found on the way (e.g. the page could not be read), each a failed check. */
  problems?: string[];
}
