import { createGeminiClient } from '../../extraction/gemini/gemini-client.ts';
import { checkModels, formatModelChecks, modelProblems } from '../../extraction/gemini/check-models.ts';
import type { CliContext } from '../main.ts';

/** The configured models with their prices, checked against the API when a key is set. Exit 1 on a problem. */
export async function modelsCommand({ config }: CliContext, opts: { json?: boolean }): Promise<void> {
  const g = config.gemini;
  const client = g.apiKey
    ? createGeminiClient({
        apiKey: g.apiKey,
        ...(g.baseUrl !== undefined ? { baseUrl: g.baseUrl } : {}),
        timeoutMs: Math.min(g.timeoutMs, 30_000),
        maxAttempts: 2,
      })
    : null;
  const rows = await checkModels(config, client);
  const problems = modelProblems(rows, config.prices);
  if (opts.json) process.stdout.write(JSON.stringify({ models: rows, problems }, null, 2) + '\n');
  else process.stdout.write(formatModelChecks(rows, client !== null));
  if (problems.length > 0) process.exitCode = 1;
}
