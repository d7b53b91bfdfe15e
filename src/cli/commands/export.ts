import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { InvoiceFilters, InvoiceSort } from '../../api/schemas.ts';
import { allInvoices, INVOICE_COLUMNS } from '../../exports/invoices.ts';
import { toFormat } from '../../exports/writers.ts';
import { withDb } from '../with-db.ts';
import type { CliContext } from '../main.ts';

export interface ExportInvoicesOptions {
  format: string;
  out?: string;
  vendor?: string;
  number?: string;
  from?: string;
  to?: string;
  dueFrom?: string;
  dueTo?: string;
  currency?: string;
  totalMin?: string;
  totalMax?: string;
  status?: string;
  sort?: string;
}

/** The flags, validated as the API validates its query (same filters, same names in errors). */
const ExportInvoicesArgs = InvoiceFilters.extend({ sort: InvoiceSort, format: z.enum(['csv', 'jsonl']) });

/**
 * Writes every matching invoice (latest record versions) as CSV or JSON Lines, to
 * --out or stdout: the same rows, columns and order as GET /v1/invoices?format=….
 */
export async function exportCommand(ctx: CliContext, what: string, opts: ExportInvoicesOptions): Promise<void> {
  if (what !== 'invoices') throw new Error(`cannot export "${what}": only "invoices" can be exported`);
  const parsed = ExportInvoicesArgs.safeParse({
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
  });
  if (!parsed.success) {
    const flags: Record<string, string> = {
      invoiceNumber: '--number',
      issueDateFrom: '--from',
      issueDateTo: '--to',
      dueDateFrom: '--due-from',
      dueDateTo: '--due-to',
      totalMin: '--total-min',
      totalMax: '--total-max',
    };
    const problems = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      return `${flags[key] ?? `--${key}`}: ${i.message}`;
    });
    throw new Error(`invalid options: ${problems.join('; ')}`);
  }
  const { format, sort, ...filters } = parsed.data;
  await withDb(ctx, async (db) => {
    const output = toFormat(format, allInvoices(db, filters, sort), INVOICE_COLUMNS);
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
