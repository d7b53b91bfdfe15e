import { formatBoxes } from '../../evidence/format.ts';
import type { FieldEvidenceView } from '../../db/records.ts';
import { describeDocument } from '../../app/document-view.ts';
import { createDb } from '../../db/database.ts';
import { findDocument } from '../../db/documents.ts';
import { migrateToLatest } from '../../db/migrate.ts';
import { startPostgres } from '../../services/postgres.ts';
import type { CliContext } from '../main.ts';
import { printDocumentLine, printRecord } from '../render.ts';

/** Shows one document: its record with evidence, routing decisions and extraction attempts. */
export async function showCommand({ config, log }: CliContext, ref: string, opts: { json?: boolean }): Promise<void> {
  const postgres = await startPostgres(config, log);
  const db = createDb(postgres.url, { max: 2 });
  try {
    await migrateToLatest(db);
    const doc = await findDocument(db, ref);
    if (!doc) throw new Error(`no document matches ${ref}`);
    const view = await describeDocument(db, doc.id);
    const decisions = await db
      .selectFrom('routing_decisions')
      .select(['sequence', 'stage', 'action', 'reason', 'created_at'])
      .where('document_id', '=', doc.id)
      .orderBy('created_at')
      .orderBy('sequence')
      .execute();
    const attempts = await db
      .selectFrom('extraction_attempts')
      .select(['tier', 'model', 'chunk_index', 'page_from', 'page_to', 'input_tokens', 'output_tokens', 'tokens_estimated', 'cost_usd', 'latency_ms', 'outcome', 'error', 'created_at'])
      .where('document_id', '=', doc.id)
      .orderBy('created_at')
      .execute();
    const checks = await db
      .selectFrom('validation_results')
      .select(['check_name', 'passed', 'message'])
      .where('document_id', '=', doc.id)
      .orderBy('created_at')
      .execute();
    if (opts.json) {
      process.stdout.write(JSON.stringify({ ...view, routingDecisions: decisions, attempts, checks }, null, 2) + '\n');
      return;
    }
    printDocumentLine(view);
    process.stdout.write(`  document ${view.documentId}\n  sha256   ${view.sha256}\n  workflow ${view.workflowId}\n`);
    if (view.record) {
      process.stdout.write(`\n  record (version ${String(view.record.version)}, source ${String(view.record.source)}):\n`);
      printRecord(view.record);
      const evidence = view.record.evidence as Record<string, FieldEvidenceView>;
      process.stdout.write(`\n  evidence:\n`);
      for (const [field, e] of Object.entries(evidence)) {
        process.stdout.write(`    ${field} (p.${e.page ?? '?'}, conf ${e.confidence.toFixed(2)}): "${(e.quote ?? '').replace(/\s+/g, ' ').slice(0, 100)}"\n`);
        if (e.quote !== null) process.stdout.write(`      ${formatBoxes(e.boxes)}\n`);
      }
    }
    process.stdout.write(`\n  routing decisions:\n`);
    for (const d of decisions) process.stdout.write(`    ${d.sequence}. [${d.stage}] → ${d.action}: ${d.reason}\n`);
    process.stdout.write(`\n  extraction attempts:\n`);
    for (const a of attempts) {
      process.stdout.write(
        `    ${a.tier} ${a.model} pages ${a.page_from}-${a.page_to}: ${a.outcome}, ${a.input_tokens}${a.tokens_estimated ? '~' : ''} in / ${a.output_tokens} out, $${a.cost_usd}, ${a.latency_ms} ms${a.error ? ` (${a.error})` : ''}\n`,
      );
    }
    if (checks.length) {
      process.stdout.write(`\n  checks:\n`);
      for (const c of checks) process.stdout.write(`    ${c.passed ? 'pass' : 'FAIL'} ${c.check_name}: ${c.message}\n`);
    }
  } finally {
    await db.destroy();
    await postgres.stop();
  }
}
