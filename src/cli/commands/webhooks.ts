import { InvalidArgumentError } from 'commander';
import { createWebhook, listDeliveries, listWebhooks, removeWebhook } from '../../db/webhooks.ts';
import { checkWebhookTarget } from '../../webhooks/address-guard.ts';
import { WEBHOOK_EVENTS, type WebhookEvent } from '../../webhooks/events.ts';
import type { CliContext } from '../main.ts';
import { withDb } from '../with-db.ts';

/** `--events document.extracted,document.failed` (or `all`). */
export function parseEvents(text: string): WebhookEvent[] {
  const given = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (given.length === 1 && given[0] === 'all') return [...WEBHOOK_EVENTS];
  const unknown = given.filter((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
  if (unknown.length || !given.length) {
    throw new InvalidArgumentError(`events are ${WEBHOOK_EVENTS.join(', ')} (comma-separated) or "all"${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);
  }
  return [...new Set(given as WebhookEvent[])];
}

export async function webhooksAddCommand(
  ctx: CliContext,
  opts: { url: string; events: WebhookEvent[]; kind?: string; json?: boolean },
): Promise<void> {
  await checkWebhookTarget(opts.url, ctx.config.webhooks.allowPrivate);
  const created = await withDb(ctx, (db) =>
    createWebhook(db, { url: opts.url, events: opts.events, kind: opts.kind ?? null, createdBy: `cli:${process.env.USER ?? 'unknown'}` }),
  );
  if (opts.json) {
    process.stdout.write(JSON.stringify({ id: created.id, secret: created.secret }) + '\n');
    return;
  }
  process.stdout.write(
    `webhook ${created.id} → ${opts.url}\nevents: ${opts.events.join(', ')}${opts.kind ? `\nkind: ${opts.kind}` : ''}\n` +
      `secret (shown once; verify the webhook-signature header with it): ${created.secret}\n`,
  );
}

export async function webhooksListCommand(ctx: CliContext, opts: { json?: boolean }): Promise<void> {
  const hooks = await withDb(ctx, (db) => listWebhooks(db));
  if (opts.json) {
    process.stdout.write(JSON.stringify(hooks) + '\n');
    return;
  }
  if (!hooks.length) {
    process.stdout.write('no webhooks (docroute webhooks add --url URL --events LIST)\n');
    return;
  }
  for (const h of hooks) {
    process.stdout.write(`${h.id}  ${h.url}  ${h.events.join(',')}${h.kind ? `  kind=${h.kind}` : ''}  since ${new Date(h.created_at).toISOString()}\n`);
  }
}

export async function webhooksRemoveCommand(ctx: CliContext, id: string): Promise<void> {
  const removed = await withDb(ctx, (db) => removeWebhook(db, id));
  if (!removed) {
    process.stderr.write(`no active webhook ${id}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`webhook ${id} removed; pending deliveries are dropped\n`);
}

export async function webhooksDeliveriesCommand(ctx: CliContext, id: string, opts: { json?: boolean }): Promise<void> {
  const deliveries = await withDb(ctx, (db) => listDeliveries(db, { webhookId: id }));
  if (opts.json) {
    for (const d of deliveries) process.stdout.write(JSON.stringify(d) + '\n');
    return;
  }
  for (const d of deliveries) {
    process.stdout.write(`${d.id}  ${d.event}  document ${d.document_id}  ${d.status}${d.error ? ` (${d.error})` : ''}\n`);
    for (const a of d.attempts) {
      process.stdout.write(`    attempt ${a.attempt}: ${a.status_code ?? '—'} in ${a.latency_ms} ms${a.error ? `: ${a.error}` : ''}\n`);
    }
  }
}
