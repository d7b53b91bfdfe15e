/**
 * `docroute eval` as a user runs it: a child process over the real data sets,
 * asserting the targets the README states. The eval runs in process (no
 * Temporal or Postgres): these tests only need ../shared/datasets.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccuracyFigures, F1Figures } from '../../src/eval/metrics.ts';
import { hybridManifest } from '../../src/eval/hybrid-gold.ts';
import type { EvalSummary } from '../../src/eval/summary.ts';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini.ts';
import { DATASETS_DIR, DATASETS_SKIP_MESSAGE, HAVE_DATASETS } from '../support/harness.ts';
import { checkingModel, inventingModel, misreadingModel, readingModel } from '../support/oracle-model.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const INVOICES = path.join(DATASETS_DIR, 'invoice2data');
const KLEISTER = path.join(DATASETS_DIR, 'kleister-nda-dev');
const HYBRID = path.join(DATASETS_DIR, 'einvoices', 'hybrid-pdf');

function docroute(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = { ...process.env };
  delete base.GEMINI_API_KEY;
  delete base.GEMINI_BASE_URL;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin', 'docroute.js'), ...args],
      { cwd: ROOT, env: { ...base, DOCROUTE_LOG_LEVEL: 'warn', ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

const tmp = mkdtempSync(path.join(tmpdir(), 'docroute-eval-e2e-'));

describe.skipIf(!HAVE_DATASETS)(`docroute eval on the real data sets${HAVE_DATASETS ? '' : ` — ${DATASETS_SKIP_MESSAGE}`}`, () => {
  it('invoice2data: ≥ 90% of gold values right over the nine fields, ≥ 98% right at confidence ≥ 0.9; one JSON object on stdout', async () => {
    const report = path.join(tmp, 'invoices.html');
    // The text tiers are measured: the exact e-invoice tier would read AzureInterior.pdf's embedded XML instead.
    const r = await docroute(['eval', INVOICES, '--format', 'invoice2data', '--json', '--report', report], { DOCROUTE_EINVOICE: 'off' });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as EvalSummary; // exactly one JSON value, or this throws
    const overall = s.overall as AccuracyFigures;
    console.log(`invoice2data: ${overall.correct}/${overall.total} = ${overall.accuracy.toFixed(3)}; calibration ${s.calibration.headline.right}/${s.calibration.headline.total}`);
    expect(s.documents).toBe(11);
    expect(overall.total).toBe(64);
    expect(overall.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(Object.keys(s.fields).sort()).toEqual(['currency', 'dueDate', 'iban', 'invoiceNumber', 'issueDate', 'subtotal', 'taxTotal', 'total', 'vendorTaxId']);
    expect(s.calibration.headline.total).toBeGreaterThan(10);
    expect(s.calibration.headline.share).toBeGreaterThanOrEqual(0.98);
    if (s.touchless.accepted > 0) expect(s.touchless.values.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(s.cost.byTier.flash).toMatchObject({ model: 'rules-v1', calls: 11, costUsd: '0.000000' });
    expect(s.routing.share.flash).toBe(1);
    expect(s.routing.share.review + s.routing.share.extracted + s.routing.share.failed).toBeCloseTo(1, 6);
    expect(s.frontier).toBeNull();
    const html = readFileSync(report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|<link|src="http|href="http/i);
  }, 240_000);

  it('Kleister-NDA held-out half (never tuned on): F1 ≥ 0.81, ≥ 98% right at confidence ≥ 0.9, touchless rate reported', async () => {
    const r = await docroute(['eval', KLEISTER, '--format', 'kleister', '--split', 'held-out', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as EvalSummary;
    const overall = s.overall as F1Figures;
    const t = s.touchless;
    console.log(
      `Kleister held-out: F1 ${overall.f1.toFixed(3)} P ${overall.precision.toFixed(3)} R ${overall.recall.toFixed(3)}; calibration ${s.calibration.headline.right}/${s.calibration.headline.total}; touchless ${t.accepted}/${t.documents}, values ${t.values.right}/${t.values.reported}`,
    );
    expect(s.split).toBe('held-out');
    expect(s.documents).toBe(40);
    expect(overall.expected).toBe(162);
    expect(overall.f1).toBeGreaterThanOrEqual(0.81);
    expect(Object.keys(s.fields)).toEqual(['effective_date', 'jurisdiction', 'party', 'term']);
    expect(s.calibration.headline.total).toBeGreaterThan(10);
    expect(s.calibration.headline.share).toBeGreaterThanOrEqual(0.98);
    expect(t.documents).toBe(40);
    expect(t.accepted).toBe(Math.round(s.routing.share.extracted * 40));
    // The acceptance policy: what is accepted unseen is ≥ 99% right.
    if (t.accepted > 0) expect(t.values.accuracy).toBeGreaterThanOrEqual(0.99);
  }, 400_000);

  it.skipIf(!existsSync(HYBRID))('German/French hybrid PDFs on their text layer, the embedded XML as gold: accuracy ≥ 75%, ≥ 98% right at confidence ≥ 0.9, accepted values ≥ 99% right', async () => {
    const gold = await hybridManifest(HYBRID);
    const dir = mkdtempSync(path.join(tmp, 'hybrid-'));
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ documents: gold.documents }));
    const r = await docroute(['eval', dir, '--format', 'docroute', '--json'], { DOCROUTE_EINVOICE: 'off' });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as EvalSummary;
    const overall = s.overall as AccuracyFigures;
    console.log(`hybrid PDFs: ${overall.correct}/${overall.total} = ${overall.accuracy.toFixed(3)}; calibration ${s.calibration.headline.right}/${s.calibration.headline.total}; touchless ${s.touchless.accepted}/${s.touchless.documents}`);
    expect(s.documents).toBeGreaterThanOrEqual(12);
    expect(overall.accuracy).toBeGreaterThanOrEqual(0.75);
    expect(s.calibration.headline.total).toBeGreaterThan(20);
    expect(s.calibration.headline.share).toBeGreaterThanOrEqual(0.98);
    if (s.touchless.accepted > 0) expect(s.touchless.values.accuracy).toBeGreaterThanOrEqual(0.99);
  }, 400_000);

  it('e-invoices (--format einvoice): the KoSIT pairs, each file against its twin, read exactly at cost 0; the text report says so', async () => {
    const dir = path.join(DATASETS_DIR, 'einvoices', 'xrechnung');
    const r = await docroute(['eval', dir, '--format', 'einvoice', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as EvalSummary;
    const overall = s.overall as AccuracyFigures;
    console.log(`KoSIT pairs: ${overall.correct}/${overall.total} = ${overall.accuracy.toFixed(4)}; ${s.documents} documents; cost ${s.cost.routedUsd}`);
    expect(s.documents).toBe(80);
    expect(overall.accuracy).toBeGreaterThanOrEqual(0.98);
    expect(s.routing.share).toMatchObject({ xml: 1, flash: 0, pro: 0, extracted: 1 });
    expect(s.cost.byTier.xml).toMatchObject({ model: 'en16931', calls: 80, costUsd: '0.000000' });
    expect(s.cost.byTier.flash).toBeUndefined();
    expect(s.cost.routedUsd).toBe('0.000000');
    expect(s.perDocument.every((d) => d.route.length === 1 && d.route[0] === 'xml' && d.costUsd === '0.000000')).toBe(true);
    const text = await docroute(['eval', dir, '--format', 'einvoice']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/xml\s+en16931\s+80\s+80\s+0\s+0\s+0\.000000/);
    expect(text.stdout).toContain('read exactly from e-invoice XML (xml, no model, cost 0) 100.0%');
  }, 300_000);

  it('--tiers flash,pro without a Gemini key fails with a message saying why', async () => {
    const r = await docroute(['eval', INVOICES, '--format', 'invoice2data', '--tiers', 'flash,pro', '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/needs the pro \(deep\) tier.*GEMINI_API_KEY/s);
  });

  it('a bad format or directory is refused with exit code 2', async () => {
    expect((await docroute(['eval', INVOICES, '--format', 'csv'])).code).toBe(2);
    const missing = await docroute(['eval', path.join(tmp, 'nope'), '--format', 'kleister']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/not a directory/);
  });

  describe('with both Gemini tiers (real SDK against the fake Gemini server)', () => {
    let fake: FakeGemini;
    beforeAll(async () => {
      fake = await startFakeGemini();
    });
    afterAll(async () => fake?.close());

    it('reads every document with both tiers and reports the routing frontier, with its chart', async () => {
      // Flash invents on the Coolblue and Free invoices (its values are not on the page: low confidence); Pro reads.
      // On the Amazon Web Services and Flipkart invoices it misreads the invoice number as a word of the vendor's
      // name, quoting the vendor line: grounded, and no check concerns it; only the second reading can catch it.
      fake.on('gemini-3.8-flash', 'generateContent', (req) =>
        /coolblue|free/i.test(req.text) ? inventingModel(req) : /amazon web services|flipkart/i.test(req.text) ? misreadingModel(req) : readingModel(req),
      );
      fake.on('gemini-4-carbon', 'generateContent', readingModel);
      // The cheap second reading of the required fields (DOCROUTE_CHECK_MODEL's default), a careful reader.
      fake.on('gemini-3.5-flash-lite', 'generateContent', checkingModel());
      const report = path.join(tmp, 'frontier.html');
      const r = await docroute(['eval', INVOICES, '--format', 'invoice2data', '--tiers', 'flash,pro', '--json', '--report', report], {
        DOCROUTE_EINVOICE: 'off',
        GEMINI_API_KEY: 'test-key-AIzaFAKE-0123456789',
        GEMINI_BASE_URL: fake.url,
      });
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout) as EvalSummary;
      expect(s.mode).toBe('both');
      expect(s.tiers).toEqual({ fast: 'gemini-3.8-flash', deep: 'gemini-4-carbon' });
      expect(s.cost.byTier.flash?.calls, JSON.stringify(s.perDocument.map((d: any) => [d.name ?? d.file, d.status, d.route, d.reasons]))).toBeGreaterThanOrEqual(11);
      expect(s.cost.byTier.pro?.calls).toBe(11);
      expect(Number(s.cost.byTier.pro?.costUsd)).toBeGreaterThan(Number(s.cost.byTier.flash?.costUsd));
      const f = s.frontier!;
      expect(f.rows).toHaveLength(21);
      expect(f.rows[0]).toMatchObject({ threshold: 0, shareDeep: 0 });
      expect(f.rows[0]!.metric).toBeCloseTo(f.allFast.metric, 10);
      expect(f.allDeep.shareDeep).toBe(1);
      expect(f.allDeep.costPer1000Usd).toBeGreaterThan(f.allFast.costPer1000Usd);
      // The invented readings are caught by their confidence: a middle threshold sends them to Pro and wins accuracy back.
      const mid = f.rows.find((row) => row.threshold === 0.5)!;
      expect(mid.shareDeep).toBeGreaterThan(0);
      expect(mid.shareDeep).toBeLessThan(1);
      expect(mid.metric).toBeGreaterThan(f.allFast.metric);
      expect(mid.costPer1000Usd).toBeLessThan(f.rows[20]!.costPer1000Usd);
      const html = readFileSync(report, 'utf8');
      expect(html).toContain('Routing frontier');
      expect(html).toMatch(/<svg[^>]*aria-label="field accuracy against cost per 1,000 documents"/);
      expect(html).toContain('all deep');
      // With and without the second reading: on the same readings, the same policy; its calls are what "with" pays more.
      const e = s.secondReading!;
      expect(e.model).toBe('gemini-3.5-flash-lite');
      expect(e.compared).toBeGreaterThanOrEqual(9);
      expect(e.agreedFields).toBeGreaterThan(0);
      expect(e.disagreedFields).toBeGreaterThan(0); // the invented readings
      expect(e.with.costPerDocumentUsd).toBeGreaterThan(e.without.costPerDocumentUsd);
      // The misread invoice numbers: without the second reading they are accepted as read; with it, the
      // disagreement sends those documents to Pro, which reads them right. Its effect on routing, shown.
      expect(e.with.deepShare).toBeGreaterThan(e.without.deepShare);
      expect(e.with.metric).toBeGreaterThan(e.without.metric);
      expect(e.with.tally.tp).toBeGreaterThan(e.without.tally.tp);
      expect(s.frontierWithoutSecondReading!.rows).toHaveLength(21);
      expect(s.frontierWithoutSecondReading!.allFast.costPer1000Usd).toBeLessThan(f.allFast.costPer1000Usd);
      // One second-reading call per document it was compared on.
      expect(fake.requests.filter((q) => q.model === 'gemini-3.5-flash-lite')).toHaveLength(e.compared);
    }, 240_000);

    it('routed as configured: Flash first, Pro only on what the policy escalates', async () => {
      fake.reset();
      fake.on('gemini-3.8-flash', 'generateContent', (req) => (/coolblue/i.test(req.text) ? inventingModel(req) : readingModel(req)));
      fake.on('gemini-4-carbon', 'generateContent', readingModel);
      const r = await docroute(['eval', INVOICES, '--format', 'invoice2data', '--json'], {
        DOCROUTE_EINVOICE: 'off',
        DOCROUTE_CHECK_MODEL: 'none', // turned off by config: no second reading, no with/without section

        GEMINI_API_KEY: 'test-key-AIzaFAKE-0123456789',
        GEMINI_BASE_URL: fake.url,
      });
      expect(r.code, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout) as EvalSummary;
      expect(s.mode).toBe('routed');
      expect(s.frontier).toBeNull();
      expect(s.secondReading).toBeUndefined();
      expect(fake.requests.some((q) => q.model === 'gemini-3.5-flash-lite')).toBe(false);
      const coolblue = s.perDocument.filter((d) => /coolblue/i.test(d.file));
      expect(coolblue).toHaveLength(2);
      for (const d of coolblue) expect(d.route).toEqual(['flash', 'pro']);
      expect(s.routing.share.pro).toBeGreaterThan(0);
      expect(s.routing.share.pro).toBeLessThanOrEqual(s.routing.wouldEscalate);
      // Pro read what failed: its calls are fewer than one per document, and its cost is counted in the routed cost.
      expect(s.cost.byTier.pro!.calls).toBeLessThan(11);
      expect(Number(s.cost.routedUsd)).toBeCloseTo(Number(s.cost.totalUsd), 6);
      // Pro's readings replace the invented values: the Coolblue totals are right.
      for (const d of coolblue) expect(d.errors.find((e) => e.field === 'total')).toBeUndefined();
    }, 240_000);
  });
});
