import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, loadDataset } from '../../src/eval/loaders.ts';

const PDF = '%PDF-1.4\n%%EOF\n';

function dir(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'docroute-eval-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    writeFileSync(path.join(root, name), content);
  }
  return root;
}

describe('kleister loader', () => {
  it('pairs in.tsv and expected.tsv line by line; an empty gold line is a document with no items', () => {
    const root = dir({
      'in.tsv': 'a.pdf\teffective_date jurisdiction party term\nb.pdf\teffective_date jurisdiction party term\n',
      'expected.tsv': 'jurisdiction=New_York party=A_Inc. party=B_LLC term=3_years\n\n',
      'documents/a.pdf': PDF,
      'documents/b.pdf': PDF,
    });
    const docs = loadDataset(root, 'kleister');
    expect(docs.map((d) => d.name)).toEqual(['documents/a.pdf', 'documents/b.pdf']);
    expect(docs[0]).toMatchObject({ kind: 'contract', gold: { metric: 'f1' } });
    expect(docs[0]!.gold).toEqual({
      metric: 'f1',
      items: [
        { key: 'jurisdiction', value: 'New_York' },
        { key: 'party', value: 'A_Inc.' },
        { key: 'party', value: 'B_LLC' },
        { key: 'term', value: '3_years' },
      ],
    });
    expect(docs[1]!.gold).toEqual({ metric: 'f1', items: [] });
  });

  it('refuses mismatched files and missing documents', () => {
    expect(() => loadDataset(dir({ 'in.tsv': 'a.pdf\tx\n', 'expected.tsv': 'party=A\nparty=B\n', 'documents/a.pdf': PDF }), 'kleister')).toThrow(/1 lines but expected.tsv has 2/);
    expect(() => loadDataset(dir({ 'in.tsv': 'a.pdf\tx\n', 'expected.tsv': 'party=A\n' }), 'kleister')).toThrow(DatasetError);
  });
});

describe('invoice2data loader', () => {
  it('reads NAME.pdf + NAME.json (one-element array), maps the nine keys, skips PDFs without gold', () => {
    const root = dir({
      'x.pdf': PDF,
      'x.json': JSON.stringify([{ issuer: 'X', amount: 4.11, date: '2014-08-03', invoice_number: '42', vat: 'DE 1', currency: 'USD', lines: [] }]),
      'nogold.pdf': PDF,
    });
    const docs = loadDataset(root, 'invoice2data');
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({
      name: 'x.pdf',
      kind: 'invoice',
      gold: { metric: 'accuracy', fields: { total: 4.11, issueDate: '2014-08-03', invoiceNumber: '42', vendorTaxId: 'DE 1', currency: 'USD' } },
    });
    expect(() => loadDataset(dir({ 'y.pdf': PDF, 'y.json': '{bad' }), 'invoice2data')).toThrow(/not valid JSON/);
    expect(() => loadDataset(dir({ 'z.txt': '' }), 'invoice2data')).toThrow(/no NAME.pdf/);
  });
});

describe('docroute loader', () => {
  it('reads manifest.json with our field names, lists for parties', () => {
    const root = dir({
      'manifest.json': JSON.stringify({
        documents: [
          { file: 'inv.pdf', kind: 'invoice', expected: { invoiceNumber: 'A-1', total: '10.00', currency: 'EUR', dueDate: null } },
          { file: 'sub/nda.pdf', kind: 'contract', expected: { parties: ['Acme Inc.', 'Bolt LLC'], term: { count: 2, unit: 'years' }, governingLaw: 'Delaware' } },
        ],
      }),
      'inv.pdf': PDF,
      'sub/nda.pdf': PDF,
    });
    const docs = loadDataset(root, 'docroute');
    expect(docs.map((d) => [d.name, d.kind])).toEqual([
      ['inv.pdf', 'invoice'],
      ['sub/nda.pdf', 'contract'],
    ]);
    expect(docs[1]!.gold).toMatchObject({ metric: 'accuracy', fields: { parties: ['Acme Inc.', 'Bolt LLC'] } });
  });

  it('names what is wrong: unknown fields, missing files, bad shape', () => {
    const bad = (manifest: unknown, extra: Record<string, string> = { 'a.pdf': PDF }) =>
      () => loadDataset(dir({ 'manifest.json': JSON.stringify(manifest), ...extra }), 'docroute');
    expect(bad({ documents: [{ file: 'a.pdf', kind: 'invoice', expected: { totl: 1 } }] })).toThrow(/unknown fields totl/);
    expect(bad({ documents: [{ file: 'b.pdf', kind: 'invoice', expected: {} }] })).toThrow(/b.pdf not found/);
    expect(bad({ documents: [{ file: 'a.pdf', kind: 'receipt', expected: {} }] })).toThrow(/documents.0.kind/);
    expect(bad({ documents: [{ file: 'a.pdf', kind: 'invoice', expected: { total: ['1', '2'] } }] })).toThrow(/one value each/);
    expect(() => loadDataset(dir({}), 'docroute')).toThrow(/manifest.json not found/);
  });
});
