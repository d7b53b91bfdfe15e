import type { DocumentView } from '../app/document-view.ts';
import type { IngestedFile } from '../ingest/ingest.ts';

const STATUS_MARK: Record<string, string> = {
  extracted: 'extracted   ',
  needs_review: 'needs_review',
  failed: 'failed      ',
  processing: 'processing  ',
  received: 'received    ',
  cancelled: 'cancelled   ',
  stalled: 'stalled     ',
};

/** What ran, as a person should read it: "rules", "gemini-2.5-flash→gemini-2.5-pro" (the stored route before any attempt). */
export function routeText(view: Pick<DocumentView, 'route' | 'ranOn'>): string {
  return (view.ranOn.length ? view.ranOn : view.route).join('→') || '-';
}

/** One line per document: status, kind, what ran, confidence, file, id, and why when it is not extracted. */
export function printDocumentLine(view: DocumentView, ingested?: IngestedFile): void {
  const parts = [
    STATUS_MARK[view.status] ?? view.status,
    (view.kind ?? '-').padEnd(8),
    routeText(view).padEnd(10),
    view.confidence === null ? '  -  ' : view.confidence.toFixed(2).padStart(5),
    view.file,
    `id ${view.documentId}`,
  ];
  if (ingested?.duplicate) parts.push('(already known: nothing new started)');
  let line = parts.join('  ');
  if (['failed', 'cancelled', 'stalled'].includes(view.status) && view.error) line += `\n    reason: ${view.error}`;
  if (view.status === 'needs_review' && view.reviewReasonsInWords.length) line += `\n    review: ${view.reviewReasonsInWords.map((r) => r.text).join('; ')}`;
  process.stdout.write(line + '\n');
}

/** A record's main fields as indented `name: value` lines. */
export function printRecord(record: Record<string, unknown>, ranOn: readonly string[] = []): void {
  const skip = new Set(['evidence', 'lineItems', 'parties', 'kind', 'id']);
  for (const [key, value] of Object.entries(record)) {
    if (skip.has(key) || value === null || value === undefined) continue;
    if (key === 'source' && typeof value === 'string' && value.startsWith('model:') && ranOn.length) {
      // Stored under the tier's name (old histories replay against it); shown as what ran.
      process.stdout.write(`    source: ${ranOn.join('→')}\n`);
      continue;
    }
    process.stdout.write(`    ${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}\n`);
  }
  const lines = record.lineItems as { description: string; quantity: string | null; unitPrice: string | null; amount: string | null }[] | undefined;
  if (lines?.length) {
    process.stdout.write(`    lineItems:\n`);
    for (const l of lines) process.stdout.write(`      - ${l.description} | qty ${l.quantity ?? '-'} | unit ${l.unitPrice ?? '-'} | ${l.amount ?? '-'}\n`);
  }
  const parties = record.parties as { name: string; role: string | null }[] | undefined;
  if (parties?.length) {
    process.stdout.write(`    parties:\n`);
    for (const p of parties) process.stdout.write(`      - ${p.name}${p.role ? ` (${p.role})` : ''}\n`);
  }
}

type CandidateField = { value: unknown; confidence?: number; evidence?: { page?: number; quote?: string | null; path?: string } | null };

const cellText = (value: unknown) => (value === null || value === undefined ? '(not found)' : typeof value === 'object' ? JSON.stringify(value) : String(value));

/**
 * A document in review: the candidate's values as the review console and GET
 * /v1/review show them to a reviewer (each with its confidence and where it was
 * read), so the decision can be prepared from the terminal.
 */
export function printCandidate(candidate: NonNullable<DocumentView['candidate']>, reasons: readonly string[]): void {
  const fields = (candidate.fields ?? {}) as Record<string, unknown>;
  process.stdout.write(
    `\n  in review${reasons.length ? ` (${reasons.join('; ')})` : ''}: the candidate a reviewer will see ` +
      `(from ${candidate.stage}, confidence ${candidate.confidence.toFixed(2)}; not a record until approved or corrected):\n`,
  );
  for (const [name, raw] of Object.entries(fields)) {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !('value' in raw)) continue;
    const f = raw as CandidateField;
    const where = !f.evidence
      ? ''
      : f.evidence.path
        ? ` (xml: ${f.evidence.path})`
        : ` (p.${f.evidence.page ?? '?'}${f.evidence.quote ? `: "${f.evidence.quote.replace(/\s+/g, ' ').slice(0, 80)}"` : ''})`;
    const conf = typeof f.confidence === 'number' ? `  conf ${f.confidence.toFixed(2)}` : '';
    process.stdout.write(`    ${name}: ${cellText(f.value)}${f.value === null || f.value === undefined ? '' : `${conf}${where}`}\n`);
  }
  const list = (name: string) => (Array.isArray(fields[name]) ? (fields[name] as Record<string, unknown>[]) : []);
  const lines = list('lineItems');
  if (lines.length) {
    process.stdout.write(`    lineItems:\n`);
    for (const l of lines) process.stdout.write(`      - ${cellText(l.description)} | qty ${String(l.quantity ?? '-')} | unit ${String(l.unitPrice ?? '-')} | ${String(l.amount ?? '-')}\n`);
  }
  const vat = list('vatBreakdown');
  if (vat.length) {
    process.stdout.write(`    vatBreakdown:\n`);
    for (const v of vat) process.stdout.write(`      - ${String(v.category ?? '-')} ${String(v.rate ?? '-')}% of ${String(v.taxableAmount ?? '-')}: ${String(v.taxAmount ?? '-')}\n`);
  }
  const parties = list('parties');
  if (parties.length) {
    process.stdout.write(`    parties:\n`);
    for (const p of parties) process.stdout.write(`      - ${String(p.name)}${p.role ? ` (${String(p.role)})` : ''}\n`);
  }
}
