/**
 * Labelled sets on disk → documents with their gold data. Four formats:
 * - `kleister`: `in.tsv` (file TAB keys), `expected.tsv` (the gold line of the
 *   same row: space-separated key=value), `documents/FILE` (the PDFs);
 * - `invoice2data`: `NAME.pdf` beside `NAME.json` (a one-element array);
 * - `docroute`: `manifest.json` listing `{file, kind, expected}` (docs/eval-format.md);
 * - `einvoice`: e-invoice XML written twice, `NAME_ubl.xml` and `NAME_uncefact.xml`
 *   (the KoSIT XRechnung suite): each file scored against the gold read from its
 *   twin by an independent reader (src/eval/einvoice-gold.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { CONTRACT_SCALAR_FIELDS, INVOICE_SCALAR_FIELDS, type ExtractableKind } from '../../schemas/index.ts';
import { eInvoicePairs } from './einvoice-gold.ts';
import { invoice2dataGold, parseKleisterLine, type FieldGold, type KleisterItem } from './metrics.ts';

export const EVAL_FORMATS = ['kleister', 'invoice2data', 'docroute', 'einvoice'] as const;
export type EvalFormat = (typeof EVAL_FORMATS)[number];

export type Gold = { metric: 'f1'; items: KleisterItem[] } | { metric: 'accuracy'; fields: FieldGold };

export interface LabelledDocument {
  /** A name to show: the file's path relative to the set's directory. */
  name: string;
  /** Absolute path of the file (a PDF, or an e-invoice's XML). */
  file: string;
  /** The kind the gold data describes. */
  kind: ExtractableKind;
  gold: Gold;
}

export class DatasetError extends Error {
  override name = 'DatasetError';
}

export function loadDataset(dir: string, format: EvalFormat): LabelledDocument[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DatasetError(`${dir}: not a directory`);
  switch (format) {
    case 'kleister':
      return loadKleister(dir);
    case 'invoice2data':
      return loadInvoice2data(dir);
    case 'docroute':
      return loadDocroute(dir);
    case 'einvoice':
      return loadEInvoicePairs(dir);
  }
}

function readText(file: string): string {
  if (!existsSync(file)) throw new DatasetError(`${file} not found`);
  return readFileSync(file, 'utf8');
}

/** Lines of a TSV, without the trailing empty line a final newline makes (inner empty lines are kept: an empty gold line is a document with no items). */
function lines(text: string): string[] {
  const out = text.replace(/\r\n/g, '\n').split('\n');
  if (out.at(-1) === '') out.pop();
  return out;
}

export function loadKleister(dir: string): LabelledDocument[] {
  const inputs = lines(readText(path.join(dir, 'in.tsv')));
  const expected = lines(readText(path.join(dir, 'expected.tsv')));
  if (inputs.length !== expected.length) {
    throw new DatasetError(`${dir}: in.tsv has ${inputs.length} lines but expected.tsv has ${expected.length}; they must match line by line`);
  }
  return inputs.map((line, i) => {
    const file = (line.split('\t')[0] ?? '').trim();
    if (!file) throw new DatasetError(`${dir}/in.tsv line ${i + 1}: no file name`);
    const candidates = [path.join(dir, 'documents', file), path.join(dir, file)];
    const found = candidates.find((c) => existsSync(c));
    if (!found) throw new DatasetError(`${dir}/in.tsv line ${i + 1}: ${file} not found in ${path.join(dir, 'documents')}`);
    return {
      name: path.relative(dir, found),
      file: found,
      kind: 'contract' as const,
      gold: { metric: 'f1' as const, items: parseKleisterLine(expected[i] ?? '') },
    };
  });
}

export function loadInvoice2data(dir: string): LabelledDocument[] {
  const pdfs = readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.pdf'))
    .sort();
  const docs: LabelledDocument[] = [];
  for (const pdf of pdfs) {
    const json = path.join(dir, pdf.replace(/\.pdf$/i, '.json'));
    if (!existsSync(json)) continue; // a PDF without gold is not part of the set
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(json, 'utf8'));
    } catch (error) {
      throw new DatasetError(`${json}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (!first || typeof first !== 'object') throw new DatasetError(`${json}: expected a one-element array of objects`);
    docs.push({
      name: pdf,
      file: path.join(dir, pdf),
      kind: 'invoice',
      gold: { metric: 'accuracy', fields: invoice2dataGold(first as Record<string, unknown>) },
    });
  }
  if (docs.length === 0) throw new DatasetError(`${dir}: no NAME.pdf with a NAME.json beside it`);
  return docs;
}

const GoldValue = z.union([z.string(), z.number(), z.boolean(), z.object({ count: z.number(), unit: z.string() })]);
const ManifestEntry = z.object({
  file: z.string().min(1),
  kind: z.enum(['invoice', 'contract']),
  expected: z.record(z.string(), z.union([GoldValue, z.array(GoldValue), z.null()])),
});
export const Manifest = z.object({ documents: z.array(ManifestEntry).min(1) });

const FIELDS: Record<ExtractableKind, readonly string[]> = {
  invoice: INVOICE_SCALAR_FIELDS,
  contract: [...CONTRACT_SCALAR_FIELDS, 'parties'],
};

export function loadDocroute(dir: string): LabelledDocument[] {
  const file = path.join(dir, 'manifest.json');
  let parsed;
  try {
    parsed = Manifest.safeParse(JSON.parse(readText(file)));
  } catch (error) {
    if (error instanceof DatasetError) throw error;
    throw new DatasetError(`${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!parsed.success) {
    throw new DatasetError(
      `${file}: ${parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')} (see docs/eval-format.md)`,
    );
  }
  return parsed.data.documents.map((d, i) => {
    const unknown = Object.keys(d.expected).filter((k) => !FIELDS[d.kind].includes(k));
    if (unknown.length > 0) {
      throw new DatasetError(`${file}: documents[${i}] (${d.kind}) has unknown fields ${unknown.join(', ')}; known: ${FIELDS[d.kind].join(', ')}`);
    }
    if (d.kind === 'invoice' && Object.values(d.expected).some(Array.isArray)) {
      throw new DatasetError(`${file}: documents[${i}]: invoice fields take one value each`);
    }
    const pdf = path.resolve(dir, d.file);
    if (!existsSync(pdf)) throw new DatasetError(`${file}: documents[${i}]: ${d.file} not found`);
    return { name: d.file, file: pdf, kind: d.kind, gold: { metric: 'accuracy' as const, fields: d.expected as FieldGold } };
  });
}

/** UBL/CII pairs: both files of each, each with the gold of its twin (files without a twin are not part of the set). */
export function loadEInvoicePairs(dir: string): LabelledDocument[] {
  let pairs;
  try {
    pairs = eInvoicePairs(dir);
  } catch (error) {
    throw new DatasetError(`${dir}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (pairs.documents.length === 0) throw new DatasetError(`${dir}: no NAME_ubl.xml with a NAME_uncefact.xml beside it`);
  return pairs.documents.map((d) => ({
    name: path.relative(dir, d.file),
    file: d.file,
    kind: 'invoice' as const,
    gold: { metric: 'accuracy' as const, fields: d.expected },
  }));
}
