/**
 * Writes a `docroute` manifest for the hybrid PDF invoices, their embedded XML
 * as the gold:  node scripts/hybrid-gold.ts <hybrid-pdf-dir> <out-dir>
 * then:         DOCROUTE_EINVOICE=off docroute eval <out-dir> --format docroute
 * The manifest lists the PDFs by absolute path; write it outside the repo.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hybridManifest } from '../src/eval/hybrid-gold.ts';

const [dir, out] = process.argv.slice(2);
if (!dir || !out) {
  process.stderr.write('usage: node scripts/hybrid-gold.ts <hybrid-pdf-dir> <out-dir>\n');
  process.exit(2);
}
const gold = await hybridManifest(path.resolve(dir));
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'manifest.json'), JSON.stringify({ documents: gold.documents }, null, 2) + '\n');
for (const s of gold.skipped) process.stderr.write(`skipped ${s.file}: ${s.reason}\n`);
process.stderr.write(`${gold.documents.length} documents written to ${path.join(out, 'manifest.json')}\n`);
