/** The evaluation summary as plain-text tables, for a terminal. */
import type { AccuracyFigures, F1Figures } from './metrics.ts';
import { errorCounts, type EvalSummary } from './summary.ts';

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const num = (x: number) => x.toFixed(3);

export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].map((l) => `  ${l}`);
}

export function metricCells(s: EvalSummary, f: F1Figures | AccuracyFigures): string[] {
  if (s.metric === 'f1') {
    const x = f as F1Figures;
    return [num(x.f1), num(x.precision), num(x.recall), String(x.tp), String(x.predicted), String(x.expected)];
  }
  const x = f as AccuracyFigures;
  return [pct(x.accuracy), String(x.correct), String(x.total)];
}

export function metricHeader(s: EvalSummary): string[] {
  return s.metric === 'f1' ? ['F1', 'precision', 'recall', 'right', 'predicted', 'expected'] : ['accuracy', 'right', 'total'];
}

export function formatSummary(s: EvalSummary): string {
  const out: string[] = [];
  out.push(`docroute eval: ${s.documents} documents (${s.format}${s.split === "all" ? "" : `, ${s.split} half`}) from ${s.dir}`);
  out.push(`tiers: fast ${s.tiers.fast}${s.tiers.deep ? `, deep ${s.tiers.deep}` : ', no deep tier'}; mode ${s.mode}`, '');
  out.push(s.metric === 'f1' ? 'Kleister F1 (key=value items, micro-averaged)' : 'Field accuracy (values present in the gold data)');
  out.push(
    ...table(
      ['field', ...metricHeader(s)],
      [...Object.entries(s.fields).map(([k, f]) => [k, ...metricCells(s, f)]), ['overall', ...metricCells(s, s.overall)]],
    ),
    '',
  );
  const h = s.calibration.headline;
  out.push(`Calibration: values reported with confidence ≥ ${h.threshold}: ${h.right} of ${h.total} right (${pct(h.share)})`);
  out.push(
    ...table(
      ['confidence', 'right', 'total', 'share right'],
      s.calibration.buckets.map((b) => [`${b.from.toFixed(1)}–${b.to.toFixed(1)}`, String(b.right), String(b.total), pct(b.share)]),
    ),
    '',
  );
  out.push(touchlessLine(s), '');
  out.push('Cost, tokens and latency per tier');
  out.push(
    ...table(
      ['tier', 'model', 'calls', 'ok', 'input tok', 'output tok', 'cost USD', 'mean ms', 'p95 ms'],
      Object.entries(s.cost.byTier).map(([tier, t]) => [
        tier,
        t.model,
        String(t.calls),
        String(t.ok),
        `${t.inputTokens}${t.tokensEstimated ? '~' : ''}`,
        String(t.outputTokens),
        t.costUsd,
        t.latencyMs.mean.toFixed(1),
        String(t.latencyMs.p95),
      ]),
    ),
  );
  out.push(
    `  routed cost: $${s.cost.routedUsd} ($${s.cost.routedPer1000DocsUsd.toFixed(4)} per 1,000 documents); ` +
      `parse ${s.cost.parseMs.mean.toFixed(0)} ms mean; document ${s.cost.documentMs.mean.toFixed(0)} ms mean, ${s.cost.documentMs.p95} ms p95`,
    '',
  );
  const r = s.routing;
  out.push(`Routing (min confidence ${r.thresholds.minConfidence}, long document > ${r.thresholds.longDocTokens} tokens)`);
  out.push(
    `  ${r.share.xml > 0 ? `read exactly from e-invoice XML (xml, no model, cost 0) ${pct(r.share.xml)}, ` : ''}read by flash ${pct(r.share.flash)}, by pro ${pct(r.share.pro)}; extracted ${pct(r.share.extracted)}, ` +
      `needs_review ${pct(r.share.review)}, failed ${pct(r.share.failed)}`,
  );
  out.push(
    `  the policy sends ${pct(r.wouldEscalate)} to the deep tier after the fast one` +
      (r.deepAvailable ? '' : ' (no deep tier configured: those end in review)'),
  );
  out.push(`  classified as the gold kind: ${r.classification.right} of ${r.classification.total}`, '');
  // One routing frontier as a table (with and without the second reading use the same one).
  const frontierTable = (f: NonNullable<typeof s.frontier>) =>
    table(
      ['threshold', 'to deep', s.metric === 'f1' ? 'F1' : 'accuracy', 'USD / 1,000 docs'],
      [...f.rows, f.allFast, f.allDeep].map((row) => [
        row.threshold === null ? row.label : row.threshold.toFixed(2),
        pct(row.shareDeep),
        s.metric === 'f1' ? num(row.metric) : pct(row.metric),
        row.costPer1000Usd.toFixed(4),
      ]),
    );
  if (s.frontier) {
    out.push('Routing frontier (fast confidence < threshold → deep tier)');
    const f = s.frontier;
    out.push(...frontierTable(f), '');
  }
  if (s.secondReading) {
    const e = s.secondReading;
    out.push(
      `Second reading (${e.model ?? 'check model'}, required fields): compared on ${e.compared} document(s); ` +
        `${e.agreedFields} field(s) agreed, ${e.disagreedFields} disagreed`,
    );
    out.push(
      ...table(
        ['', s.metric === 'f1' ? 'F1' : 'accuracy', 'review', 'to deep', 'USD / document'],
        [
          ['with', e.with],
          ['without', e.without],
        ].map(([label, v]) => {
          const f = v as typeof e.with;
          return [label as string, s.metric === 'f1' ? num(f.metric) : pct(f.metric), pct(f.reviewShare), pct(f.deepShare), f.costPerDocumentUsd.toFixed(6)];
        }),
      ),
      '',
    );
    if (s.frontierWithoutSecondReading) {
      out.push('Routing frontier without the second reading (fast confidence < threshold → deep tier)');
      const f = s.frontierWithoutSecondReading;
      out.push(...frontierTable(f), '');
    }
  }
  out.push(`${errorsLine(s)} (see --report for expected vs got with evidence).`);
  return out.join('\n') + '\n';
}

/** "n of N documents have errors …": the same words and count in the summary and the report. */
export function errorsLine(s: EvalSummary): string {
  const c = errorCounts(s);
  return `${c.withErrors} of ${c.documents} documents have errors: ${c.wrongValues} with a wrong or missing value, ${c.notExtracted} not extracted (in review or failed)`;
}

/** One paragraph on the touchless rate: as routed, and the best policy on this set. */
export function touchlessLine(s: EvalSummary): string {
  const t = s.touchless;
  const v = t.values;
  const now = `Touchless: ${t.accepted} of ${t.documents} documents accepted without review (${pct(t.share)}); ${v.right} of ${v.reported} values in them right (${pct(v.accuracy)}), ${v.missed} gold values missing.`;
  const best = t.best
    ? ` Largest touchless share with ≥ ${pct(t.target)} of accepted values right: ${pct(t.best.share)} (${t.best.accepted} documents, document confidence ≥ ${t.best.minConfidence}, ${t.best.values.right}/${t.best.values.reported} values right).`
    : ` No acceptance threshold reaches ${pct(t.target)} of accepted values right on this set.`;
  return now + best;
}
