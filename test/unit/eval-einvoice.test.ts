/**
 * The evaluation runs the workflow's pipeline: with the exact tier on, an
 * e-invoice is claimed from its XML (route ["xml"], no model call); off, the
 * same hybrid PDF goes the text path.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { loadDataset, type LabelledDocument } from '../../src/eval/loaders.ts';
import { runDocument, runEvaluation } from '../../src/eval/runner.ts';
import { summarise } from '../../src/eval/summary.ts';
import { createTiers } from '../../src/extraction/tiers.ts';
import { DATA_DIFFERENCES } from './kosit-differences.ts';

const EINVOICES = path.resolve(import.meta.dirname, '../../../shared/datasets/einvoices');
const NOTE = existsSync(EINVOICES) ? '' : ' (skipped: ../shared/datasets/einvoices not found)';

const doc = (file: string): LabelledDocument => ({
  name: path.basename(file),
  file,
  kind: 'invoice',
  gold: { metric: 'accuracy', fields: {} as never },
});

describe.skipIf(!existsSync(EINVOICES))(`evaluation of e-invoices${NOTE}`, () => {
  it('claims XML and hybrid PDFs exactly when the tier is on, and reads the text when it is off', async () => {
    const on = loadConfig({});
    const off = loadConfig({ DOCROUTE_EINVOICE: 'off' });
    const options = (config: typeof on) => ({ config, tiers: createTiers(config), mode: 'routed' as const, today: '2026-12-01' });

    const xml = await runDocument(doc(path.join(EINVOICES, 'xrechnung', '01.01a-INVOICE_uncefact.xml')), options(on));
    expect(xml).toMatchObject({ status: 'extracted', route: ['xml'] });
    // One reading by the exact tier, priced as its attempt row: no model, no tokens, cost 0.
    expect(xml.calls).toEqual([expect.objectContaining({ tier: 'xml', model: 'en16931', purpose: 'exact', inputTokens: 0, outputTokens: 0, costUsd: '0' })]);
    expect(xml.decisions[0]).toMatchObject({ stage: 'exact', action: 'accept' });
    expect(xml.result?.fields).toMatchObject({ total: { value: '336.90', confidence: 1 } });

    const hybrid = path.join(EINVOICES, 'hybrid-pdf', 'MustangBeispiel20221026.pdf');
    const claimed = await runDocument(doc(hybrid), options(on));
    expect(claimed).toMatchObject({ status: 'needs_review', route: ['xml'] });
    expect(claimed.reasons).toEqual(['check failed: page_matches_xml(total)']);

    const text = await runDocument(doc(hybrid), options(off));
    expect(text.route).not.toContain('xml');
    expect(text.decisions[0]?.stage).toBe('initial');
  });

  it('scores the KoSIT suite like any other set: each file against the gold of its twin, all read exactly at cost 0', async () => {
    const dir = path.join(EINVOICES, 'xrechnung');
    const docs = loadDataset(dir, 'einvoice');
    const twins = readdirSync(dir).filter((f) => f.endsWith('_ubl.xml') && existsSync(path.join(dir, f.replace('_ubl.xml', '_uncefact.xml'))));
    // Both files of every pair, and nothing else (a file without a twin has no independent gold).
    expect(docs.length).toBe(2 * twins.length);
    expect(docs.map((d) => d.name)).not.toContain('05.01a-INVOICE_ubl.xml');
    // The gold of a file is what its twin says: where the suite's two files differ, each is scored against the other's value.
    const gold = (name: string) => (docs.find((d) => d.name === name)!.gold as { fields: Record<string, unknown> }).fields;
    expect(gold('01.21a-INVOICE_ubl.xml').vendorTaxId).toBe('DE152338654');
    expect(gold('01.21a-INVOICE_uncefact.xml').vendorTaxId).toBe('DE 123456789');

    const config = loadConfig({});
    const tiers = createTiers(config);
    const runs = await runEvaluation(docs, { config, tiers, mode: 'routed', today: '2026-12-01', concurrency: 2 });
    for (const run of runs) {
      expect({ file: run.doc.name, status: run.status, route: run.route, calls: run.calls.map((c) => [c.tier, c.costUsd]) }).toEqual({
        file: run.doc.name,
        status: 'extracted',
        route: ['xml'],
        calls: [['xml', '0']],
      });
    }
    const summary = summarise(runs, {
      format: 'einvoice',
      dir,
      mode: 'routed',
      tiers: { fast: tiers.fast.model, deep: null },
      routing: { minConfidence: config.routing.minConfidence, longDocTokens: config.routing.longDocTokens, chunkTokens: config.routing.chunkTokens, docBudgetUsd: config.routing.docBudgetUsd },
    });
    expect(Object.keys(summary.cost.byTier)).toEqual(['xml']);
    expect(summary.cost.byTier.xml).toMatchObject({ model: 'en16931', calls: docs.length, costUsd: '0.000000', inputTokens: 0 });
    expect(summary.cost.routedUsd).toBe('0.000000');
    expect(summary.routing.share).toMatchObject({ xml: 1, flash: 0, pro: 0, extracted: 1 });

    // Every wrong value is one where the suite's two files say different things (checked by hand,
    // test/unit/kosit-differences.ts) and the field is scored; any other error is the reader's.
    const stem = (name: string) => name.replace(/_(ubl|uncefact)\.xml$/, '');
    const expected = docs
      .flatMap((d) => Object.keys(DATA_DIFFERENCES[stem(d.name)] ?? {}).filter((field) => field in gold(d.name)).map((field) => `${d.name} ${field}`))
      .sort();
    const errors = summary.perDocument.flatMap((d) => d.errors.map((e) => `${d.file} ${e.field}`)).sort();
    expect(errors).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
    const overall = summary.overall as { correct: number; total: number };
    expect(overall.total - overall.correct).toBe(expected.length);
    // Scored beyond the text path's fields: the e-invoice fields and the VAT breakdown, entry by entry.
    for (const field of ['documentType', 'buyerReference', 'profile', 'customerTaxId', 'bic', 'vatBreakdown']) {
      expect(summary.fields[field], field).toMatchObject({ accuracy: 1 });
    }
  });
});
