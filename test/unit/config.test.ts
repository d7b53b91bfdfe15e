import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { scrubSecrets } from '../../src/config/secret.ts';

describe('configuration', () => {
  it('has working defaults on an empty environment (local mode)', () => {
    const c = loadConfig({}, { cwd: '/srv/app' });
    expect(c.database.url).toBeUndefined();
    expect(c.temporal.address).toBeUndefined();
    expect(c.dataDir).toBe('/srv/app/.docroute');
    expect(c.routing).toEqual({ longDocTokens: 20000, minConfidence: 0.8, valueFloor: true, chunkTokens: 6000, docBudgetUsd: 0.25 });
    expect([c.gemini.flashModel, c.gemini.proModel, c.gemini.checkModel]).toEqual(['gemini-3.8-flash', 'gemini-4-carbon', 'gemini-3.5-flash-lite']);
    expect(c.prices['gemini-3.8-flash']).toMatchObject({ input: 0.75, output: 3.75 });
    expect(c.gemini.batch).toEqual({ sources: 'none', deadlineMs: 24 * 3_600_000, pollMs: 60_000 });
    expect(c.gemini.apiKey).toBeUndefined();
    expect([c.gemini.timeoutMs, c.gemini.minOutputTokensPerSecond]).toEqual([120_000, 100]);
  });

  it('reads the slowest planned model output rate, and refuses one that is not positive', () => {
    expect(loadConfig({ DOCROUTE_MODEL_MIN_OUTPUT_TOKENS_PER_SECOND: '250' }).gemini.minOutputTokensPerSecond).toBe(250);
    expect(() => loadConfig({ DOCROUTE_MODEL_MIN_OUTPUT_TOKENS_PER_SECOND: '0' })).toThrow(/DOCROUTE_MODEL_MIN_OUTPUT_TOKENS_PER_SECOND/);
  });

  it('reads and coerces the variables', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://u@h:5432/d',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      DOCROUTE_LONG_DOC_TOKENS: '12000',
      DOCROUTE_MIN_CONFIDENCE: '0.65',
      DOCROUTE_MAX_FILE_MB: '2',
      DOCROUTE_DATA_DIR: '/var/lib/docroute',
    });
    expect(c.database.url).toBe('postgres://u@h:5432/d');
    expect(c.temporal.address).toBe('temporal.internal:7233');
    expect(c.routing.longDocTokens).toBe(12000);
    expect(c.routing.minConfidence).toBe(0.65);
    expect(c.limits.maxFileBytes).toBe(2 * 1024 * 1024);
    expect(c.dataDir).toBe('/var/lib/docroute');
  });

  it('merges a price override into the defaults, and rejects a malformed one', () => {
    const c = loadConfig({ DOCROUTE_PRICES: '{"my-model":{"input":1,"output":2}}' });
    expect(c.prices['my-model']).toEqual({ input: 1, output: 2, cachedInput: 0 });
    expect(c.prices['gemini-4-carbon']?.input).toBe(4);
    expect(() => loadConfig({ DOCROUTE_PRICES: '{"m":{"input":"lots"}}' })).toThrow(/DOCROUTE_PRICES must be JSON/);
  });

  it('refuses a retired model at start, naming the replacement: for the deep tier the strongest current Pro-class model', () => {
    // Google routes gemini-2.5-pro to gemini-3.8-flash; a deep tier on a Flash model is no deep tier.
    expect(() => loadConfig({ DOCROUTE_PRO_MODEL: 'gemini-2.5-pro' })).toThrow(
      /DOCROUTE_PRO_MODEL=gemini-2\.5-pro: Google shut this model down on 2026-12-01; set DOCROUTE_PRO_MODEL=gemini-4-carbon \(the strongest current Pro-class model; Google routes gemini-2\.5-pro to gemini-3\.8-flash/,
    );
    expect(() => loadConfig({ DOCROUTE_PRO_MODEL: 'gemini-3-pro-preview' })).toThrow(
      'DOCROUTE_PRO_MODEL=gemini-3-pro-preview: Google shut this model down on 2026-03-09; set DOCROUTE_PRO_MODEL=gemini-3.1-pro-preview (the replacement Google names)',
    );
    expect(() => loadConfig({ DOCROUTE_FLASH_MODEL: 'gemini-2.0-flash' })).toThrow(/set DOCROUTE_FLASH_MODEL=gemini-3\.5-flash-lite/);
  });

  it('refuses an unpriced model at start with what to add to DOCROUTE_PRICES, and accepts it once priced', () => {
    expect(() => loadConfig({ DOCROUTE_FLASH_MODEL: 'gemini-3.9-flash' })).toThrow(
      /DOCROUTE_FLASH_MODEL=gemini-3\.9-flash: no price for model "gemini-3\.9-flash": add it to DOCROUTE_PRICES .*"gemini-3\.9-flash":\{"input":<input>/,
    );
    const c = loadConfig({ DOCROUTE_FLASH_MODEL: 'gemini-3.9-flash', DOCROUTE_PRICES: '{"gemini-3.9-flash":{"input":1,"output":5}}' });
    expect(c.gemini.flashModel).toBe('gemini-3.9-flash');
  });

  it('reads the batch settings', () => {
    const c = loadConfig({ DOCROUTE_BATCH: 'watch,api', DOCROUTE_BATCH_DEADLINE_MINUTES: '90', DOCROUTE_BATCH_POLL_SECONDS: '30', DOCROUTE_CHECK_MODEL: 'none' });
    expect(c.gemini.batch).toEqual({ sources: ['watch', 'api'], deadlineMs: 90 * 60_000, pollMs: 30_000 });
    expect(c.gemini.checkModel).toBeNull();
    expect(() => loadConfig({ DOCROUTE_BATCH: 'Watch!' })).toThrow(/DOCROUTE_BATCH is none, all/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', TEMPORAL_ADDRESS: ' ' }).database.url).toBeUndefined();
  });

  it('names every bad variable and what to fix', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', DOCROUTE_MIN_CONFIDENCE: '1.5', TEMPORAL_ADDRESS: 'no-port' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('DATABASE_URL must be a postgres://');
    expect(message).toContain('DOCROUTE_MIN_CONFIDENCE');
    expect(message).toContain('TEMPORAL_ADDRESS must be host:port');
  });

  it('never prints the API key', () => {
    const c = loadConfig({ GEMINI_API_KEY: 'AIzaSy-very-secret-key' });
    expect(c.gemini.apiKey?.reveal()).toBe('AIzaSy-very-secret-key');
    const shown = [JSON.stringify(c), inspect(c, { depth: 5 }), `${c.gemini.apiKey}`].join('\n');
    expect(shown).not.toContain('very-secret');
    expect(scrubSecrets('request failed: key=AIzaSy-very-secret-key', [c.gemini.apiKey])).toBe('request failed: key=[redacted]');
  });
});
