/**
 * Accuracy floors on real documents (../shared/datasets). The floors sit just
 * under what the rules tier measured when they were set, so a regression fails.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PDFParse } from 'pdf-parse';
import { describe, expect, it } from 'vitest';
import { ContractExtraction, InvoiceExtraction } from '../../schemas/index.ts';
import { classifyDocument } from '../../src/classify/classify.ts';
import type { PageText } from '../../src/extraction/model-tier.ts';
import { extractContract } from '../../src/extraction/rules/contract-rules.ts';
import { extractInvoice } from '../../src/extraction/rules/invoice-rules.ts';

const DATASETS = path.resolve(import.meta.dirname, '../../../shared/datasets');
const INVOICES = path.join(DATASETS, 'invoice2data');
const KLEISTER = path.join(DATASETS, 'kleister-nda-dev');

async function pdfPages(file: string): Promise<PageText[]> {
  const parser = new PDFParse({ data: new Uint8Array(readFileSync(file)) });
  try {
    const r = await parser.getText();
    return r.pages.map((p) => ({ pageNumber: p.num, text: p.text, imageOnly: p.text.trim().length < 20 }));
  } finally {
    await parser.destroy();
  }
}

function groundedQuotes(fields: Record<string, unknown>, pages: PageText[]): boolean {
  for (const v of Object.values(fields)) {
    const e = (v as { evidence?: { page: number; quote: string } | null } | null)?.evidence;
    if (!e) continue;
    const p = pages.find((x) => x.pageNumber === e.page);
    if (!p || !p.text.includes(e.quote)) return false;
  }
  return true;
}

describe.skipIf(!existsSync(INVOICES))(`rules tier on invoice2data${existsSync(INVOICES) ? '' : ' (skipped: ../shared/datasets/invoice2data not found)'}`, () => {
  it('gets at least 90% of gold values right and is calibrated at >= 0.9 confidence', async () => {
    const map: Record<string, keyof InvoiceExtraction> = {
      invoice_number: 'invoiceNumber', date: 'issueDate', date_due: 'dueDate', amount: 'total', amount_untaxed: 'subtotal',
      amount_tax: 'taxTotal', currency: 'currency', vat: 'vendorTaxId', iban: 'iban',
    };
    const norm = (k: string, v: unknown): string =>
      ['amount', 'amount_untaxed', 'amount_tax'].includes(k) ? Number(v).toFixed(2) : String(v).toUpperCase().replace(/[\s#]/g, '');
    let right = 0;
    let total = 0;
    let hi = 0;
    let hiRight = 0;
    const files = readdirSync(INVOICES).filter((f) => f.endsWith('.pdf'));
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const f of files) {
      const pages = await pdfPages(path.join(INVOICES, f));
      expect(classifyDocument(pages).kind, f).toBe('invoice');
      const x = InvoiceExtraction.parse(extractInvoice(pages));
      expect(groundedQuotes(x, pages), f).toBe(true);
      const gold = JSON.parse(readFileSync(path.join(INVOICES, f.replace(/\.pdf$/, '.json')), 'utf8'))[0] as Record<string, unknown>;
      for (const [gk, field] of Object.entries(map)) {
        if (gold[gk] === undefined || gold[gk] === null) continue;
        const got = x[field] as { value: string | null; confidence: number };
        const ok = got.value !== null && norm(gk, got.value) === norm(gk, gold[gk]);
        total++;
        if (ok) right++;
        if (got.value !== null && got.confidence >= 0.9) {
          hi++;
          if (ok) hiRight++;
        }
      }
    }
    console.log(`invoice2data: ${right}/${total} right; confidence>=0.9: ${hiRight}/${hi}`);
    // A tuned set: its floor is a regression guard only (the held-out floors are in test/e2e/eval.test.ts).
    // Measured 59/64 = 0.922 after removing the labels only oyo.pdf used (its "Booking ID" was its invoice number).
    expect(right / total).toBeGreaterThanOrEqual(0.9);
    expect(hiRight / hi).toBeGreaterThanOrEqual(0.98);
  });
});

describe.skipIf(!existsSync(KLEISTER))(`rules tier on Kleister-NDA dev${existsSync(KLEISTER) ? '' : ' (skipped: ../shared/datasets/kleister-nda-dev not found)'}`, () => {
  it('reaches the F1 floor on a sample of 40 NDAs', async () => {
    const files = readFileSync(path.join(KLEISTER, 'in.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t')[0]!);
    const expected = readFileSync(path.join(KLEISTER, 'expected.tsv'), 'utf8').split('\n');
    const norm = (v: string) => v.toUpperCase().replace(/,/g, '').replace(/[\s:]+/g, '_');
    let tp = 0;
    let predicted = 0;
    let gold = 0;
    let hi = 0;
    let hiRight = 0;
    for (let i = 0; i < 40; i++) {
      const pages = await pdfPages(path.join(KLEISTER, 'documents', files[i]!));
      expect(classifyDocument(pages).kind, files[i]).toBe('contract');
      const x = ContractExtraction.parse(extractContract(pages));
      expect(groundedQuotes(x, pages), files[i]).toBe(true);
      const g = new Set((expected[i] ?? '').trim().split(' ').filter(Boolean).map((kv) => {
        const [k, ...v] = kv.split('=');
        return `${k}=${norm(v.join('='))}`;
      }));
      const pred: [string, number][] = [];
      if (x.effectiveDate.value) pred.push([`effective_date=${x.effectiveDate.value}`, x.effectiveDate.confidence]);
      if (x.governingLaw.value) pred.push([`jurisdiction=${norm(x.governingLaw.value)}`, x.governingLaw.confidence]);
      for (const p of x.parties) pred.push([`party=${norm(p.name)}`, p.confidence]);
      if (x.term.value) {
        const { count, unit } = x.term.value;
        pred.push([`term=${norm(`${count}_${count === 1 ? unit.replace(/s$/, '') : unit}`)}`, x.term.confidence]);
      }
      for (const [kv, c] of new Map(pred)) {
        predicted++;
        const ok = g.has(kv);
        if (ok) tp++;
        if (c >= 0.9) {
          hi++;
          if (ok) hiRight++;
        }
      }
      gold += g.size;
    }
    const p = tp / predicted;
    const r = tp / gold;
    const f1 = (2 * p * r) / (p + r);
    console.log(`Kleister sample: P ${p.toFixed(3)} R ${r.toFixed(3)} F1 ${f1.toFixed(3)}; confidence>=0.9: ${hiRight}/${hi}`);
    expect(f1).toBeGreaterThanOrEqual(0.82); // measured 0.816 on these 40; 0.828 after enumerated party lists
    if (hi > 0) expect(hiRight / hi).toBeGreaterThanOrEqual(0.95);
  });
});
