import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { Config } from '../config/config.ts';
import type { Logger } from '../logger.ts';
import type { EvalCommandOptions } from './commands/eval.ts';
import type { ExportOptions } from './commands/export.ts';
import type { ApiScope } from '../db/api-keys.ts';

/*
 * The command line. Each command's module (and with it Temporal, Postgres, pdf.js,
 * Fastify…) is imported when that command runs, so `--help` and `--version`
 * load nothing heavy.
 */

/** Shared by every command: the validated configuration and a logger. */
export interface CliContext {
  config: Config;
  log: Logger;
}

async function context(): Promise<CliContext> {
  const [{ loadConfig }, { createLogger }, { installShutdownHandlers }] = await Promise.all([
    import('../config/config.ts'),
    import('../logger.ts'),
    import('../app/shutdown.ts'),
  ]);
  const config = loadConfig();
  installShutdownHandlers();
  return { config, log: createLogger(config.logLevel, undefined, { format: config.logFormat }) };
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** `--scopes` parsed when the command runs (the parser lives with the database code). */
async function scopesOf(text: string): Promise<ApiScope[]> {
  return (await import('./scopes.ts')).parseScopes(text);
}

const program = new Command()
  .name('docroute')
  .description(
    'Turns invoice and contract PDFs into validated, auditable records in Postgres. ' +
      'Without TEMPORAL_ADDRESS and DATABASE_URL it runs locally: it starts a Temporal dev server and an ' +
      'embedded PostgreSQL under DOCROUTE_DATA_DIR (default .docroute/) and an in-process worker.',
  )
  .version(VERSION, '-V, --version', 'print the version')
  .showHelpAfterError();

program
  .command('demo')
  .description('process the bundled sample documents and show their records')
  .option('--json', 'print one JSON object per document')
  .action(async (opts: { json?: boolean }) => (await import('./commands/demo.ts')).demoCommand(await context(), opts));

program
  .command('ingest')
  .description('ingest PDF or e-invoice XML files, or folders of them (each content once: a repeated file starts nothing new; what a folder holds besides is listed as skipped)')
  .argument('<paths...>', 'files or directories')
  .option('--wait', 'wait until every document is processed (always so in local mode, where this process does the work)')
  .option('--json', 'print one JSON object per document (documentId, sha256, file, kind, status, route, tokens, confidence, record, error, workflowId)')
  .action(async (paths: string[], opts: { wait?: boolean; json?: boolean }) => (await import('./commands/ingest.ts')).ingestCommand(await context(), paths, opts));

program
  .command('reprocess')
  .description('run documents again (after a rule, model or configuration change): a new record version, linked to the previous run in `docroute audit`')
  .argument('<ids...>', 'document ids or content hashes (prefix)')
  .option('--wait', 'wait until every document is processed (always so in local mode)')
  .option('--json', 'print one JSON object per document, as ingest does')
  .action(async (ids: string[], opts: { wait?: boolean; json?: boolean }) => (await import('./commands/reprocess.ts')).rerunCommand(await context(), 'reprocess', ids, opts));

program
  .command('retry')
  .description('run again documents that stalled (infrastructure down for too long), were cancelled, or failed')
  .argument('<ids...>', 'document ids or content hashes (prefix)')
  .option('--wait', 'wait until every document is processed (always so in local mode)')
  .option('--json', 'print one JSON object per document, as ingest does')
  .action(async (ids: string[], opts: { wait?: boolean; json?: boolean }) => (await import('./commands/reprocess.ts')).rerunCommand(await context(), 'retry', ids, opts));

program
  .command('cancel')
  .description("cancel documents' running workflows: each is recorded `cancelled`, with who and why (retry or reprocess runs it again)")
  .argument('<refs...>', 'document ids, content hashes (prefix), workflow ids or file paths')
  .option('--reason <text>', 'why, recorded with the document')
  .option('--json', 'print one JSON object per document ({ref, documentId, workflowId, status} or {ref, status: "refused", error})')
  .action(async (refs: string[], opts: { reason?: string; json?: boolean }) => (await import('./commands/cancel.ts')).cancelCommand(await context(), refs, opts));

program
  .command('watch')
  .description('watch an inbox directory and ingest each new PDF once (originals are never moved or deleted)')
  .argument('<dir>', 'the inbox directory')
  .addOption(new Option('--interval <seconds>', 'how often to look').default('2'))
  .action(async (dir: string, opts: { interval: string }) => (await import('./commands/watch.ts')).watchCommand(await context(), dir, opts));

program
  .command('worker')
  .description('run a worker that processes documents (in local mode, with the local services)')
  .action(async () => (await import('./commands/worker.ts')).workerCommand(await context()));

program
  .command('up')
  .description('run the local services and a worker in the foreground, for day-to-day use')
  .action(async () => (await import('./commands/worker.ts')).upCommand(await context()));

program
  .command('serve')
  .description('serve the HTTP API on PORT (default 8080); in local mode with the local services and a worker')
  .action(async () => (await import('./commands/serve.ts')).serveCommand(await context()));

const history = program.command('history').description("a document's workflow history");
history
  .command('export')
  .description("write the workflow's full event history (Temporal's JSON format)")
  .argument('<id>', 'document id, content hash (prefix) or workflow id')
  .option('--out <file>', 'write to a file instead of stdout')
  .action(async (id: string, opts: { out?: string }) => (await import('./commands/audit.ts')).historyExportCommand(await context(), id, opts));

program
  .command('replay')
  .description('replay workflow histories against the current code and report whether they are deterministic (exit 1 if not)')
  .argument('[id]', 'document id, content hash (prefix) or workflow id')
  .option('--file <history.json>', 'replay an exported history file')
  .option('--all', 'replay every extraction workflow in the namespace')
  .option('--since <date>', 'with --all: only workflows started on or after this date (YYYY-MM-DD)')
  .option('--json', 'print the outcome as JSON')
  .action(async (id: string | undefined, opts: { file?: string; all?: boolean; since?: string; json?: boolean }) =>
    (await import('./commands/audit.ts')).replayCommand(await context(), id, opts),
  );

program
  .command('audit')
  .description("a document's timeline: received, parsed, each attempt and routing decision, checks, reviews, records")
  .argument('<file|id>', 'a file (the document with its content), document id, content hash (prefix) or workflow id')
  .option('--json', 'print JSON')
  .action(async (id: string, opts: { json?: boolean }) => (await import('./commands/audit.ts')).auditCommand(await context(), id, opts));

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(async () => (await import('./commands/migrate.ts')).migrateCommand(await context()));

program
  .command('show')
  .description('show a document: status, route, record with evidence (in review: the candidate a reviewer will see), routing decisions and attempts')
  .argument('<file|id>', 'a file (the document with its content), document id, content hash (or a unique prefix of it), or workflow id')
  .option('--json', 'print JSON')
  .action(async (id: string, opts: { json?: boolean }) => (await import('./commands/show.ts')).showCommand(await context(), id, opts));

program
  .command('costs')
  .description('what the model calls cost: per tier and model, per day (UTC), per document and projected per 1,000 documents')
  .option('--since <YYYY-MM-DD>', 'first day included (UTC)')
  .option('--until <YYYY-MM-DD>', 'last day included (UTC)')
  .option('--json', 'print the report as one JSON object')
  .action(async (opts: { since?: string; until?: string; json?: boolean }) => (await import('./commands/costs.ts')).costsCommand(await context(), opts));

program.command('models').description('the configured Gemini models: price (online, batch) and, with GEMINI_API_KEY, whether the API serves each (exit 1 if not)').option('--json', 'print JSON').action(async (opts: { json?: boolean }) => (await import('./commands/models.ts')).modelsCommand(await context(), opts));

program
  .command('eval')
  .description(
    'measure extraction quality, cost and routing on a labelled set, in process (no Temporal or Postgres): ' +
      'the Kleister F1 or field accuracy, calibration, cost per tier, and with --tiers flash,pro the routing frontier',
  )
  .argument('<dir>', 'the labelled set')
  .addOption(new Option('--format <format>', 'kleister (in.tsv, expected.tsv, documents/), invoice2data (NAME.pdf + NAME.json), docroute (manifest.json) or einvoice (NAME_ubl.xml + NAME_uncefact.xml pairs, each scored against its twin)').makeOptionMandatory())
  .option('--tiers <list>', '"flash" (the fast tier only) or "flash,pro" (both tiers on every document, for the routing frontier); default: routed as configured')
  .option('--json', 'print one JSON object: overall, fields, cost, routing, calibration, frontier, perDocument')
  .option('--report <file>', 'write a self-contained HTML report (tables, SVG charts, per-document errors)')
  .option('--concurrency <n>', 'documents processed at once', '4')
  .option('--split <half>', 'all, tune or held-out: the fixed half of the set (by SHA-256 of each file name, see src/eval/splits.ts)', 'all')
  .action(async (dir: string, opts: EvalCommandOptions) => (await import('./commands/eval.ts')).evalCommand(await context(), dir, opts));

{
  const keys = program
    .command('keys')
    .description('manage API keys for the HTTP API (only a hash of each key is stored; a key is shown once, when created)');
  keys
    .command('create')
    .description('create an API key and print it (the only time it is shown)')
    .requiredOption('--name <name>', 'who or what the key is for')
    .addOption(
      new Option('--scopes <list>', 'comma-separated scopes: read, write, review').makeOptionMandatory(),
    )
    .option('--json', 'print exactly {"id","key"}')
    .action(async (opts: { name: string; scopes: string; json?: boolean }) => {
      const scopes = await scopesOf(opts.scopes).catch((error: Error) => program.error(`error: option '--scopes <list>' argument '${opts.scopes}' is invalid. ${error.message}`));
      await (await import('./commands/keys.ts')).keysCreateCommand(await context(), { ...opts, scopes });
    });
  keys
    .command('revoke')
    .description('revoke an API key: requests with it are refused from now on')
    .argument('<id>', 'the key id, as docroute keys list shows it (also the part of the key after "dr_")')
    .action(async (id: string) => (await import('./commands/keys.ts')).keysRevokeCommand(await context(), id));
  keys
    .command('list')
    .description('list API keys: id, status, scopes, dates, name (never the key or its hash)')
    .option('--json', 'print a JSON array')
    .action(async (opts: { json?: boolean }) => (await import('./commands/keys.ts')).keysListCommand(await context(), opts));
}

{
  const webhooks = program
    .command('webhooks')
    .description('webhook subscriptions: a signed POST to your URL when a document is extracted, needs review, fails, is reviewed or cancelled');
  webhooks
    .command('add')
    .description('subscribe a URL to events and print its signing secret (the only time it is shown)')
    .requiredOption('--url <url>', 'http(s) URL (loopback/private addresses need DOCROUTE_WEBHOOK_ALLOW_PRIVATE=true)')
    .requiredOption('--events <list>', 'comma-separated: document.extracted, document.needs_review, document.failed, document.reviewed, document.cancelled, or all')
    .option('--kind <kind>', 'only documents of this kind: invoice, contract or other')
    .option('--json', 'print exactly {"id","secret"}')
    .action(async (opts: { url: string; events: string; kind?: string; json?: boolean }) => {
      const commands = await import('./commands/webhooks.ts');
      const events = (() => {
        try {
          return commands.parseEvents(opts.events);
        } catch (error) {
          return program.error(`error: option '--events <list>' argument '${opts.events}' is invalid. ${(error as Error).message}`);
        }
      })();
      if (opts.kind && !['invoice', 'contract', 'other'].includes(opts.kind)) program.error(`error: --kind is invoice, contract or other`);
      await commands.webhooksAddCommand(await context(), { ...opts, events });
    });
  webhooks
    .command('list')
    .description('active subscriptions (never their secrets)')
    .option('--json', 'print a JSON array')
    .action(async (opts: { json?: boolean }) => (await import('./commands/webhooks.ts')).webhooksListCommand(await context(), opts));
  webhooks
    .command('remove')
    .description('remove a subscription (pending deliveries are dropped; the delivery history stays)')
    .argument('<id>', 'the webhook id')
    .action(async (id: string) => (await import('./commands/webhooks.ts')).webhooksRemoveCommand(await context(), id));
  webhooks
    .command('deliveries')
    .description("a subscription's deliveries, newest first, with every attempt (status, latency, error)")
    .argument('<id>', 'the webhook id')
    .option('--json', 'one JSON object per line')
    .action(async (id: string, opts: { json?: boolean }) => (await import('./commands/webhooks.ts')).webhooksDeliveriesCommand(await context(), id, opts));
  // Review-console accounts (src/cli/commands/users.ts), loaded when used.
  const users = program.command('users').description('manage review-console accounts (passwords are stored as scrypt hashes)');
  const role = () => new Option('--role <role>', 'admin, reviewer or viewer').argParser((v) => v as 'admin' | 'reviewer' | 'viewer');
  users
    .command('create')
    .description('create an account; its initial password is generated and shown once, or read from stdin')
    .requiredOption('--name <name>', 'the sign-in name (recorded on each decision)')
    .addOption(role().makeOptionMandatory())
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .action(async (opts: { name: string; role: string; passwordStdin?: boolean }) => {
      const m = await import('./commands/users.ts');
      await m.usersCreateCommand(await context(), { ...opts, role: m.parseRole(opts.role) });
    });
  users
    .command('list')
    .description('list accounts: name, role, status, dates (never a password or hash)')
    .option('--json', 'print a JSON array')
    .action(async (opts: { json?: boolean }) => (await import('./commands/users.ts')).usersListCommand(await context(), opts));
  users
    .command('set-role')
    .argument('<name>')
    .argument('<role>', 'admin, reviewer or viewer')
    .description("change an account's role")
    .action(async (name: string, r: string) => {
      const m = await import('./commands/users.ts');
      await m.usersSetRoleCommand(await context(), name, m.parseRole(r));
    });
  users
    .command('reset-password')
    .argument('<name>')
    .description('give an account a new password (generated and shown once, or from stdin) and clear its lockout')
    .option('--password-stdin', 'read the password from stdin')
    .action(async (name: string, opts: { passwordStdin?: boolean }) => (await import('./commands/users.ts')).usersResetPasswordCommand(await context(), name, opts));
  users
    .command('disable')
    .argument('<name>')
    .description('disable an account and end its sessions')
    .action(async (name: string) => (await import('./commands/users.ts')).usersDisableCommand(await context(), name));
}

program
  .command('export')
  .description(
    'write every matching invoice or contract (latest record versions) as CSV or JSON Lines: the rows of GET /v1/invoices|contracts?format=csv|jsonl. ' +
      'CSV starts with a UTF-8 byte order mark (for Excel; --no-bom for other programs)',
  )
  .argument('<what>', 'what to export: invoices or contracts')
  .addOption(new Option('--format <format>', 'output format').choices(['csv', 'jsonl']).makeOptionMandatory())
  .option('--out <file>', 'write to this file instead of stdout')
  .option('--no-bom', 'CSV without the UTF-8 byte order mark (which makes Excel read "Präzisionstechnik" right, but a program may take it for part of the first header)')
  .option('--csv-raw', "CSV cells exactly as stored (by default a cell starting with = + - @, tab or CR gets a leading ' so spreadsheets do not run it as a formula)")
  .option('--include-review', 'documents in review too, after the records, with their candidate values (what a reviewer sees) and the columns valuesFrom and reviewReasons')
  .option('--status <status>', "the document's status (extracted, needs_review, …)")
  .option('--sort <sort>', 'invoices: issueDate, dueDate, total, createdAt or vendor; contracts: effectiveDate, expirationDate or createdAt; "-" for descending (default -createdAt)')
  .option('--vendor <prefix>', 'invoices: vendor name prefix, case-insensitive')
  .option('--number <invoiceNumber>', 'invoices: exact invoice number')
  .option('--from <YYYY-MM-DD>', 'invoices: issue date on or after')
  .option('--to <YYYY-MM-DD>', 'invoices: issue date on or before')
  .option('--due-from <YYYY-MM-DD>', 'invoices: due date on or after')
  .option('--due-to <YYYY-MM-DD>', 'invoices: due date on or before')
  .option('--currency <code>', 'invoices: ISO 4217 currency code')
  .option('--total-min <decimal>', 'invoices: total at least')
  .option('--total-max <decimal>', 'invoices: total at most')
  .option('--party <prefix>', "contracts: prefix of any party's name, case-insensitive")
  .option('--governing-law <law>', 'contracts: governing law, case-insensitive exact match')
  .option('--effective-from <YYYY-MM-DD>', 'contracts: effective date on or after')
  .option('--effective-to <YYYY-MM-DD>', 'contracts: effective date on or before')
  .option('--expiration-from <YYYY-MM-DD>', 'contracts: expiration date on or after')
  .option('--expiration-to <YYYY-MM-DD>', 'contracts: expiration date on or before')
  .action(async (what: string, opts: ExportOptions) => (await import('./commands/export.ts')).exportCommand(await context(), what, opts));

program
  .command('list')
  .description('recent documents, newest first: id, status, kind, total or parties, file (to find an id for show/audit); with paths, the documents of those files (by content), and the files not ingested')
  .argument('[paths...]', 'files or folders: list the documents with their content instead of the most recent')
  .addOption(new Option('--status <status>', 'only documents in this status').choices(['received', 'processing', 'extracted', 'needs_review', 'failed', 'cancelled', 'stalled']))
  .option('--limit <n>', 'how many', '20')
  .option('--json', 'print one JSON object per line')
  .action(async (paths: string[], opts: { status?: string; limit: string; json?: boolean }) => (await import('./commands/list.ts')).listCommand(await context(), paths, opts));

program.addHelpText(
  'after',
  `
Exit codes: 0 success; 1 an error, or (ingest, demo) a document ended failed; 2 bad configuration or usage;
            3 a local service port is taken by a server of another setup; 128+N stopped by signal N.`,
);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const name = error instanceof Error ? error.name : '';
  if (name === 'ForeignServiceError') {
    process.stderr.write(`docroute: ${(error as Error).message}\n`);
    process.exit(3);
  }
  if (name === 'ConfigError') {
    process.stderr.write(`docroute: ${(error as Error).message}\n`);
    process.exit(2);
  }
  process.stderr.write(`docroute: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
