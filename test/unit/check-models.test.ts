import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { Secret } from '../../src/config/secret.ts';
import { checkModels, formatModelChecks, modelProblems, replacementFromMessage, verifyModelsAtStart } from '../../src/extraction/gemini/check-models.ts';
import { ConfigError } from '../../src/config/config.ts';
import { createGeminiClient } from '../../src/extraction/gemini/gemini-client.ts';
import { startFakeGemini } from '../support/fake-gemini.ts';
import type { FakeGemini } from '../support/fake-gemini.ts';

let fake: FakeGemini;
beforeAll(async () => {
  fake = await startFakeGemini();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const client = () => createGeminiClient({ apiKey: new Secret('AIza-models-key'), baseUrl: fake.url, timeoutMs: 5000, maxAttempts: 1 });

describe('docroute models', () => {
  it('lists the configured models with today\'s and the batch price, and checks each with models.get', async () => {
    for (const m of ['gemini-3.8-flash', 'gemini-4-carbon', 'gemini-3.5-flash-lite']) fake.knownModels.add(m);
    const rows = await checkModels(loadConfig({}), client(), new Date('2026-12-01'));
    expect(rows.map((r) => [r.role, r.model, r.status, r.price?.input, r.price?.batchOutput])).toEqual([
      ['fast', 'gemini-3.8-flash', 'ok', 0.75, 1.875],
      ['deep', 'gemini-4-carbon', 'ok', 4, 10],
      ['check', 'gemini-3.5-flash-lite', 'ok', 0.3, 1.25],
    ]);
    expect(modelProblems(rows)).toEqual([]);
    const text = formatModelChecks(rows, true);
    expect(text).toContain('prices read 2026-12-01');
    expect(text).toMatch(/fast\s+gemini-3\.8-flash\s+\$0\.75\s+\$3\.75\s+\$0\.075\s+\$0\.375 \/ \$1\.875\s+ok \(output ≤ 65536, thinking\)/);
    expect(fake.requests).toHaveLength(0); // models.get is not a generateContent call
  });

  it('reports a model the API no longer serves, with the replacement the API names, and an unknown one', async () => {
    fake.knownModels.add('gemini-4-carbon');
    fake.retire('gemini-3.7-flash', 'gemini-3.8-flash');
    const config = loadConfig({ DOCROUTE_FLASH_MODEL: 'gemini-3.7-flash', DOCROUTE_CHECK_MODEL: 'gemini-3.6-flash' });
    const rows = await checkModels(config, client());
    expect(rows.map((r) => [r.model, r.status, r.replacement])).toEqual([
      ['gemini-3.7-flash', 'retired', 'gemini-3.8-flash'],
      ['gemini-4-carbon', 'ok', null],
      ['gemini-3.6-flash', 'unknown', null],
    ]);
    const problems = modelProblems(rows);
    expect(problems[0]).toMatch(/^DOCROUTE_FLASH_MODEL=gemini-3\.7-flash is retired \(.*shut down on 2026-12-01.*\); set DOCROUTE_FLASH_MODEL=gemini-3\.8-flash$/);
    expect(problems[1]).toMatch(/^DOCROUTE_CHECK_MODEL=gemini-3\.6-flash is not served by the Gemini API \(models\.get: 404\)/);
    expect(formatModelChecks(rows, true)).toContain('RETIRED → use gemini-3.8-flash');
  });

  it('a retired deep-tier model is replaced by the strongest current Pro-class model, not the Flash model Google routes it to', async () => {
    // From our catalogue: gemini-2.5-pro, whose named replacement is gemini-3.8-flash.
    const catalogued = await checkModels({ ...loadConfig({}), gemini: { ...loadConfig({}).gemini, proModel: 'gemini-2.5-pro' } }, null);
    expect(catalogued.find((r) => r.role === 'deep')).toMatchObject({ status: 'retired', replacement: 'gemini-4-carbon' });
    // From the API's error: a Pro model the API retires naming a Flash model.
    fake.knownModels.add('gemini-3.8-flash');
    fake.knownModels.add('gemini-3.5-flash-lite');
    fake.retire('gemini-3.1-pro-preview', 'gemini-3.8-flash');
    const rows = await checkModels(loadConfig({ DOCROUTE_PRO_MODEL: 'gemini-3.1-pro-preview' }), client());
    expect(rows.map((r) => [r.role, r.status, r.replacement])).toEqual([
      ['fast', 'ok', null],
      ['deep', 'retired', 'gemini-4-carbon'],
      ['check', 'ok', null],
    ]);
    expect(modelProblems(rows)).toEqual([expect.stringMatching(/^DOCROUTE_PRO_MODEL=gemini-3\.1-pro-preview is retired .*; set DOCROUTE_PRO_MODEL=gemini-4-carbon$/)]);
    // A Pro-class replacement the API names is kept as it is.
    fake.retire('gemini-3.1-pro-preview', 'gemini-4-argon');
    const kept = await checkModels(loadConfig({ DOCROUTE_PRO_MODEL: 'gemini-3.1-pro-preview' }), client());
    expect(kept.find((r) => r.role === 'deep')?.replacement).toBe('gemini-4-argon');
  });

  it('without a key shows prices and says the models were not checked', async () => {
    const rows = await checkModels(loadConfig({}), null);
    expect(rows.every((r) => r.status === 'unchecked')).toBe(true);
    expect(formatModelChecks(rows, false)).toContain('Set GEMINI_API_KEY to check');
  });

  it('reads a replacement out of the API\'s error wording', () => {
    expect(replacementFromMessage('models/gemini-2.5-pro was shut down. Use models/gemini-3.8-flash instead.')).toBe('gemini-3.8-flash');
    expect(replacementFromMessage('Please migrate to gemini-4-carbon.')).toBe('gemini-4-carbon');
    expect(replacementFromMessage('not found')).toBeNull();
  });
});

describe('models.get at worker start', () => {
  const keyed = (env: Record<string, string> = {}) => loadConfig({ GEMINI_API_KEY: 'AIza-start-key-0000', GEMINI_BASE_URL: fake.url, ...env });

  it('passes when every configured model is served, with one models.get per model and no generateContent', async () => {
    for (const m of ['gemini-3.8-flash', 'gemini-4-carbon', 'gemini-3.5-flash-lite']) fake.knownModels.add(m);
    const { rows, warnings } = await verifyModelsAtStart(keyed());
    expect(rows.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    expect(warnings).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses to start on a model the API has retired, naming the replacement, and what to price when it has no price', async () => {
    fake.knownModels.add('gemini-3.8-flash');
    fake.knownModels.add('gemini-3.5-flash-lite');
    fake.retire('gemini-4-carbon', 'gemini-4.1-carbon');
    const error = (await verifyModelsAtStart(keyed()).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^the worker cannot start: a configured Gemini model is not usable/);
    expect(error.message).toContain('DOCROUTE_PRO_MODEL=gemini-4-carbon is retired');
    expect(error.message).toContain('set DOCROUTE_PRO_MODEL=gemini-4.1-carbon');
    expect(error.message).toContain(`DOCROUTE_PRICES='{"gemini-4.1-carbon":{"input":<input>`);
  });

  it('refuses an unknown model, and only warns when the check itself fails (the API briefly away)', async () => {
    fake.knownModels.add('gemini-3.8-flash');
    fake.knownModels.add('gemini-4-carbon');
    const error = (await verifyModelsAtStart(keyed()).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('DOCROUTE_CHECK_MODEL=gemini-3.5-flash-lite is not served by the Gemini API (models.get: 404)');
    const away = await verifyModelsAtStart(keyed({ GEMINI_BASE_URL: 'http://127.0.0.1:9', DOCROUTE_CHECK_MODEL: 'none' }));
    expect(away.warnings).toHaveLength(2);
    expect(away.warnings[0]).toMatch(/^DOCROUTE_FLASH_MODEL=gemini-3\.8-flash: could not be checked/);
  });

  it('does nothing without a key (offline tier)', async () => {
    expect(await verifyModelsAtStart(loadConfig({}))).toEqual({ rows: [], warnings: [] });
  });
});

describe('the `docroute models` command', () => {
  it('prints the table and exits 0 when every model is served; exits 1 naming the replacement when one is retired', async () => {
    const { modelsCommand } = await import('../../src/cli/commands/models.ts');
    const { silentLogger } = await import('../../src/logger.ts');
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
    const before = process.exitCode;
    try {
      for (const m of ['gemini-3.8-flash', 'gemini-4-carbon', 'gemini-3.5-flash-lite']) fake.knownModels.add(m);
      const config = loadConfig({ GEMINI_API_KEY: 'AIza-cli-models-key', GEMINI_BASE_URL: fake.url });
      process.exitCode = undefined;
      await modelsCommand({ config, log: silentLogger }, {});
      expect(process.exitCode).toBeUndefined();
      expect(out.join('')).toMatch(/deep\s+gemini-4-carbon\s+\$4\s+\$20/);
      fake.retire('gemini-4-carbon', 'gemini-4.1-carbon');
      out.length = 0;
      await modelsCommand({ config, log: silentLogger }, { json: true });
      expect(process.exitCode).toBe(1);
      const json = JSON.parse(out.join('')) as { problems: string[] };
      expect(json.problems[0]).toMatch(/^DOCROUTE_PRO_MODEL=gemini-4-carbon is retired .*; set DOCROUTE_PRO_MODEL=gemini-4\.1-carbon, and since docroute has no price for it: no price for model "gemini-4\.1-carbon": add it to DOCROUTE_PRICES/);
    } finally {
      process.stdout.write = write;
      process.exitCode = before;
    }
  });
});
