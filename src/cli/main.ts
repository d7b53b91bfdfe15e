import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config/config.ts';
import { createLogger, type Logger } from '../logger.ts';
import { costsCommand } from './commands/costs.ts';
import { auditCommand, historyExportCommand, replayCommand } from './commands/audit.ts';
import { demoCommand } from './commands/demo.ts';
import { evalCommand, type EvalCommandOptions } from './commands/eval.ts';
import { exportCommand, type ExportInvoicesOptions } from './commands/export.ts';
import { ingestCommand } from './commands/ingest.ts';
import { keysCreateCommand, keysListCommand, keysRevokeCommand, parseScopes } from './commands/keys.ts';
import { migrateCommand } from './commands/migrate.ts';
import { rerunCommand } from './commands/reprocess.ts';
import { serveCommand } from './commands/serve.ts';
import { showCommand } from './commands/show.ts';
import { upCommand, workerCommand } from './commands/worker.ts';
import { watchCommand } from './commands/watch.ts';

/** Shared by every command: the validated configuration and a logger. */
export interface CliContext {
  config: Config;
  log: Logger;
}

function context(): CliContext {
  const config = loadConfig();
  return { config, log: createLogger(config.logLevel) };
}

const program = new Command()
  .name('docroute')
  .description(
    'Turns invoice and contract PDFs into validated, auditable records in Postgres. ' +
      'Without TEMPORAL_ADDRESS and DATABASE_URL it runs locally: it starts a Temporal dev server and an ' +
      'embedded PostgreSQL under DOCROUTE_DATA_DIR (default .docroute/) and an in-process worker.',
  )
  .showHelpAfterError();

program
  .command('demo')
  .description('process the bundled sample documents and show their records')
  .option('--json', 'print one JSON object per document')
  .action(async (opts: { json?: boolean }) => demoCommand(context(), opts));

program
  .command('ingest')
  .description('ingest PDF files or directories of PDFs (each content once: a repeated file starts nothing new)')
  .argument('<paths...>', 'files or directories')
  .option('--wait', 'wait until every document is processed (always so in local mode, where this process does the work)')
  .option('--json', 'print one JSON object per document (documentId, sha256, file, kind, status, route, tokens, confidence, record, error, workflowId)')
  .action(async (paths: string[], opts: { wait?: boolean; json?: boolean }) => ingestCommand(context(), paths, opts));

program
  .command('reprocess')
  .description('run documents again (after a rule, model or configuration change): a new record version, linked to the previous run in `docroute audit`')
  .argument('<ids...>', 'document ids or content hashes (prefix)')
  .option('--wait', 'wait until every document is processed (always so in local mode)')
  .option('--json', 'print one JSON object per document, as ingest does')
  .action(async (ids: string[], opts: { wait?: boolean; json?: boolean }) => rerunCommand(context(), 'reprocess', ids, opts));

program
  .command('retry')
  .description('run again documents that stalled (infrastructure down for too long), were cancelled, or failed')
  .argument('<ids...>', 'document ids or content hashes (prefix)')
  .option('--wait', 'wait until every document is processed (always so in local mode)')
  .option('--json', 'print one JSON object per document, as ingest does')
  .action(async (ids: string[], opts: { wait?: boolean; json?: boolean }) => rerunCommand(context(), 'retry', ids, opts));

program
  .command('watch')
  .description('watch an inbox directory and ingest each new PDF once (originals are never moved or deleted)')
  .argument('<dir>', 'the inbox directory')
  .addOption(new Option('--interval <seconds>', 'how often to look').default('2'))
  .action(async (dir: string, opts: { interval: string }) => watchCommand(context(), dir, opts));

program
  .command('worker')
  .description('run a worker that processes documents (in local mode, with the local services)')
  .action(async () => workerCommand(context()));

program
  .command('up')
  .description('run the local services and a worker in the foreground, for day-to-day use')
  .action(async () => upCommand(context()));

program
  .command('serve')
  .description('serve the HTTP API on PORT (default 8080); in local mode with the local services and a worker')
  .action(async () => serveCommand(context()));

const history = program.command('history').description("a document's workflow history");
history
  .command('export')
  .description("write the workflow's full event history (Temporal's JSON format)")
  .argument('<id>', 'document id, content hash (prefix) or workflow id')
  .option('--out <file>', 'write to a file instead of stdout')
  .action(async (id: string, opts: { out?: string }) => historyExportCommand(context(), id, opts));

program
  .command('replay')
  .description('replay workflow histories against the current code and report whether they are deterministic (exit 1 if not)')
  .argument('[id]', 'document id, content hash (prefix) or workflow id')
  .option('--file <history.json>', 'replay an exported history file')
  .option('--all', 'replay every extraction workflow in the namespace')
  .option('--since <date>', 'with --all: only workflows started on or after this date (YYYY-MM-DD)')
  .option('--json', 'print the outcome as JSON')
  .action(async (id: string | undefined, opts: { file?: string; all?: boolean; since?: string; json?: boolean }) =>
    replayCommand(context(), id, opts),
  );

