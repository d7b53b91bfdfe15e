/**
 * Which invoice labels fire on how many documents of the dev sets (the
 * "leave-one-out" check for rules that have no per-document training):
 *   node scripts/label-usage.ts <invoice2data-dir> [<hybrid-pdf-dir>]
 * Prints one line per label alternative: documents it fires on; flags the ones
 * that fire on exactly one document (suspect) or none.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { labelUsage } from '../src/eval/label-usage.ts';
import { parsePdf } from '../src/pdf/parse-pdf.ts';

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  process.stderr.write('usage: node scripts/label-usage.ts <dir-of-pdfs>...\n');
  process.exit(2);
}
const docs: { name: string; text: string }[] = [];
for (const dir of dirs) {
  for (const f of readdirSync(dir).filter((n) => n.toLowerCase().endsWith('.pdf')).sort()) {
    try {
      const parsed = await parsePdf(new Uint8Array(readFileSync(path.join(dir, f))), { maxPages: 200 });
      docs.push({ name: f, text: parsed.pages.map((p) => p.text).join('\n') });
    } catch {
      // unreadable PDFs (the broken-on-purpose files) do not count
    }
  }
}
const rows = labelUsage(docs);
for (const r of rows) {
  const flag = r.documents.length === 0 ? 'NONE ' : r.documents.length === 1 ? 'ONE  ' : '     ';
  process.stdout.write(`${flag}${String(r.documents.length).padStart(3)}  ${r.field.padEnd(18)} ${r.strength.padEnd(6)} ${r.alternative}${r.documents.length === 1 ? `  [${r.documents[0]}]` : ''}\n`);
}
process.stdout.write(`\n${docs.length} documents; ${rows.filter((r) => r.documents.length === 1).length} label alternatives fire on one document, ${rows.filter((r) => r.documents.length === 0).length} on none\n`);
