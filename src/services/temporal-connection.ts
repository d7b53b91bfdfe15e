import type { Config } from '../config/config.ts';

/** What `Connection.connect` (client) and `NativeConnection.connect` (worker) both accept. */
export interface TemporalConnectOptions {
  address: string;
  /** true: TLS with the system's roots; an object: server name, CA, client certificate (mTLS). */
  tls?: boolean | { serverNameOverride?: string; serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer } };
  apiKey?: string;
  metadata?: Record<string, string>;
}

/**
 * The connection options of the configured cluster: address, TLS and API key as
 * `@temporalio/envconfig` read them (TEMPORAL_* variables or a profile of the
 * Temporal config file; see config.ts). The API key leaves its Secret only here,
 * on its way into the connection.
 */
export function connectOptionsOf(config: Config): TemporalConnectOptions {
  const t = config.temporal;
  if (!t.address) throw new Error('no Temporal cluster is configured (local mode)');
  return {
    address: t.address,
    ...(t.tls !== undefined ? { tls: t.tls } : {}),
    ...(t.apiKey ? { apiKey: t.apiKey.reveal() } : {}),
    ...(t.metadata ? { metadata: t.metadata } : {}),
  };
}
