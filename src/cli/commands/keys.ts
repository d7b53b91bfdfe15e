import { createApiKey, findApiKeyRevocation, listApiKeys, revokeApiKey, type ApiScope } from '../../db/api-keys.ts';
import { withDb } from '../with-db.ts';
import type { CliContext } from '../main.ts';

export { parseScopes } from '../scopes.ts';

/** Creates a key and prints it, the only time it can be seen (only its hash is stored). */
export async function keysCreateCommand(
  ctx: CliContext,
  opts: { name: string; scopes: ApiScope[]; json?: boolean },
): Promise<{ id: string; key: string }> {
  const name = opts.name.trim();
  if (!name) throw new Error('--name must not be empty');
  const created = await withDb(ctx, (db) => createApiKey(db, name, opts.scopes));
  if (opts.json) {
    process.stdout.write(JSON.stringify({ id: created.id, key: created.key }) + '\n');
  } else {
    process.stdout.write(
      `Created API key ${created.id} ("${name}", scopes ${opts.scopes.join(', ')}).\n` +
        `The key is shown only this once; store it now (send it as "Authorization: Bearer <key>"):\n\n` +
        `  ${created.key}\n\n`,
    );
  }
  return created;
}

/** Revokes a key by id: requests with it get 401 from then on. Revoking a revoked key changes nothing. */
export async function keysRevokeCommand(ctx: CliContext, id: string): Promise<void> {
  await withDb(ctx, async (db) => {
    if (await revokeApiKey(db, id)) {
      process.stdout.write(`Revoked API key ${id}.\n`);
      return;
    }
    const row = await findApiKeyRevocation(db, id);
    if (!row) throw new Error(`no API key has id ${id} (see docroute keys list)`);
    process.stdout.write(`API key ${id} was already revoked (${new Date(row.revokedAt as Date).toISOString()}).\n`);
  });
}

/** Lists keys: id, name, scopes, dates. Never the key or its hash (neither is printable: only the hash is stored). */
export async function keysListCommand(ctx: CliContext, opts: { json?: boolean }): Promise<void> {
  const keys = await withDb(ctx, (db) => listApiKeys(db));
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  if (opts.json) {
    const out = keys.map((k) => ({
      id: k.id,
      name: k.name,
      scopes: k.scopes,
      createdAt: iso(k.created_at),
      lastUsedAt: iso(k.last_used_at),
      revokedAt: iso(k.revoked_at),
    }));
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  if (!keys.length) {
    process.stdout.write('No API keys. Create one: docroute keys create --name <name> --scopes read\n');
    return;
  }
  const rows = keys.map((k) => [
    k.id,
    k.revoked_at ? 'revoked' : 'active',
    k.scopes.join(','),
    (iso(k.created_at) ?? '').slice(0, 16).replace('T', ' '),
    k.last_used_at ? (iso(k.last_used_at) ?? '').slice(0, 16).replace('T', ' ') : '-',
    k.name,
  ]);
  const header = ['ID', 'STATUS', 'SCOPES', 'CREATED (UTC)', 'LAST USED', 'NAME'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const r of [header, ...rows]) {
    process.stdout.write(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ') + '\n');
  }
}
