import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/**
 * Which local services belong to which data dir. A data dir has an owner id,
 * made once and kept in it; the Temporal dev server it starts carries that id as
 * a namespace (`docroute-owner-<id>`, persisted in the server's SQLite file), so
 * a command can tell its own server from a foreign one on the same port: another
 * data dir's, or someone's own dev server. The embedded PostgreSQL is told apart
 * by its password (made per data dir) and its data directory.
 *
 * `services.json` in the data dir records what was started, by which process,
 * on which port, for people (and messages) more than for decisions: a pid may be
 * stale, the owner namespace cannot lie.
 */
export class ForeignServiceError extends Error {
  override name = 'ForeignServiceError';
}

/** The data dir's owner namespace, `docroute-owner-<24 hex>`: made on first use, then read. */
export async function dataDirOwnerId(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'owner-id');
  try {
    const id = (await fs.readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{24}$/.test(id)) return `docroute-owner-${id}`;
  } catch {
    // first use
  }
  await fs.mkdir(dataDir, { recursive: true });
  const id = randomBytes(12).toString('hex');
  // wx: when two first commands race, one id wins and both read it.
  await fs.writeFile(file, id + '\n', { flag: 'wx' }).catch(() => undefined);
  const kept = (await fs.readFile(file, 'utf8')).trim();
  return `docroute-owner-${kept}`;
}

export interface ServiceRecord {
  port: number;
  /** The service's own process, when we know it. */
  pid: number | null;
  /** The docroute process that started it (it stops it when it exits). */
  startedBy: number;
  host: string;
  startedAt: string;
}

export interface ServiceState {
  dataDir?: string;
  temporal?: ServiceRecord;
  postgres?: ServiceRecord;
}

const STATE_FILE = 'services.json';

export async function readServiceState(dataDir: string): Promise<ServiceState> {
  try {
    return JSON.parse(await fs.readFile(path.join(dataDir, STATE_FILE), 'utf8')) as ServiceState;
  } catch {
    return {};
  }
}

/** Records that this process started a service of the data dir. */
export async function recordService(dataDir: string, service: 'temporal' | 'postgres', entry: { port: number; pid: number | null }): Promise<void> {
  const state = await readServiceState(dataDir);
  state.dataDir = dataDir;
  state[service] = { ...entry, startedBy: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  const file = path.join(dataDir, STATE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
  await fs.rename(tmp, file);
}

/** "started by pid 123 at 2026-…" for messages. */
export function describeOwner(record: ServiceRecord): string {
  return `started by docroute pid ${record.startedBy} at ${record.startedAt}`;
}
