/**
 * The evaluation runs the workflow's pipeline: with the exact tier on, an
 * e-invoice is claimed from its XML (route ["xml"], no model call); off, the
 * same hybrid PDF goes the text path.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import type { LabelledDocument } from '../../src/eval/loaders.ts';
import { runDocument } from '../../src/eval/runner.ts';
import { createTiers } from '../../src/extraction/tiers.ts';

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
    expect(xml).toMatchObject({ status: 'extracted', route: ['xml'], calls: [] });
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
});
