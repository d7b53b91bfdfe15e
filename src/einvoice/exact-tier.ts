import { ZodError } from 'zod';
import type { InvoiceExtraction } from '../../schemas/index.ts';
import { applyCheckPenalties, documentConfidence } from '../extraction/confidence.ts';
import type { PageText } from '../extraction/model-tier.ts';
import { readPdfAttachments, type AttachmentOptions } from '../pdf/attachments.ts';
import { PdfRejectedError } from '../pdf/pdf-errors.ts';
import { findPdfHeader } from '../pdf/sniff.ts';
import type { CheckResult } from '../validation/checks.ts';
import { checkEn16931 } from './checks.ts';
import { crossCheckPages } from './cross-check.ts';
import { chooseEmbeddedInvoice } from './embedded.ts';
import type { EInvoice, EInvoiceSyntax } from './model.ts';
import { NotAnInvoiceError, readEInvoiceXml, SYNTAX_LABELS, toInvoiceExtraction } from './read.ts';
import { XmlRefusedError } from './xml.ts';

/**
 * The exact tier: an e-invoice's own XML read into our invoice record, with
 * no model and nothing guessed. Name and price as the rest of docroute sees them.
 */
export const EXACT_TIER = { route: 'xml', model: 'en16931', costUsd: '0' } as const;

/** What the exact tier made of a document's bytes. */
export type ExactRead =
  /** The XML was read: the record, the standard's checks, and where it came from. */
  | {
      outcome: 'read';
      container: 'xml' | 'pdf';
      syntax: EInvoiceSyntax;
      profile: string | null;
      linesAbsent: string | null;
      fields: InvoiceExtraction;
      checks: CheckResult[];
      note: string;
    }
  /** Nothing for this tier (a PDF without invoice XML): the text path reads it. */
  | { outcome: 'absent'; container: 'pdf' | 'other'; note: string }
  /** A PDF whose embedded XML cannot be read: the text path reads it, with this reason recorded. */
  | { outcome: 'unreadable'; container: 'pdf'; note: string }
  /** An XML file that is not a readable invoice: the document fails with this reason. */
  | { outcome: 'refused'; container: 'xml'; note: string };

/** True when the bytes start like XML (after a BOM and white space). */
export function looksLikeXml(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return true;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  return bytes[i] === 0x3c; // "<"
}

/**
 * Reads a document's original: an XML file directly, a PDF through the invoice
 * XML it embeds (ZUGFeRD / Factur-X / XRechnung). Never throws for bad input:
 * what cannot be read is an outcome with its reason.
 */
export async function readExact(bytes: Uint8Array, options: AttachmentOptions = {}): Promise<ExactRead> {
  if (findPdfHeader(bytes) < 0) {
    if (!looksLikeXml(bytes)) return { outcome: 'absent', container: 'other', note: 'neither XML nor PDF' };
    try {
      return readXml(bytes, 'xml', 'an XML file');
    } catch (error) {
      return { outcome: 'refused', container: 'xml', note: `not a readable e-invoice: ${reasonOf(error)}` };
    }
  }
  let attachments;
  try {
    attachments = await readPdfAttachments(bytes, options);
  } catch (error) {
    if (error instanceof PdfRejectedError) return { outcome: 'absent', container: 'pdf', note: `the PDF's embedded files could not be listed (${error.message})` };
    throw error;
  }
  const choice = chooseEmbeddedInvoice(attachments);
  if (!choice.attachment) return { outcome: 'absent', container: 'pdf', note: choice.note };
  try {
    return readXml(choice.attachment.bytes, 'pdf', choice.note);
  } catch (error) {
    return { outcome: 'unreadable', container: 'pdf', note: `${choice.note} cannot be read: ${reasonOf(error)}` };
  }
}

function readXml(bytes: Uint8Array, container: 'xml' | 'pdf', found: string): Extract<ExactRead, { outcome: 'read' }> {
  const e: EInvoice = readEInvoiceXml(bytes);
  const fields = toInvoiceExtraction(e);
  const checks = checkEn16931(e);
  return {
    outcome: 'read',
    container,
    syntax: e.syntax,
    profile: e.profile?.value ?? null,
    linesAbsent: e.linesAbsent,
    fields,
    checks,
    note: `${found}: ${SYNTAX_LABELS[e.syntax]}${e.profile ? `, ${e.profile.value}` : ''}${e.linesAbsent ? ` (${e.linesAbsent})` : ''}`,
  };
}

function reasonOf(error: unknown): string {
  if (error instanceof XmlRefusedError || error instanceof NotAnInvoiceError) return error.message;
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    return `a value does not fit the invoice record (${issue ? `${issue.path.join('.')}: ${issue.message}` : error.message})`;
  }
  throw error;
}

/** A scored exact reading: the record, every check, and the document's confidence. */
export interface ExactScore {
  fields: InvoiceExtraction;
  checks: CheckResult[];
  failed: CheckResult[];
  confidence: number;
}

/**
 * Scores an exact reading: the standard's checks, plus (for a hybrid PDF) the
 * page-versus-XML cross-check. A failed check lowers the confidence of the
 * fields it concerns, as for any tier; the routing sends any failure to review.
 */
export function scoreExact(
  read: Pick<Extract<ExactRead, { outcome: 'read' }>, 'fields' | 'checks' | 'linesAbsent'>,
  pages: readonly PageText[] | null,
  extraChecks: readonly CheckResult[] = [],
): ExactScore {
  const checks = [...read.checks, ...(pages ? crossCheckPages(read.fields, pages) : []), ...extraChecks];
  if (read.linesAbsent) checks.push({ name: 'profile_without_lines', passed: true, message: read.linesAbsent, fields: ['lineItems'] });
  const fields = applyCheckPenalties('invoice', read.fields, checks);
  return { fields, checks, failed: checks.filter((c) => !c.passed), confidence: documentConfidence('invoice', fields) };
}
