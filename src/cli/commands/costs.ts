import { costReport, parseDay, type CostReport } from '../../costs/report.ts';
import { withDb } from '../with-db.ts';
import type { CliContext } from '../main.ts';

/** What the model calls cost: per tier and model, per day, and projected per 1,000 documents. */
export async function costsCommand(
  ctx: CliContext,
  opts: { since?: string; until?: string; json?: boolean },
): Promise<void> {
  // Bad dates are reported before any service is started.
  if (opts.since !== undefined) parseDay(opts.since, '--since');
  if (opts.until !== undefined) parseDay(opts.until, '--until');
  await withDb(ctx, async (db) => {
    const report = await costReport(db, { since: opts.since, until: opts.until });
    if (opts.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      return;
    }
    process.stdout.write(formatCostReport(report));
  });
}

/** The report as plain-text tables. */
export function formatCostReport(report: CostReport): string {
  const window =
    report.since || report.until ? `${report.since ?? 'the beginning'} to ${report.until ?? 'today'} (UTC, inclusive)` : 'all time';
  const out: string[] = [`Model costs, ${window}`, ''];
  if (report.totals.calls === 0) {
    out.push('No model calls recorded in this period.', '');
    return out.join('\n');
  }
  const pct = (share: number): string => `${(share * 100).toFixed(1)}%`;

  out.push('Per tier and model');
  out.push(
    ...table(
      ['tier', 'model', 'calls', 'input tok', 'output tok', 'cached tok', 'cost USD', 'mean ms', 'p95 ms'],
      [
        ...report.byTierModel.map((r) => [
          r.tier,
          r.model,
          String(r.calls),
          String(r.inputTokens),
          String(r.outputTokens),
          String(r.cachedTokens),
          r.costUsd,
          r.meanLatencyMs.toFixed(1),
          String(r.p95LatencyMs),
        ]),
        [
          'total',
          '',
          String(report.totals.calls),
          String(report.totals.inputTokens),
          String(report.totals.outputTokens),
          String(report.totals.cachedTokens),
          report.totals.costUsd,
          '',
          '',
        ],
      ],
      2,
    ),
    '',
  );

  out.push('Per day (UTC)');
  out.push(...table(['day', 'tier', 'calls', 'cost USD'], report.byDay.map((d) => [d.day, d.tier, String(d.calls), d.costUsd]), 2), '');

  out.push(`Documents processed: ${report.documents}`);
  out.push(`  read exactly (xml, no model, cost 0): ${report.exactTier.documents} (${pct(report.exactTier.share)})`);
  out.push(`  used the deep tier (pro): ${report.deepTier.documents} (${pct(report.deepTier.share)})`);
  out.push(`  ended in needs_review:    ${report.needsReview.documents} (${pct(report.needsReview.share)})`, '');

  out.push('Projection');
  out.push(
    ...table(
      ['tier', 'docs on tier', 'cost USD', 'per document', 'per 1,000 docs'],
      [
        ...report.byTier.map((t) => [t.tier, String(t.documents), t.costUsd, t.costPerDocumentUsd, t.per1000DocumentsUsd]),
        ['all', String(report.documents), report.totals.costUsd, report.costPerDocumentUsd, report.per1000DocumentsUsd],
      ],
      1,
    ),
  );
  out.push('  (per document = cost / all documents processed, so the tiers add up to the total)', '');
  if (report.batch.calls > 0) {
    const b = report.batch;
    out.push('Batch API');
    out.push(`  ${b.calls} call(s) in ${b.batches} batch(es): ${b.costUsd} USD, ${b.onlineCostUsd} USD online; saved ${b.savingUsd} USD`);
    out.push(`  mean wait for a batch: ${(b.meanLatencyMs / 60_000).toFixed(1)} min`, '');
  }
  return out.join('\n');
}

/** Left-aligns the first `textColumns` columns, right-aligns the rest (numbers). */
function table(header: string[], rows: string[][], textColumns: number): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    '  ' +
    cells
      .map((c, i) => (i < textColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), '  ' + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}
