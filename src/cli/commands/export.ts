import { createWriteStream } from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { ContractFilters, ContractSort } from '../../api/routes/contracts.ts';
import { InvoiceFilters, InvoiceSort } from '../../api/schemas.ts';
import { contractExport } from '../../exports/contracts.ts';
import { invoiceExport } from '../../exports/invoices.ts';
import type { Db } from '../../db/database.ts';
import { writeTable, type CsvOptions } from '../../exports/writers.ts';
import { withDb } from '../with-db.ts';
import type { CliContext } from '../main.ts';

export interface ExportOptions {
  format: string;
  out?: string;
  /** CSV cells exactly as stored, without the formula guard. */
  csvRaw?: boolean;
  /** CSV: a UTF-8 byte order mark first (commander's `--no-bom` sets it false). */
  bom?: boolean;
  includeReview?: boolean;
  status?: string;
  sort?: string;
  // invoices
  vendor?: string;
  number?: string;
  from?: string;
  to?: string;
  dueFrom?: string;
  dueTo?: string;
  currency?: string;
  totalMin?: string;
  totalMax?: string;
  // contracts
  party?: string;
  governingLaw?: string;
  effectiveFrom?: string;
  effectiveTo?: string;
  expirationFrom?: string;
  expirationTo?: string;
}

/** The flags, validated as the API validates its query (same filters, same names in errors). */
const ExportInvoicesArgs = InvoiceFilters.extend({ sort: InvoiceSort, format: z.enum(['csv', 'jsonl']) });
const ExportContractsArgs = ContractFilters.extend({ sort: ContractSort, format: z.enum(['csv', 'jsonl']) });

/** The query names whose flag is not simply `--name` in kebab case. */
const FLAGS: Record<string, string> = {
  invoiceNumber: '--number',
  issueDateFrom: '--from',
  issueDateTo: '--to',
  dueDateFrom: '--due-from',
  dueDateTo: '--due-to',
};

function flagOf(key: string): string {
  return FLAGS[key] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

function parsed<T>(result: z.ZodSafeParseResult<T>): T {
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${flagOf(String(i.path[0] ?? ''))}: ${i.message}`);
  throw new Error(`invalid options: ${problems.join('; ')}`);
}

/** Flags of the other kind's filters, given by mistake, are refused rather than ignored. */
function refuseForeign(what: string, opts: ExportOptions, keys: readonly (keyof ExportOptions)[]): void {
  const given = keys.filter((k) => opts[k] !== undefined);
  if (given.length) throw new Error(`${given.map((k) => flagOf(k)).join(', ')} ${given.length > 1 ? 'do' : 'does'} not apply to ${what}`);
}

const INVOICE_FLAGS = ['vendor', 'number', 'from', 'to', 'dueFrom', 'dueTo', 'currency', 'totalMin', 'totalMax'] as const;
const CONTRACT_FLAGS = ['party', 'governingLaw', 'effectiveFrom', 'effectiveTo', 'expirationFrom', 'expirationTo'] as const;

/**
 * `docroute export invoices|contracts`: every matching record (latest versions),
 * and with --include-review the documents in review with their candidate's values,
 * as CSV or JSON Lines, to --out or stdout: the same rows, columns and order as
 * GET /v1/invoices|contracts?format=… (CSV here starts with a byte order mark
 * unless --no-bom; the API's only with bom=true).
 */
export async function exportCommand(ctx: CliContext, what: string, opts: ExportOptions): Promise<void> {
  if (what !== 'invoices' && what !== 'contracts') throw new Error(`cannot export "${what}": export invoices or contracts`);
  const options = { includeReview: Boolean(opts.includeReview) };
  const csv: CsvOptions = { raw: Boolean(opts.csvRaw), bom: opts.bom !== false };
  const write: (db: Db) => Readable =
    what === 'invoices'
      ? (() => {
          refuseForeign(what, opts, CONTRACT_FLAGS);
          const { format, sort, ...filters } = parsed(
            ExportInvoicesArgs.safeParse({
              format: opts.format,
              sort: opts.sort,
              vendor: opts.vendor,
              invoiceNumber: opts.number,
              issueDateFrom: opts.from,
              issueDateTo: opts.to,
              dueDateFrom: opts.dueFrom,
              dueDateTo: opts.dueTo,
              currency: opts.currency,
              totalMin: opts.totalMin,
              totalMax: opts.totalMax,
              status: opts.status,
            }),
          );
          return (db) => writeTable(format, invoiceExport(db, filters, sort, options), csv);
        })()
      : (() => {
          refuseForeign(what, opts, INVOICE_FLAGS);
          const { format, sort, ...filters } = parsed(
            ExportContractsArgs.safeParse({
              format: opts.format,
              sort: opts.sort,
              party: opts.party,
              governingLaw: opts.governingLaw,
              effectiveFrom: opts.effectiveFrom,
              effectiveTo: opts.effectiveTo,
              expirationFrom: opts.expirationFrom,
              expirationTo: opts.expirationTo,
              status: opts.status,
            }),
          );
          return (db) => writeTable(format, contractExport(db, filters, sort, options), csv);
        })();
  await withDb(ctx, async (db) => {
    const output = write(db);
    const sink: Writable = opts.out ? createWriteStream(opts.out) : stdoutSink();
    await pipeline(output, sink);
  });
}

/** stdout, without ending it (the process still writes after the export). */
function stdoutSink(): Writable {
  return new Writable({
    write(chunk, _encoding, callback) {
      if (process.stdout.write(chunk)) callback();
      else process.stdout.once('drain', () => callback());
    },
  });
}
