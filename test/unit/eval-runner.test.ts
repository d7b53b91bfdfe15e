/**
 * The evaluation in process on the bundled samples, in our own manifest format:
 * the runner (parse → classify → route → chunk → extract → score → route), the
 * summary, and the HTML report's escaping of untrusted text.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { errorsLine, formatSummary } from '../../src/eval/format.ts';
import { calibrationSvg, escapeHtml, renderHtmlReport } from '../../src/eval/html.ts';
import { loadDataset } from '../../src/eval/loaders.ts';
import type { AccuracyFigures } from '../../src/eval/metrics.ts';
import { runEvaluation, type DocumentRun } from '../../src/eval/runner.ts';
import { documentsWithErrors, summarise, type EvalSummary } from '../../src/eval/summary.ts';
import { RULES_VALUE_FLOOR } from '../../src/extraction/rules/rules-tier.ts';
import { createTiers } from '../../src/extraction/tiers.ts';

const SAMPLES = path.resolve(import.meta.dirname, '..', '..', 'samples');
const EVIL = '<script>alert(1)</script><img src=x onerror=alert(2)>';

let runs: DocumentRun[];
let summary: EvalSummary;
let datasetDir: string;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'docroute-eval-runner-'));
  datasetDir = dir;
  for (const f of ['invoice-en-usd.pdf', 'contract-nda.pdf']) copyFileSync(path.join(SAMPLES, f), path.join(dir, f));
  writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({
      documents: [
        {
          file: 'invoice-en-usd.pdf',
          kind: 'invoice',
          // invoiceNumber: case and spaces do not count; total deliberately wrong; purchaseOrder an injection attempt.
          expected: { invoiceNumber: 'hds-2024-0417', issueDate: '2024-03-15', total: '15146.70', currency: 'usd', iban: 'GB92 HRBL 4005 1212 3456 78', purchaseOrder: EVIL },
        },
        {
          file: 'contract-nda.pdf',
          kind: 'contract',
          expected: { parties: ['Brightwater Robotics Ltd', 'Kestrel Biolabs GmbH', 'Nobody Ltd'], effectiveDate: '2024-07-01', term: '2 years', governingLaw: 'England and Wales' },
        },
      ],
    }),
  );
  const config = loadConfig({});
  const tiers = createTiers(config);
  runs = await runEvaluation(loadDataset(dir, 'docroute'), { config, tiers, mode: 'routed', today: '2026-01-01', concurrency: 2 });
  summary = summarise(runs, { format: 'docroute', dir, mode: 'routed', tiers: { fast: tiers.fast.model, deep: null }, routing: config.routing });
});

describe('eval runner on the samples (rules tier, docroute format)', () => {
  it('runs the pipeline path: parsed, classified, routed, one fast-tier call per chunk', () => {
    for (const r of runs) {
      expect(r.classifiedAs).toBe(r.doc.kind);
      expect(r.route).toEqual(['flash']);
      // The exact e-invoice tier looks first (the samples embed no XML: the text path).
      expect(r.decisions[0]).toMatchObject({ stage: 'exact', action: 'text' });
      expect(r.decisions[1]).toMatchObject({ stage: 'initial', action: 'fast' });
      expect(r.decisions[2]?.stage).toBe('after-fast');
      expect(r.calls.length).toBeGreaterThanOrEqual(1);
      expect(r.calls.every((c) => c.outcome === 'ok' && c.model === 'rules-v1')).toBe(true);
      expect(r.result?.confidence).toBeGreaterThan(0);
      expect(['extracted', 'needs_review']).toContain(r.status);
    }
  });

  it("accepts a document only when each of its values reaches the rules tier's value floor; with the floor off, confidence and checks alone decide", async () => {
    const weak = (r: DocumentRun) => Object.values(r.result?.valueConfidences ?? {}).some((c) => c < RULES_VALUE_FLOOR);
    // The samples' rules readings carry optional values below the floor (a vendor address at 0.4, parties at 0.8).
    expect(runs.some(weak)).toBe(true);
    for (const r of runs) {
      if (r.status === 'extracted') expect(weak(r)).toBe(false);
      if (weak(r)) {
        expect(r.status).toBe('needs_review');
        expect(r.reasons.join('; ')).toMatch(new RegExp(`values below the value floor ${RULES_VALUE_FLOOR}: `));
      }
    }
    const config = loadConfig({ DOCROUTE_VALUE_FLOOR: 'off' });
    const off = await runEvaluation(loadDataset(datasetDir, 'docroute'), { config, tiers: createTiers(config), mode: 'routed', today: '2026-01-01', concurrency: 2 });
    for (const r of off) expect(r.reasons.join('; ')).not.toContain('value floor');
    // A reading confident enough with every check passing is accepted without the floor.
    expect(off.some((r) => r.status === 'extracted' && weak(r))).toBe(true);
  });

  it('scores every gold value: 4 of 6 on the invoice (the wrong total and purchase order), 5 of 6 on the contract (an invented party)', () => {
    expect(summary.metric).toBe('accuracy');
    expect(summary.overall as AccuracyFigures).toEqual({ accuracy: 9 / 12, correct: 9, total: 12 });
    expect(summary.fields.purchaseOrder).toEqual({ accuracy: 0, correct: 0, total: 1 });
    expect(summary.fields.total).toEqual({ accuracy: 0, correct: 0, total: 1 });
    expect(summary.fields.parties).toEqual({ accuracy: 2 / 3, correct: 2, total: 3 });
    expect(summary.fields.iban).toEqual({ accuracy: 1, correct: 1, total: 1 });
    const invoice = summary.perDocument.find((d) => d.kind === 'invoice')!;
    const total = invoice.errors.find((e) => e.field === 'total')!;
    expect(total).toMatchObject({ expected: '15146.70', got: '15146.69', right: false });
    expect(total.evidence?.page).toBe(1);
    expect(total.evidence?.quote).toContain('15,146.69');
    expect(summary.calibration.headline.total).toBeGreaterThan(0);
    expect(summary.routing.classification).toEqual({ right: 2, total: 2 });
    expect(summary.cost.byTier.flash?.calls).toBe(runs.reduce((n, r) => n + r.calls.length, 0));
    expect(formatSummary(summary)).toContain('overall');
  });

  it('the HTML report escapes document and gold text: no markup gets through', () => {
    const html = renderHtmlReport(summary, '2026-01-01T00:00:00Z');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script|<link|src="http|href="http/i);
    expect(escapeHtml(`"'&<>`)).toBe('&quot;&#39;&amp;&lt;&gt;');
    // An evidence quote from the document is escaped too.
    const evil = structuredClone(summary);
    evil.perDocument[0]!.errors = [{ field: 'x', expected: 'a', got: 'b', right: false, confidence: 0.5, evidence: { page: 1, quote: `</q>${EVIL}` } }];
    evil.perDocument[0]!.file = `${EVIL}.pdf`;
    const html2 = renderHtmlReport(evil, 'now');
    expect(html2).not.toContain('<script>');
    expect(html2).not.toContain('</q><script');
    expect(html2).toContain('&lt;/q&gt;&lt;script&gt;');
  });
});

describe('the eval report and the command agree', () => {
  it('count the same "documents with errors": a wrong or missing value, or not extracted', () => {
    const s = structuredClone(summary);
    // One document right but in review, one extracted with a wrong value, one right and extracted.
    const [first] = s.perDocument;
    s.perDocument = [
      { ...first!, file: 'in-review.pdf', status: 'needs_review', errors: [] },
      { ...first!, file: 'wrong.pdf', status: 'extracted', errors: [{ field: 'total', expected: '1.00', got: '2.00', right: false, confidence: 0.9, evidence: null }] },
      { ...first!, file: 'right.pdf', status: 'extracted', errors: [] },
    ];
    s.documents = 3;
    expect(documentsWithErrors(s).map((d) => d.file)).toEqual(['in-review.pdf', 'wrong.pdf']);
    const line = errorsLine(s);
    expect(line).toBe('2 of 3 documents have errors: 1 with a wrong or missing value, 1 not extracted (in review or failed)');
    expect(formatSummary(s)).toContain(line);
    const html = renderHtmlReport(s, 'now');
    expect(html).toContain(escapeHtml(line));
    const listed = [...html.matchAll(/<summary><b>([^<]+)<\/b>/g)].map((m) => m[1]);
    expect(listed).toEqual(['in-review.pdf', 'wrong.pdf']);
  });

  it('the calibration chart has regular ticks and the diagonal of perfect calibration, bars as wide as their buckets', () => {
    const svg = calibrationSvg(summary);
    // x and y: 0.0, 0.1, …, 1.0 (x labelled at every tick, y at every other).
    for (let i = 0; i <= 10; i++) expect(svg).toContain(`>${(i / 10).toFixed(1)}</text>`);
    const W = 640;
    const left = 48;
    const right = W - 16;
    const diagonal = /<line x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)" class="diag">/.exec(svg);
    expect(diagonal, 'the diagonal').not.toBeNull();
    const [x1, y1, x2, y2] = diagonal!.slice(1).map(Number);
    expect([x1, x2]).toEqual([left, right]);
    expect(y1).toBeGreaterThan(y2!); // from (0, 0) at the bottom left to (1, 1) at the top right
    // The [0, 0.5) bucket is five times as wide as [0.9, 1]: a bar spans its bucket on the confidence axis.
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    const filled = summary.calibration.buckets.filter((b) => b.share !== null);
    expect(widths).toHaveLength(filled.length);
    filled.forEach((b, i) => expect(widths[i]! + 4).toBeCloseTo((b.to - b.from) * (right - left), 0));
    expect(renderHtmlReport(summary, 'now')).toContain(svg);
  });

  it('the report shows the touchless rate the eval computed, as routed and the best policy', () => {
    const t = summary.touchless;
    const html = renderHtmlReport(summary, 'now');
    expect(html).toContain('<h2>Touchless rate</h2>');
    expect(html).toMatch(new RegExp(`<div class="card">touchless<b>${(t.share * 100).toFixed(1)}%</b>${t.accepted} of ${t.documents} accepted without review`));
    expect(html).toContain(`<td>as routed (status extracted)</td><td class="n">${t.accepted}</td>`);
    const best = structuredClone(summary);
    best.touchless = { ...t, best: { minConfidence: 0.42, accepted: 1, share: 0.5, values: { right: 3, reported: 3, accuracy: 1, missed: 0 } } };
    expect(renderHtmlReport(best, 'now')).toContain('<td>best on this set: confidence ≥ 0.42, checks pass</td><td class="n">1</td><td class="n">50.0%</td><td class="n">3 of 3</td>');
  });
});

describe('eval runner with a second reader (with and without it, on the same readings)', () => {
  it('makes one second-reading call per fast-tier document, scores with and without it, and reports both', async () => {
    const { extractInvoice } = await import('../../src/extraction/rules/invoice-rules.ts');
    const { extractContract } = await import('../../src/extraction/rules/contract-rules.ts');
    const { secondReadingFields } = await import('../../src/extraction/second-reading.ts');
    // A reader of the same type as the Gemini one: reads the required fields from the text, and disagrees on the governing law.
    const check = {
      model: 'second-reader-under-test',
      async read(request: { kind: 'invoice' | 'contract'; pages: readonly import('../../src/extraction/model-tier.ts').PageText[] }) {
        const read = (request.kind === 'invoice' ? extractInvoice(request.pages) : extractContract(request.pages)) as unknown as Record<string, { value: unknown }>;
        const fields = Object.fromEntries(
          secondReadingFields(request.kind).map((f) => [f.name, f.name === 'governingLaw' ? 'Laws of Atlantis' : read[f.name]?.value == null ? null : String(read[f.name]!.value)]),
        );
        return { fields, usage: { inputTokens: 500, outputTokens: 40, cachedTokens: 0, estimated: false }, costUsd: '0.000100', model: 'second-reader-under-test', promptVersion: 'second-reading.v1', promptHash: 'x' };
      },
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'docroute-eval-second-'));
    for (const f of ['invoice-en-usd.pdf', 'contract-nda.pdf']) copyFileSync(path.join(SAMPLES, f), path.join(dir, f));
    writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({
        documents: [
          { file: 'invoice-en-usd.pdf', kind: 'invoice', expected: { invoiceNumber: 'hds-2024-0417', currency: 'usd' } },
          { file: 'contract-nda.pdf', kind: 'contract', expected: { effectiveDate: '2024-07-01', governingLaw: 'England and Wales' } },
        ],
      }),
    );
    const config = loadConfig({});
    const tiers = { ...createTiers(config), check };
    const withRuns = await runEvaluation(loadDataset(dir, 'docroute'), { config, tiers, mode: 'fast', today: '2026-01-01', concurrency: 1 });
    for (const r of withRuns) {
      const second = r.calls.filter((c) => c.purpose === 'second-reading');
      expect(second).toHaveLength(1);
      expect(second[0]).toMatchObject({ model: 'second-reader-under-test', costUsd: '0.000100', inputTokens: 500, outcome: 'ok' });
      expect(r.fastWithoutSecondReading).not.toBeNull();
    }
    const invoice = withRuns.find((r) => r.doc.kind === 'invoice')!;
    expect(invoice.fast!.confidence).toBeGreaterThan(invoice.fastWithoutSecondReading!.confidence);
    const contract = withRuns.find((r) => r.doc.kind === 'contract')!;
    expect(contract.fast!.checks.find((c) => c.name === 'second_reading')).toMatchObject({ passed: false, fields: ['governingLaw'] });
    expect(contract.status).toBe('needs_review');
    expect(contract.reasons).toContain('a second, independent reading (second-reader-under-test) disagrees on governingLaw');
    const s = summarise(withRuns, { format: 'docroute', dir, mode: 'fast', tiers: { fast: tiers.fast.model, deep: null }, routing: config.routing });
    const e = s.secondReading!;
    expect(e).toMatchObject({ model: 'second-reader-under-test', compared: 2, disagreedFields: 1 });
    expect(e.with.costPerDocumentUsd - e.without.costPerDocumentUsd).toBeCloseTo(0.0001, 10);
    expect(e.with.reviewShare).toBeGreaterThanOrEqual(0.5); // the contract, for its disagreement
    expect(formatSummary(s)).toMatch(/Second reading \(second-reader-under-test, required fields\): compared on 2 document\(s\)/);
    const html = renderHtmlReport(s, '2026-12-01T00:00:00Z');
    expect(html).toContain('<h2>Second reading</h2>');
    expect(html).toMatch(/compared on 2 document\(s\): \d+ field\(s\) agreed, 1 disagreed/);
    expect(renderHtmlReport(summary, '2026-12-01T00:00:00Z')).not.toContain('<h2>Second reading</h2>');
    // Turned off (no reader): no call, no section.
    expect(summary.secondReading).toBeUndefined();
    expect(runs.every((r) => r.calls.every((c) => c.purpose !== 'second-reading'))).toBe(true);
  });
});

describe('eval runner over chunks', () => {
  it('keeps every chunk’s reading: chunks read in parallel get distinct attempts (page 1’s preamble is not replaced by page 2)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'docroute-eval-chunks-'));
    copyFileSync(path.join(SAMPLES, 'contract-nda.pdf'), path.join(dir, 'contract-nda.pdf'));
    writeFileSync(
      path.join(dir, 'manifest.json'),
      JSON.stringify({
        documents: [
          { file: 'contract-nda.pdf', kind: 'contract', expected: { parties: ['Brightwater Robotics Ltd', 'Kestrel Biolabs GmbH'], effectiveDate: '2024-07-01', governingLaw: 'England and Wales' } },
        ],
      }),
    );
    const scoreWith = async (env: Record<string, string>) => {
      const config = loadConfig(env);
      const tiers = createTiers(config);
      const [run] = await runEvaluation(loadDataset(dir, 'docroute'), { config, tiers, mode: 'fast', today: '2026-01-01', concurrency: 1 });
      return run!;
    };
    const whole = await scoreWith({});
    // 500 tokens per chunk: page 1 (the preamble, the law clause) and page 2 (the signatures) are read apart.
    const chunked = await scoreWith({ DOCROUTE_CHUNK_TOKENS: '500' });
    expect(whole.calls.filter((c) => c.purpose === 'chunk')).toHaveLength(1);
    expect(chunked.calls.filter((c) => c.purpose === 'chunk').map((c) => [c.pageFrom, c.pageTo])).toEqual([[1, 1], [2, 2]]);
    const fields = (r: DocumentRun) => r.fast?.fields as import('../../schemas/index.ts').ContractExtraction;
    expect(fields(chunked).effectiveDate.value).toBe('2024-07-01');
    expect(fields(chunked).governingLaw.value).toBe(fields(whole).governingLaw.value);
    expect(fields(chunked).parties.map((p) => p.name)).toEqual(fields(whole).parties.map((p) => p.name));
  });
});
