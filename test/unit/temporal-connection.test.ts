import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { connectOptionsOf } from '../../src/services/temporal-connection.ts';

describe('the Temporal cluster connection (@temporalio/envconfig)', () => {
  it('no TEMPORAL_ADDRESS and no profile: local mode, whatever the Temporal CLI config file says', () => {
    const c = loadConfig({ HOME: '/nonexistent' });
    expect(c.temporal.address).toBeUndefined();
    expect(c.temporal.apiKey).toBeUndefined();
    expect(() => connectOptionsOf(c)).toThrow(/local mode/);
  });

  it('Temporal Cloud with an API key: TLS on, the key a Secret until it goes into the connection', () => {
    const c = loadConfig({
      TEMPORAL_ADDRESS: 'eu-west-1.aws.api.temporal.io:7233',
      TEMPORAL_NAMESPACE: 'docroute.a1b2c',
      TEMPORAL_API_KEY: 'tk-very-secret-key',
    });
    expect(c.temporal.namespace).toBe('docroute.a1b2c');
    expect(inspect(c)).not.toContain('tk-very-secret-key');
    expect(JSON.stringify(c)).not.toContain('tk-very-secret-key');
    expect(connectOptionsOf(c)).toEqual({ address: 'eu-west-1.aws.api.temporal.io:7233', tls: true, apiKey: 'tk-very-secret-key' });
  });

  it('a self-hosted cluster with a private CA and a server name; without TLS variables, plain', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'docroute-tls-'));
    try {
      const ca = path.join(dir, 'ca.pem');
      await writeFile(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
      const c = loadConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca, TEMPORAL_TLS_SERVER_NAME: 'temporal' });
      const tls = connectOptionsOf(c).tls as { serverNameOverride?: string; serverRootCACertificate?: Buffer };
      expect(tls.serverNameOverride).toBe('temporal');
      expect(tls.serverRootCACertificate?.toString()).toContain('BEGIN CERTIFICATE');
      expect(connectOptionsOf(loadConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233' }))).toEqual({ address: 'temporal.internal:7233' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a profile of a TOML file (TEMPORAL_PROFILE + TEMPORAL_CONFIG_FILE); a missing profile is a configuration error', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'docroute-profile-'));
    try {
      const file = path.join(dir, 'temporal.toml');
      await writeFile(file, '[profile.prod]\naddress = "prod.tmprl.cloud:7233"\nnamespace = "prod.ns"\napi_key = "pk-123456"\n');
      const c = loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
      expect(c.temporal.address).toBe('prod.tmprl.cloud:7233');
      expect(c.temporal.namespace).toBe('prod.ns');
      expect(connectOptionsOf(c)).toMatchObject({ apiKey: 'pk-123456', tls: true });
      expect(() => loadConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'nope' })).toThrow(ConfigError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
