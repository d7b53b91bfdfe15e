import type { AssembledCandidate } from '../src/extraction/candidate.ts';
import type { DocumentKind, DocumentStatus, ExtractableKind, TierName } from '../schemas/index.ts';

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
}

export interface ExtractOutcome {
  attemptId: string;
  outcome: 'ok' | 'invalid';
  error: string | null;
}

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
  route: TierName[];
  reasons: string[];
  error: string | null;
}

export interface TierInfo {
  fastModel: string;
  deepModel: string | null;
  deepAvailable: boolean;
  fastReadsImages: boolean;
  deepReadsImages: boolean;
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
  route: TierName[];
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
  route: TierName[];
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
