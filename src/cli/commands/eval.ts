import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatSummary } from '../../eval/format.ts';
import { renderHtmlReport } from '../../eval/html.ts';
import { DatasetError, EVAL_FORMATS, loadDataset, type EvalFormat } from '../../eval/loaders.ts';
import { runEvaluation, type EvalMode } from '../../eval/runner.ts';
import { SPLITS, selectSplit, type Split } from '../../eval/splits.ts';
import { summarise } from '../../eval/summary.ts';
import { createTiers } from '../../extraction/tiers.ts';
import type { CliContext } from '../main.ts';
import { createProgress } from '../progress.ts';

export interface EvalCommandOptions {
  format: string;
  tiers?: string;
  json?: boolean;
  report?: string;
  concurrency?: string;
  split?: string;
}

/** Fails the command with a message and exit code 2 (bad usage or input). */
class UsageError extends Error {
  override name = 'UsageError';
}

/** `--tiers` → evaluation mode. No value: what the configuration provides, routed as in production. */
export function modeOf(tiers: string | undefined, deepAvailable: boolean): EvalMode {
  if (tiers === undefined) return 'routed';
  const list = tiers.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  const key = [...new Set(list)].join(',');
  if (key === 'flash') return 'fast';
  if (key === 'flash,pro' || key === 'pro,flash') {
    if (!deepAvailable) {
      throw new UsageError(
        '--tiers flash,pro needs the pro (deep) tier, and there is none: set GEMINI_API_KEY to enable Gemini Flash and Pro. ' +
          'Without a key the only tier is the offline rules extractor (reported as flash); run with --tiers flash, or without --tiers.',
      );
    }
    return 'both';
  }
  throw new UsageError(`--tiers must be "flash" or "flash,pro", got "${tiers}"`);
}

/**
 * Runs a labelled set through the extraction path (parse, classify, route,
 * chunk, extract, merge, ground, validate, route again) in this process — no
 * Temporal or Postgres — and scores it against the gold data.
 */
export async function evalCommand({ config, log }: CliContext, dir: string, opts: EvalCommandOptions): Promise<void> {
  try {
    if (!(EVAL_FORMATS as readonly string[]).includes(opts.format)) {
      throw new UsageError(`--format must be one of ${EVAL_FORMATS.join(', ')}, got "${opts.format}"`);
    }
    const format = opts.format as EvalFormat;
    const concurrency = opts.concurrency === undefined ? 4 : Number(opts.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
      throw new UsageError(`--concurrency must be an integer from 1 to 64, got "${opts.concurrency}"`);
    }
    const tiers = createTiers(config, log);
    const mode = modeOf(opts.tiers, tiers.deep !== null);
    const root = path.resolve(dir);
    const split = (opts.split ?? 'all') as Split;
    if (!(SPLITS as readonly string[]).includes(split)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}, got "${opts.split}"`);
    const docs = selectSplit(loadDataset(root, format), split);
    if (docs.length === 0) throw new UsageError(`--split ${split}: no document of ${dir} falls in that half`);
    const progress = createProgress(docs.length, 'eval');
    const runs = await runEvaluation(docs, {
      config,
      tiers,
      mode,
      today: new Date().toISOString().slice(0, 10),
      concurrency,
      onDocument: (run) => progress.tick(run.status),
    });
    progress.end();
    const summary = summarise(runs, {
      format,
      dir,
      split,
      mode,
      tiers: { fast: tiers.fast.model, deep: tiers.deep?.model ?? null },
      routing: { ...config.routing },
    });
    if (opts.report) {
      await writeFile(opts.report, renderHtmlReport(summary, new Date().toISOString()));
      if (!opts.json) process.stderr.write(`report written to ${opts.report}\n`);
    }
    process.stdout.write(opts.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary));
  } catch (error) {
    if (error instanceof UsageError || error instanceof DatasetError) {
      process.stderr.write(`docroute eval: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}
