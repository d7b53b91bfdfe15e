/**
 * The evaluation as one self-contained HTML file: inline CSS and an inline SVG
 * chart, no scripts, no external assets (it opens offline). Every piece of
 * text from a document or a data set is escaped: document text is untrusted.
 */
import type { Frontier, FrontierRow } from './frontier.ts';
import { errorsLine, touchlessLine } from './format.ts';
import type { AccuracyFigures, F1Figures } from './metrics.ts';
import { documentsWithErrors, type EvalSummary } from './summary.ts';
import type { TouchlessFigures } from './touchless.ts';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const e = escapeHtml;
const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)}%`);
const num = (x: number) => x.toFixed(3);
const metricText = (s: EvalSummary, x: number) => (s.metric === 'f1' ? num(x) : pct(x));

function tableHtml(header: string[], rows: string[][], options: { numericFrom?: number; rowClass?: (i: number) => string } = {}): string {
  const from = options.numericFrom ?? 1;
  const th = header.map((h, i) => `<th${i >= from ? ' class="n"' : ''}>${e(h)}</th>`).join('');
  const body = rows
    .map((r, ri) => {
      const cls = options.rowClass?.(ri);
      return `<tr${cls ? ` class="${e(cls)}"` : ''}>${r.map((c, i) => `<td${i >= from ? ' class="n"' : ''}>${e(c)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function figureCells(s: EvalSummary, f: F1Figures | AccuracyFigures): string[] {
  if (s.metric === 'f1') {
    const x = f as F1Figures;
    return [num(x.f1), num(x.precision), num(x.recall), String(x.tp), String(x.predicted), String(x.expected)];
  }
  const x = f as AccuracyFigures;
  return [pct(x.accuracy), String(x.correct), String(x.total)];
}

/**
 * The frontier as an SVG scatter: cost per 1,000 documents (x) against the
 * metric (y), one point per threshold joined in threshold order, and the
 * all-fast and all-deep points marked.
 */
export function frontierSvg(frontier: Frontier, metricLabel: string): string {
  const W = 640;
  const H = 360;
  const m = { left: 64, right: 24, top: 20, bottom: 48 };
  const points: FrontierRow[] = [...frontier.rows, frontier.allFast, frontier.allDeep];
  const maxCost = Math.max(...points.map((p) => p.costPer1000Usd), 1e-9);
  const ys = points.map((p) => p.metric);
  let yMin = Math.max(0, Math.floor((Math.min(...ys) - 0.05) * 10) / 10);
  let yMax = Math.min(1, Math.ceil((Math.max(...ys) + 0.05) * 10) / 10);
  if (yMax - yMin < 0.1) {
    yMin = Math.max(0, yMin - 0.1);
    yMax = Math.min(1, yMax + 0.1);
  }
  const x = (c: number) => m.left + (c / maxCost) * (W - m.left - m.right);
  const y = (v: number) => H - m.bottom - ((v - yMin) / (yMax - yMin || 1)) * (H - m.top - m.bottom);
  const grid: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const v = yMin + ((yMax - yMin) * i) / 5;
    grid.push(
      `<line x1="${m.left}" x2="${W - m.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>` +
        `<text x="${m.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${e(v.toFixed(2))}</text>`,
    );
    const c = (maxCost * i) / 5;
    grid.push(
      `<line y1="${m.top}" y2="${H - m.bottom}" x1="${x(c).toFixed(1)}" x2="${x(c).toFixed(1)}" class="grid"/>` +
        `<text x="${x(c).toFixed(1)}" y="${H - m.bottom + 18}" text-anchor="middle">${e(`$${c.toFixed(c < 1 ? 3 : 2)}`)}</text>`,
    );
  }
  const path = frontier.rows.map((r, i) => `${i === 0 ? 'M' : 'L'}${x(r.costPer1000Usd).toFixed(1)},${y(r.metric).toFixed(1)}`).join(' ');
  const dots = frontier.rows
    .map(
      (r) =>
        `<circle cx="${x(r.costPer1000Usd).toFixed(1)}" cy="${y(r.metric).toFixed(1)}" r="3.5" class="pt"><title>${e(
          `threshold ${r.threshold?.toFixed(2)}: ${pct(r.shareDeep)} to deep, ${metricLabel} ${r.metric.toFixed(3)}, $${r.costPer1000Usd.toFixed(4)} / 1,000 docs`,
        )}</title></circle>`,
    )
    .join('');
  const mark = (r: FrontierRow, cls: string, label: string, dx: number) =>
    `<rect x="${(x(r.costPer1000Usd) - 6).toFixed(1)}" y="${(y(r.metric) - 6).toFixed(1)}" width="12" height="12" class="${cls}"><title>${e(
      `${label}: ${metricLabel} ${r.metric.toFixed(3)}, $${r.costPer1000Usd.toFixed(4)} / 1,000 docs`,
    )}</title></rect><text x="${(x(r.costPer1000Usd) + dx).toFixed(1)}" y="${(y(r.metric) - 10).toFixed(1)}" text-anchor="${dx < 0 ? 'end' : 'start'}" class="lbl">${e(label)}</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${e(
    `${metricLabel} against cost per 1,000 documents`,
  )}">
<style>text{font:12px system-ui,sans-serif;fill:#333}.grid{stroke:#e3e3e3}.axis{stroke:#555}.line{fill:none;stroke:#2b6cb0;stroke-width:2}.pt{fill:#2b6cb0}.fast{fill:#38a169}.deep{fill:#c05621}.lbl{font-weight:600}</style>
${grid.join('\n')}
<line x1="${m.left}" x2="${W - m.right}" y1="${H - m.bottom}" y2="${H - m.bottom}" class="axis"/>
<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${H - m.bottom}" class="axis"/>
<path d="${path}" class="line"/>
${dots}
${mark(frontier.allFast, 'fast', 'all fast', 10)}
${mark(frontier.allDeep, 'deep', 'all deep', -10)}
<text x="${(m.left + W - m.right) / 2}" y="${H - 8}" text-anchor="middle">cost per 1,000 documents (USD)</text>
<text x="14" y="${(m.top + H - m.bottom) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(m.top + H - m.bottom) / 2})">${e(metricLabel)}</text>
</svg>`;
}

