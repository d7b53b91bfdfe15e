import { formatBoxes } from '../../evidence/format.ts';
import type { FieldEvidenceView } from '../../db/records.ts';
import { describeDocument, engineName, type DocumentView } from '../../app/document-view.ts';
import { listAttemptSummaries, listDocumentChecks, listRoutingDecisions } from '../../db/trail.ts';
import { withDb } from '../with-db.ts';
import type { CliContext } from '../main.ts';
import { resolveDocumentRef } from '../document-ref.ts';
import { printCandidate, printDocumentLine, printRecord } from '../render.ts';

/**
 * Shows one document (by file path, id, content hash or workflow id): its record with
 * evidence, or in review the candidate a reviewer will see; routing decisions and attempts.
 */
export async function showCommand(ctx: CliContext, ref: string, opts: { json?: boolean }): Promise<void> {
  await withDb(ctx, async (db) => {
    const doc = await resolveDocumentRef(db, ref);
    const view = await describeDocument(db, doc.id);
    const decisions = await listRoutingDecisions(db, doc.id);
    const attempts = await listAttemptSummaries(db, doc.id);
    const checks = await listDocumentChecks(db, doc.id);
    if (opts.json) {
      process.stdout.write(JSON.stringify({ ...view, routingDecisions: decisions, attempts, checks }, null, 2) + '\n');
      return;
    }
    printDocumentLine(view);
    process.stdout.write(`  document ${view.documentId}\n  sha256   ${view.sha256}\n  workflow ${view.workflowId}\n`);
    if (isCreditNote(view)) process.stdout.write(`  CREDIT NOTE: its amounts are credited to the buyer, not owed by them\n`);
    if (view.record) {
      process.stdout.write(`\n  record (version ${String(view.record.version)}, by ${recordSource(String(view.record.source), view.ranOn)}):\n`);
      printRecord(view.record, view.ranOn);
      const evidence = view.record.evidence as Record<string, FieldEvidenceView>;
      process.stdout.write(`\n  evidence:\n`);
      for (const [field, e] of Object.entries(evidence)) {
        if (e.path) {
          // Read from an e-invoice's XML: the element path is where it was read (no page box to locate).
          process.stdout.write(`    ${field} (conf ${e.confidence.toFixed(2)}): "${(e.quote ?? '').replace(/\s+/g, ' ').slice(0, 100)}"\n      xml: ${e.path}\n`);
          continue;
        }
        process.stdout.write(`    ${field} (p.${e.page ?? '?'}, conf ${e.confidence.toFixed(2)}): "${(e.quote ?? '').replace(/\s+/g, ' ').slice(0, 100)}"\n`);
        if (e.quote !== null) process.stdout.write(`      ${formatBoxes(e.boxes)}\n`);
      }
    }
    if (view.candidate) printCandidate(view.candidate, view.reviewReasonsInWords.map((r) => r.text));
    process.stdout.write(`\n  routing decisions:\n`);
    for (const d of decisions) process.stdout.write(`    ${d.sequence}. [${d.stage}] → ${d.action}: ${d.reason}\n`);
    process.stdout.write(`\n  extraction attempts:\n`);
    for (const a of attempts) {
      process.stdout.write(
        `    ${engineName(a.model) === 'rules' ? 'rules (offline, in place of flash)' : `${a.tier} ${a.model}`} pages ${a.page_from}-${a.page_to}: ${a.outcome}, ${a.input_tokens}${a.tokens_estimated ? '~' : ''} in / ${a.output_tokens} out, $${a.cost_usd}, ${a.latency_ms} ms${a.error ? ` (${a.error})` : ''}\n`,
      );
    }
    if (checks.length) {
      process.stdout.write(`\n  checks:\n`);
      for (const c of checks) process.stdout.write(`    ${c.passed ? 'pass' : 'FAIL'} ${c.check_name}: ${c.message}\n`);
    }
  });
}

/**
 * A record's stored source ("model:flash", "review:…") as a person should read
 * it: the stored tier name stays "flash" for the offline rules tier (old
 * workflow histories replay against it), the display says what ran.
 */
function recordSource(source: string, ranOn: readonly string[]): string {
  if (!source.startsWith('model:')) return source;
  return ranOn.length ? ranOn.join('→') : source.slice('model:'.length);
}

/** Whether the document's record (or, in review, its candidate) is a credit note: marked so nobody pays it. */
function isCreditNote(view: Pick<DocumentView, 'record' | 'candidate'>): boolean {
  if (view.record?.kind === 'invoice') return view.record.documentType === 'credit_note';
  const fields = view.candidate?.fields as { documentType?: { value?: unknown } } | null | undefined;
  return fields?.documentType?.value === 'credit_note';
}