program
  .command('audit')
  .description("a document's timeline: received, parsed, each attempt and routing decision, checks, reviews, records")
  .argument('<id>', 'document id, content hash (prefix) or workflow id')
  .option('--json', 'print JSON')
  .action(async (id: string, opts: { json?: boolean }) => auditCommand(context(), id, opts));

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(async () => migrateCommand(context()));

program
  .command('show')
  .description('show a document: status, route, record, evidence, routing decisions and attempts')
  .argument('<id>', 'document id, content hash (or a unique prefix of it), or workflow id')
  .option('--json', 'print JSON')
  .action(async (id: string, opts: { json?: boolean }) => showCommand(context(), id, opts));

program
  .command('costs')
  .description('what the model calls cost: per tier and model, per day (UTC), per document and projected per 1,000 documents')
  .option('--since <YYYY-MM-DD>', 'first day included (UTC)')
  .option('--until <YYYY-MM-DD>', 'last day included (UTC)')
  .option('--json', 'print the report as one JSON object')
  .action(async (opts: { since?: string; until?: string; json?: boolean }) => costsCommand(context(), opts));

program
  .command('eval')
  .description(
    'measure extraction quality, cost and routing on a labelled set, in process (no Temporal or Postgres): ' +
      'the Kleister F1 or field accuracy, calibration, cost per tier, and with --tiers flash,pro the routing frontier',
  )
  .argument('<dir>', 'the labelled set')
  .addOption(new Option('--format <format>', 'kleister (in.tsv, expected.tsv, documents/), invoice2data (NAME.pdf + NAME.json) or docroute (manifest.json)').makeOptionMandatory())
  .option('--tiers <list>', '"flash" (the fast tier only) or "flash,pro" (both tiers on every document, for the routing frontier); default: routed as configured')
  .option('--json', 'print one JSON object: overall, fields, cost, routing, calibration, frontier, perDocument')
  .option('--report <file>', 'write a self-contained HTML report (tables, SVG charts, per-document errors)')
  .option('--concurrency <n>', 'documents processed at once', '4')
  .option('--split <half>', 'all, tune or held-out: the fixed half of the set (by SHA-256 of each file name, see src/eval/splits.ts)', 'all')
  .action(async (dir: string, opts: EvalCommandOptions) => evalCommand(context(), dir, opts));

{
  const keys = program
    .command('keys')
    .description('manage API keys for the HTTP API (only a hash of each key is stored; a key is shown once, when created)');
  keys
    .command('create')
    .description('create an API key and print it (the only time it is shown)')
    .requiredOption('--name <name>', 'who or what the key is for')
    .addOption(
      new Option('--scopes <list>', 'comma-separated scopes: read, write, review').argParser(parseScopes).makeOptionMandatory(),
    )
    .option('--json', 'print exactly {"id","key"}')
    .action(async (opts: { name: string; scopes: ReturnType<typeof parseScopes>; json?: boolean }) => {
      await keysCreateCommand(context(), opts);
    });
  keys
    .command('revoke')
    .description('revoke an API key: requests with it are refused from now on')
    .argument('<id>', 'the key id, as docroute keys list shows it (also the part of the key after "dr_")')
    .action(async (id: string) => keysRevokeCommand(context(), id));
  keys
    .command('list')
    .description('list API keys: id, status, scopes, dates, name (never the key or its hash)')
    .option('--json', 'print a JSON array')
    .action(async (opts: { json?: boolean }) => keysListCommand(context(), opts));
}

program
  .command('export')
  .description('write every matching invoice (latest record versions) as CSV or JSON Lines: the rows of GET /v1/invoices?format=csv|jsonl')
  .argument('<what>', 'what to export: invoices')
  .addOption(new Option('--format <format>', 'output format').choices(['csv', 'jsonl']).makeOptionMandatory())
  .option('--out <file>', 'write to this file instead of stdout')
  .option('--vendor <prefix>', 'vendor name prefix, case-insensitive')
  .option('--number <invoiceNumber>', 'exact invoice number')
  .option('--from <YYYY-MM-DD>', 'issue date on or after')
  .option('--to <YYYY-MM-DD>', 'issue date on or before')
  .option('--due-from <YYYY-MM-DD>', 'due date on or after')
  .option('--due-to <YYYY-MM-DD>', 'due date on or before')
  .option('--currency <code>', 'ISO 4217 currency code')
  .option('--total-min <decimal>', 'total at least')
  .option('--total-max <decimal>', 'total at most')
  .option('--status <status>', "the document's status (extracted, needs_review, …)")
  .option('--sort <sort>', 'issueDate, dueDate, total, createdAt or vendor; "-" for descending (default -createdAt)')
  .action(async (what: string, opts: ExportInvoicesOptions) => exportCommand(context(), what, opts));

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`docroute: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`docroute: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