/**
 * A reliability diagram of the calibration buckets, as SVG: confidence on x (0–1, each bar as
 * wide as its bucket), the share of values right on y, regular ticks on both axes, and the
 * diagonal of perfect calibration (share right = confidence). A bar under the diagonal is
 * over-confident, over it under-confident.
 */
export function calibrationSvg(s: EvalSummary): string {
  const W = 640;
  const H = 260;
  const m = { left: 48, right: 16, top: 20, bottom: 44 };
  const x = (v: number) => m.left + v * (W - m.left - m.right);
  const y = (v: number) => H - m.bottom - v * (H - m.top - m.bottom);
  const f = (v: number) => v.toFixed(1);
  const bars = s.calibration.buckets
    .map((b) => {
      const label = `${b.from.toFixed(1)}–${b.to.toFixed(1)}`;
      const x0 = x(b.from) + 2;
      const width = x(b.to) - x(b.from) - 4;
      const top = b.share === null ? y(0) : y(b.share);
      const bar =
        b.share === null
          ? ''
          : `<rect x="${f(x0)}" y="${f(top)}" width="${f(width)}" height="${f(y(0) - top)}" class="bar"><title>${e(
              `${label}: ${b.right} of ${b.total} right`,
            )}</title></rect>`;
      return `${bar}<text x="${f(x0 + width / 2)}" y="${f(top - 4)}" text-anchor="middle" class="small">${e(`n=${b.total}`)}</text>`;
    })
    .join('\n');
  const ticks: string[] = [];
  for (let i = 0; i <= 10; i++) {
    const v = i / 10;
    const label = v.toFixed(1);
    ticks.push(
      `<line x1="${m.left}" x2="${W - m.right}" y1="${f(y(v))}" y2="${f(y(v))}" class="grid"/>` +
        (i % 2 === 0 ? `<text x="${m.left - 6}" y="${f(y(v) + 4)}" text-anchor="end">${label}</text>` : ''),
      `<line x1="${f(x(v))}" x2="${f(x(v))}" y1="${f(y(0))}" y2="${f(y(0) + 4)}" class="axis"/><text x="${f(x(v))}" y="${f(y(0) + 16)}" text-anchor="middle">${label}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="share right per confidence bucket, against perfect calibration">
<style>text{font:12px system-ui,sans-serif;fill:#333}.small{font-size:10px;fill:#555}.grid{stroke:#e3e3e3}.axis{stroke:#555}.bar{fill:#2b6cb0;fill-opacity:.85}.diag{stroke:#c05621;stroke-width:1.5;stroke-dasharray:5 4}</style>
${ticks.join('\n')}
<line x1="${m.left}" x2="${W - m.right}" y1="${f(y(0))}" y2="${f(y(0))}" class="axis"/>
<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${f(y(0))}" class="axis"/>
${bars}
<line x1="${f(x(0))}" y1="${f(y(0))}" x2="${f(x(1))}" y2="${f(y(1))}" class="diag"><title>perfect calibration: share right = confidence</title></line>
<text x="${f(x(0.02))}" y="${m.top - 6}" class="small">dashed: perfect calibration (share right = confidence)</text>
<text x="${f((x(0) + x(1)) / 2)}" y="${H - 6}" text-anchor="middle">reported confidence</text>
<text x="12" y="${f((m.top + y(0)) / 2)}" text-anchor="middle" transform="rotate(-90 12 ${f((m.top + y(0)) / 2)})">share right</text>
</svg>`;
}

export function renderHtmlReport(s: EvalSummary, generatedAt: string): string {
  const metricLabel = s.metric === 'f1' ? 'Kleister F1' : 'field accuracy';
  const overall =
    s.metric === 'f1'
      ? `F1 ${num((s.overall as F1Figures).f1)} (precision ${num((s.overall as F1Figures).precision)}, recall ${num((s.overall as F1Figures).recall)})`
      : `${pct((s.overall as AccuracyFigures).accuracy)} right (${(s.overall as AccuracyFigures).correct} of ${(s.overall as AccuracyFigures).total} gold values)`;
  const h = s.calibration.headline;
  const header = s.metric === 'f1' ? ['field', 'F1', 'precision', 'recall', 'right', 'predicted', 'expected'] : ['field', 'accuracy', 'right', 'total'];
  const fieldRows = [...Object.entries(s.fields).map(([k, f]) => [s.fieldMap ? `${k} (${mapBack(s, k)})` : k, ...figureCells(s, f)]), ['overall', ...figureCells(s, s.overall)]];
  const costRows = Object.entries(s.cost.byTier).map(([tier, t]) => [
    tier,
    t.model,
    String(t.calls),
    `${t.ok} / ${t.invalid} / ${t.failed}`,
    `${t.inputTokens}${t.tokensEstimated ? ' (est.)' : ''}`,
    String(t.outputTokens),
    t.costUsd,
    t.latencyMs.mean.toFixed(1),
    String(t.latencyMs.p95),
  ]);
  const r = s.routing;
  const frontier = s.frontier
    ? `<section><h2>Routing frontier</h2>
<p>Every document was read by both tiers. For each threshold, documents whose fast-tier confidence is below it take the deep tier's result (and pay for both calls); the others keep the fast tier's. Pick the threshold (<code>DOCROUTE_MIN_CONFIDENCE</code>) where the curve stops paying for itself.</p>
${frontierSvg(s.frontier, metricLabel)}
${tableHtml(
  ['threshold', 'share to deep', metricLabel, 'USD per 1,000 documents'],
  [...s.frontier.rows, s.frontier.allFast, s.frontier.allDeep].map((row) => [
    row.threshold === null ? row.label : row.threshold.toFixed(2),
    pct(row.shareDeep),
    metricText(s, row.metric),
    row.costPer1000Usd.toFixed(4),
  ]),
  { rowClass: (i) => (i >= s.frontier!.rows.length ? 'ref' : '') },
)}</section>`
    : `<section><h2>Routing frontier</h2><p>Not computed: run with <code>--tiers flash,pro</code> (needs <code>GEMINI_API_KEY</code>) to read every document with both tiers and compare thresholds.</p></section>`;
  const effect = s.secondReading;
  const second = effect
    ? `<section><h2>Second reading</h2>
<p>A second, independent reading of the required fields by ${escapeHtml(effect.model ?? 'the check model')} was compared on ${effect.compared} document(s): ${effect.agreedFields} field(s) agreed, ${effect.disagreedFields} disagreed. The same readings, routed by the same policy, with and without it:</p>
${tableHtml(
  ['', metricLabel, 'review', 'to deep', 'USD per document'],
  (
    [
      ['with', effect.with],
      ['without', effect.without],
    ] as const
  ).map(([label, v]) => [label, metricText(s, v.metric), pct(v.reviewShare), pct(v.deepShare), v.costPerDocumentUsd.toFixed(6)]),
  { numericFrom: 1 },
)}${
        s.frontierWithoutSecondReading
          ? `\n<h3>Routing frontier without the second reading</h3>\n${tableHtml(
              ['threshold', 'share to deep', metricLabel, 'USD per 1,000 documents'],
              [...s.frontierWithoutSecondReading.rows, s.frontierWithoutSecondReading.allFast, s.frontierWithoutSecondReading.allDeep].map((row) => [
                row.threshold === null ? row.label : row.threshold.toFixed(2),
                pct(row.shareDeep),
                metricText(s, row.metric),
                row.costPer1000Usd.toFixed(4),
              ]),
            )}`
          : ''
      }</section>`
    : '';
  const docs = documentsWithErrors(s)
    .map((d) => {
      const errors = d.errors
        .map(
          (x) =>
            `<tr><td>${e(x.field)}</td><td class="v">${x.expected === null ? '<i>(not in gold)</i>' : e(x.expected)}</td><td class="v">${
              x.got === null ? '<i>(none)</i>' : e(x.got)
            }</td><td class="n">${x.confidence === null ? '' : e(x.confidence.toFixed(2))}</td><td>${
              x.evidence ? `p.${e(x.evidence.page)}: <q>${e(x.evidence.quote)}</q>` : ''
            }</td></tr>`,
        )
        .join('\n');
      const score = s.metric === 'f1' ? `${d.score.tp} right of ${d.score.predicted} predicted, ${d.score.expected} expected` : `${d.score.tp} of ${d.score.expected} right`;
      return `<details${d.errors.length > 0 ? " open" : ""}><summary><b>${e(d.file)}</b> — ${e(d.status)}, route ${e(d.route.join('→') || 'none')}, confidence ${
        d.confidence === null ? '—' : e(d.confidence.toFixed(3))
      }; ${e(score)}</summary>
${d.reasons.length ? `<p class="why">${e(d.reasons.join('; '))}</p>` : ''}
${errors ? `<table class="err"><thead><tr><th>field</th><th>expected</th><th>got</th><th class="n">conf.</th><th>evidence (page: quote)</th></tr></thead><tbody>${errors}</tbody></table>` : ''}
</details>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>docroute eval — ${e(s.format)} — ${e(metricLabel)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;color:#1a202c;max-width:1100px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
.meta{color:#4a5568}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid #e2e8f0;border-radius:8px;padding:10px 14px;min-width:180px}.card b{display:block;font-size:22px}
table{border-collapse:collapse;margin:8px 0}th,td{border-bottom:1px solid #edf2f7;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f7fafc}.n{text-align:right;font-variant-numeric:tabular-nums}tr.ref td{font-weight:600;background:#fffaf0}
.v{font-family:ui-monospace,Menlo,monospace;word-break:break-all}q{color:#2d3748;font-style:italic}
details{border:1px solid #e2e8f0;border-radius:6px;margin:6px 0;padding:6px 10px}summary{cursor:pointer}.why{color:#744210;margin:6px 0}
table.err{width:100%}code{background:#f7fafc;padding:0 3px}
</style></head><body>
<h1>docroute eval: ${e(s.format)}</h1>
<p class="meta">${e(s.documents)} documents from <code>${e(s.dir)}</code>; fast tier <code>${e(s.tiers.fast)}</code>${
    s.tiers.deep ? `, deep tier <code>${e(s.tiers.deep)}</code>` : ', no deep tier'
  }; mode ${e(s.mode)}; generated ${e(generatedAt)}.</p>
<div class="cards">
<div class="card">${e(metricLabel)}<b>${e(s.metric === 'f1' ? num((s.overall as F1Figures).f1) : pct((s.overall as AccuracyFigures).accuracy))}</b>${e(overall)}</div>
<div class="card">confidence ≥ ${e(h.threshold)}<b>${e(pct(h.share))}</b>${e(`${h.right} of ${h.total} values right`)}</div>
<div class="card">routed cost<b>$${e(s.cost.routedPer1000DocsUsd.toFixed(4))}</b>per 1,000 documents</div>
<div class="card">touchless<b>${e(pct(s.touchless.share))}</b>${e(
    `${s.touchless.accepted} of ${s.touchless.documents} accepted without review; ${s.touchless.values.right} of ${s.touchless.values.reported} values right`,
  )}</div>
<div class="card">needs review<b>${e(pct(r.share.review))}</b>${e(`extracted ${pct(r.share.extracted)}, failed ${pct(r.share.failed)}`)}</div>
</div>
<section><h2>Per field</h2>
${tableHtml(header, fieldRows)}
${s.metric === 'f1' ? '<p class="meta">Kleister metric: key=value items, values upper-cased with spaces and colons as <code>_</code>, micro-averaged over the set.</p>' : '<p class="meta">Values compared after normalisation: dates as ISO dates, amounts to the cent, currency codes upper-cased, identifiers without case, whitespace or a leading <code>#</code>.</p>'}
</section>
<section><h2>Calibration</h2>
<p>Of the values the pipeline reported with confidence ≥ ${e(h.threshold)}, ${e(h.right)} of ${e(h.total)} were right (${e(pct(h.share))}).</p>
${calibrationSvg(s)}
${tableHtml(
  ['confidence', 'right', 'reported', 'share right'],
  s.calibration.buckets.map((b) => [`${b.from.toFixed(1)}–${b.to.toFixed(1)}`, String(b.right), String(b.total), pct(b.share)]),
)}</section>
<section><h2>Touchless rate</h2>
<p>${e(touchlessLine(s))}</p>
${tableHtml(
  ['acceptance', 'accepted', 'touchless', 'values right', 'share right', 'gold values missing'],
  (
    [
      ['as routed (status extracted)', s.touchless],
      ...(s.touchless.best ? [[`best on this set: confidence ≥ ${s.touchless.best.minConfidence}, checks pass`, s.touchless.best] as const] : []),
    ] as [string, { accepted: number; share: number; values: TouchlessFigures['values'] }][]
  ).map(([label, t]) => [
    label,
    String(t.accepted),
    pct(t.share),
    `${t.values.right} of ${t.values.reported}`,
    pct(t.values.accuracy),
    String(t.values.missed),
  ]),
)}</section>
<section><h2>Cost, tokens and latency</h2>
${tableHtml(['tier', 'model', 'calls', 'ok / invalid / failed', 'input tokens', 'output tokens', 'cost USD', 'mean ms', 'p95 ms'], costRows, { numericFrom: 2 })}
<p class="meta">Routed cost $${e(s.cost.routedUsd)} in all ($${e(s.cost.routedPer1000DocsUsd.toFixed(4))} per 1,000 documents)${
    s.mode === 'both' ? `; the evaluation itself spent $${e(s.cost.totalUsd)} (both tiers on every document)` : ''
  }. Parsing ${e(s.cost.parseMs.mean.toFixed(0))} ms mean; a whole document ${e(s.cost.documentMs.mean.toFixed(0))} ms mean, ${e(s.cost.documentMs.p95)} ms p95.</p>
</section>
<section><h2>Routing</h2>
${tableHtml(
  ['', 'share'],
  [
    ['read exactly from e-invoice XML (xml, no model)', pct(r.share.xml)],
    ['read by the fast tier (flash)', pct(r.share.flash)],
    ['read by the deep tier (pro)', pct(r.share.pro)],
    [`sent to the deep tier by the policy after the fast one${r.deepAvailable ? '' : ' (no deep tier: ends in review)'}`, pct(r.wouldEscalate)],
    ['extracted', pct(r.share.extracted)],
    ['needs review', pct(r.share.review)],
    ['failed', pct(r.share.failed)],
  ],
)}
<p class="meta">Thresholds: minimum confidence ${e(r.thresholds.minConfidence)}, long document &gt; ${e(r.thresholds.longDocTokens)} tokens, chunks of ${e(
    r.thresholds.chunkTokens,
  )} tokens, budget $${e(r.thresholds.docBudgetUsd)} per document. Classified as the gold kind: ${e(r.classification.right)} of ${e(r.classification.total)}.</p>
</section>
${frontier}
${second}
<section><h2>Documents with errors</h2>
<p>${e(errorsLine(s))}.</p>
<p class="meta">Expected vs got, with the page and quote the value was read from.</p>
${docs || '<p>None.</p>'}
</section>
</body></html>
`;
}

function mapBack(s: EvalSummary, field: string): string {
  const entry = Object.entries(s.fieldMap ?? {}).find(([, v]) => v === field);
  return entry ? `gold ${entry[0]}` : '';
}
