/**
 * The exact e-invoice tier end to end: files ingested, the workflow run by a
 * worker, the record and its trail read back from Postgres.
 */
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLatestRecord, type InvoiceRecordView } from '../../src/db/records.ts';
import { readExact } from '../../src/einvoice/exact-tier.ts';
import { ciiFields, embeddedInvoiceXml } from '../../src/eval/hybrid-gold.ts';
import { INVOICE_FIELD_TYPES, normaliseValue } from '../../src/eval/metrics.ts';
import { ingestFile, waitForDocument } from '../../src/ingest/ingest.ts';
import { startApiHarness, type ApiHarness } from '../support/api-harness.ts';
import { DATASETS_DIR, docrouteCli, startHarness, type Harness } from '../support/harness.ts';

const EINVOICES = path.join(DATASETS_DIR, 'einvoices');
const XRECHNUNG = path.join(EINVOICES, 'xrechnung');
const HYBRID = path.join(EINVOICES, 'hybrid-pdf');
const HAVE = existsSync(XRECHNUNG) && existsSync(HYBRID);
const NOTE = HAVE ? '' : ` (skipped: ${EINVOICES} not found)`;


let h: ApiHarness;
let key: string;
let scratch: string;

beforeAll(async () => {
  h = await startApiHarness();
  key = await h.key(['read'], 'einvoice');
  scratch = await mkdtemp(path.join(tmpdir(), 'docroute-einvoice-'));
});
afterAll(async () => {
  await h?.close();
  await fs.rm(scratch, { recursive: true, force: true });
});

async function run(file: string, harness: Harness = h) {
  const ingested = await ingestFile(harness, file, 'test');
  const result = await waitForDocument(harness, ingested.workflowId);
  return result;
}

/** `docroute <args>` as a user runs it, against this harness's database and Temporal: its stdout. */
async function cli(args: string[]): Promise<string> {
  return (await docrouteCli(h, args)).stdout;
}

/** A KoSIT CII invoice with its own invoice number (new content, no duplicate of another test's document), changed by `edit`. */
async function ciiVariant(name: string, number: string, edit: (xml: string) => string = (x) => x): Promise<string> {
  const text = await fs.readFile(path.join(XRECHNUNG, '01.01a-INVOICE_uncefact.xml'), 'utf8');
  const renumbered = text.replace('<ram:ID>123456XX</ram:ID>', `<ram:ID>${number}</ram:ID>`);
  expect(renumbered).not.toBe(text);
  return scratchFile(name, edit(renumbered));
}

async function scratchFile(name: string, text: string): Promise<string> {
  const file = path.join(scratch, name);
  await fs.writeFile(file, text);
  return file;
}

/** The messages of a document's failed checks, as stored (the words a reviewer reads). */
async function checkMessages(documentId: string): Promise<string[]> {
  const rows = await h.db.selectFrom('validation_results').select('message').where('document_id', '=', documentId).where('passed', '=', false).execute();
  return rows.map((r) => r.message);
}

/** A document's field values: its latest record, or (in review, no record yet) its exact candidate's. */
async function valuesOf(documentId: string): Promise<Record<string, unknown>> {
  const record = await loadLatestRecord(h.db, documentId, 'invoice');
  if (record) return record as unknown as Record<string, unknown>;
  const candidate = await h.db.selectFrom('candidates').select('fields').where('document_id', '=', documentId).where('stage', '=', 'exact').executeTakeFirstOrThrow();
  const fields = candidate.fields as Record<string, { value?: unknown } | unknown[]>;
  return Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, Array.isArray(f) ? f : (f as { value?: unknown }).value]));
}

/** The record without ids, versions and evidence (paths differ between the syntaxes by design). */
function comparable(record: InvoiceRecordView) {
  const { id: _id, evidence: _evidence, ...rest } = record;
  return JSON.parse(JSON.stringify(rest, (key, v) => (key === 'evidence' ? undefined : v)));
}

describe.skipIf(!HAVE)(`e-invoices through the workflow${NOTE}`, () => {
  it('every UBL/CII pair of the XRechnung suite: extracted, route ["xml"], cost 0, the same record', async () => {
    const names = readdirSync(XRECHNUNG)
      .filter((f) => f.endsWith('_ubl.xml') && existsSync(path.join(XRECHNUNG, f.replace('_ubl.xml', '_uncefact.xml'))))
      .map((f) => f.replace('_ubl.xml', ''))
      // 05.01a breaks BR-CO-16 on purpose (see below); the rest are valid.
      .filter((n) => n !== '05.01a-INVOICE');
    expect(names.length).toBeGreaterThanOrEqual(38);
    const differing: string[] = [];
    // One file at a time, each document removed after it is read: the two files of a pair
    // (and many cases of the suite) carry the same vendor and invoice number, which the
    // duplicate-invoice check would rightly flag (see the next test).
    const readAlone = async (file: string): Promise<InvoiceRecordView> => {
      const result = await run(file);
      expect(result, `${path.basename(file)}: ${result.reasons.join('; ')} ${result.error ?? ''}`).toMatchObject({
        status: 'extracted',
        kind: 'invoice',
        route: ['xml'],
      });
      const attempts = await h.db.selectFrom('extraction_attempts').select(['tier', 'model', 'cost_usd']).where('document_id', '=', result.documentId).execute();
      expect(attempts).toEqual([{ tier: 'xml', model: 'en16931', cost_usd: '0.000000' }]);
      const record = (await loadLatestRecord(h.db, result.documentId, 'invoice')) as InvoiceRecordView;
      await h.db.deleteFrom('documents').where('id', '=', result.documentId).execute();
      return record;
    };
    for (const name of names) {
      const a = await readAlone(path.join(XRECHNUNG, `${name}_ubl.xml`));
      const b = await readAlone(path.join(XRECHNUNG, `${name}_uncefact.xml`));
      expect(a.source).toBe('einvoice:en16931');
      expect(a.vatBreakdown.length).toBeGreaterThan(0);
      expect(a.evidence.total?.path).toMatch(/^\/(\w+:)?Invoice\/cac:LegalMonetaryTotal\/cbc:TaxInclusiveAmount$/);
      expect(b.evidence.total?.path).toMatch(/ram:GrandTotalAmount$/);
      if (JSON.stringify(comparable(a)) !== JSON.stringify(comparable(b))) differing.push(name);
    }
    // The pairs whose two files state different values (listed and checked field by field in test/unit/einvoice.test.ts).
    expect(differing.sort()).toEqual(
      [
        '01.01_comprehensive_test', '01.02_comprehensive_test', '01.03_comprehensive_test', '01.04_comprehensive_test',
        '01.02a-INVOICE', '01.08a-INVOICE', '01.09a-INVOICE', '01.10a-INVOICE', '01.11a-INVOICE', '01.12a-INVOICE', '01.13a-INVOICE',
        '01.05_minimal_test', '01.20a-INVOICE', '01.21a-INVOICE', '03.06a-INVOICE',
      ].sort(),
    );
  }, 600_000);

  it('the same invoice in the other syntax is flagged as a possible duplicate', async () => {
    // Copies with a trailing comment: new content, so new documents and workflows (workflow ids follow the content).
    const copy = async (name: string) => scratchFile(name, `${await fs.readFile(path.join(XRECHNUNG, name), 'utf8')}\n<!-- copy -->\n`);
    const first = await run(await copy('01.01a-INVOICE_ubl.xml'));
    expect(first.status).toBe('extracted');
    const twin = await run(await copy('01.01a-INVOICE_uncefact.xml'));
    expect(twin.status).toBe('needs_review');
    expect(twin.reasons).toContain('check failed: duplicate_invoice(vendorName,invoiceNumber)');
    expect(await checkMessages(twin.documentId)).toEqual([expect.stringMatching(/^possible duplicate: .*"123456XX"/)]);
    await h.db.deleteFrom('documents').where('id', '=', twin.documentId).execute();
    await h.db.deleteFrom('documents').where('id', '=', first.documentId).execute();
  });

  it('an XML that breaks an EN 16931 rule goes to review with the rule id', async () => {
    const result = await run(path.join(XRECHNUNG, '05.01a-INVOICE_ubl.xml'));
    expect(result.status).toBe('needs_review');
    expect(result.route).toEqual(['xml']);
    // History and the document's reasons carry the rule id; the words with the amounts are in Postgres.
    expect(result.reasons).toEqual(['check failed: BR-CO-16(total)']);
    expect(await checkMessages(result.documentId)).toEqual([expect.stringMatching(/^BR-CO-16 violated: .*366\.86/)]);
  });

  it('a hybrid PDF is read from its XML; a page that disagrees sends it to review, in words', async () => {
    const good = await run(path.join(HYBRID, 'EN16931_Einfach.pdf'));
    expect(good).toMatchObject({ status: 'extracted', route: ['xml'], kind: 'invoice' });
    const record = (await loadLatestRecord(h.db, good.documentId, 'invoice')) as InvoiceRecordView;
    expect(record.total).toBe('529.87');
    expect(record.evidence.total?.path).toContain('ram:GrandTotalAmount');

    const bad = await run(path.join(HYBRID, 'MustangBeispiel20221026.pdf'));
    expect(bad.status).toBe('needs_review');
    expect(bad.reasons).toEqual(['check failed: page_matches_xml(total)']);
    expect(await checkMessages(bad.documentId)).toEqual(['the page shows total 963.12, the XML says 963.11']);
    // `docroute show` gives the reason in words, with both values.
    expect(await cli(['show', bad.documentId])).toContain('\n    review: the page shows total 963.12, the XML says 963.11\n');

    const zugferd1 = await run(path.join(HYBRID, 'MustangGnuaccountingBeispielRE-20170509_505.pdf'));
    expect(zugferd1).toMatchObject({ status: 'extracted', route: ['xml'] });
  });

  it('a PDF without XML goes the text path, with the decision recorded; a broken one fails with a reason', async () => {
    const blank = await run(path.join(HYBRID, 'MustangGnuaccountingBeispielRE-20170509_505blanko.pdf'));
    expect(blank.route).not.toContain('xml');
    const decision = await h.db.selectFrom('routing_decisions').select(['action', 'reason']).where('document_id', '=', blank.documentId).where('stage', '=', 'exact').executeTakeFirstOrThrow();
    expect(decision).toEqual({ action: 'text', reason: 'the PDF embeds no files' });
    // The exact tier looked first: decision 1; the text path's decisions follow.
    const stages = await h.db.selectFrom('routing_decisions').select(['sequence', 'stage']).where('document_id', '=', blank.documentId).orderBy('sequence').execute();
    expect(stages[0]).toEqual({ sequence: 1, stage: 'exact' });
    expect(stages[1]?.stage).toBe('initial');

    const tiny = await run(path.join(HYBRID, 'corrupt-factur-x-waytoosmall.pdf'));
    expect(tiny.status).toBe('failed');
    expect(tiny.error).toMatch(/damaged|not a PDF|empty/);
  });

  it('hostile XML ends failed with a clear reason, never a crashed worker', async () => {
    const lol = await scratchFile(
      'lol.xml',
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol3;</Invoice>`,
    );
    const xxe = await scratchFile(
      'xxe.xml',
      `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&x;</Invoice>`,
    );
    const rss = await scratchFile('feed.xml', '<?xml version="1.0"?><rss version="2.0"><channel/></rss>');
    for (const file of [lol, xxe]) {
      const result = await run(file);
      expect(result.status, file).toBe('failed');
      expect(result.error).toMatch(/DTD or entities/);
    }
    const other = await run(rss);
    expect(other).toMatchObject({ status: 'failed', error: expect.stringContaining('is not an e-invoice') });
  });

  it('every hybrid PDF ends in a clear state: with XML, the XML\'s values; without, the text path with the reason; none hangs a worker', async () => {
    const files = readdirSync(HYBRID).filter((f) => f.toLowerCase().endsWith('.pdf')).sort();
    expect(files.length).toBeGreaterThanOrEqual(25);
    const outcomes: Record<string, string> = {};
    for (const name of files) {
      const file = path.join(HYBRID, name);
      const bytes = new Uint8Array(await fs.readFile(file));
      // The gold: the embedded XML read by the evaluation's independent reader (not src/einvoice/).
      let gold: Record<string, string | number> | null = null;
      try {
        const xml = await embeddedInvoiceXml(bytes);
        gold = xml ? ciiFields(xml) : null;
      } catch {
        gold = null; // no readable PDF or no CII invoice in it
      }
      // In process: the test's own look at the file, not the system under test (no worker-thread deadline).
      const exact = await readExact(bytes, { inProcess: true });
      // Every document finishes (a crashed or wedged worker would leave this wait to time out).
      const result = await run(file);
      expect(['extracted', 'needs_review', 'failed'], name).toContain(result.status);
      if (exact.outcome === 'read') {
        expect(gold, `${name}: the independent reader finds the XML too`).not.toBeNull();
        expect(result.route, name).toEqual(['xml']);
        expect(['extracted', 'needs_review'], name).toContain(result.status);
        // The values: the record when accepted; the candidate the reviewer sees when in review (no record yet).
        const values = await valuesOf(result.documentId);
        for (const [field, want] of Object.entries(gold!)) {
          const type = INVOICE_FIELD_TYPES[field as keyof typeof INVOICE_FIELD_TYPES];
          const got = values[field];
          expect(normaliseValue(type, got), `${name} ${field}`).toBe(normaliseValue(type, want));
        }
        if (result.status === 'needs_review') {
          // Review for a reason a person can read: every failed check has its words in Postgres.
          expect(result.reasons.length, name).toBeGreaterThan(0);
          const messages = await checkMessages(result.documentId);
          expect(messages.length, name).toBe(result.reasons.length);
          for (const m of messages) expect(m, name).toMatch(/ \S+ .* /);
        }
        outcomes[name] = `xml:${result.status}`;
      } else {
        expect(result.route, name).not.toContain('xml');
        const decision = await h.db
          .selectFrom('routing_decisions')
          .select(['action', 'reason'])
          .where('document_id', '=', result.documentId)
          .where('stage', '=', 'exact')
          .executeTakeFirst();
        if (result.status === 'failed') {
          // Failed with its reason (a PDF that cannot be opened).
          expect(result.error, name).toMatch(/\w+ \w+/);
        } else {
          // The text path, with the exact tier's reason recorded as its decision.
          expect(decision, name).toEqual({ action: 'text', reason: exact.note });
        }
        outcomes[name] = `text:${result.status}`;
      }
      // Alone: several files are the same invoice (same vendor and number), which the duplicate check would flag.
      // (Last in this harness: a file read again after its document is deleted would reuse its finished workflow's id.)
      // An earlier test's document (same file, same document) may be flagged as its duplicate: that flag goes with it.
      await h.db.updateTable('candidates').set({ possible_duplicate_of: null }).where('possible_duplicate_of', '=', result.documentId).execute();
      await h.db.updateTable('invoices').set({ possible_duplicate_of: null }).where('possible_duplicate_of', '=', result.documentId).execute();
      await h.db.deleteFrom('documents').where('id', '=', result.documentId).execute();
    }
    const count = (prefix: string) => Object.values(outcomes).filter((o) => o.startsWith(prefix)).length;
    // 16 carry a readable invoice XML; the 7 PDFs without files, corruptedV2PDF (no files either) and the corrupt one go the text path or fail.
    expect(count('xml:')).toBe(16);
    expect(count('text:')).toBe(files.length - 16);
    expect(outcomes['corrupt-factur-x-waytoosmall.pdf']).toBe('text:failed');
  }, 600_000);

  it('the XML path of each value is its evidence in `show`, the API and the audit trail', async () => {
    const result = await run(await ciiVariant('evidence.xml', 'EVIDENCE-1'));
    expect(result).toMatchObject({ status: 'extracted', route: ['xml'] });
    const grandTotal =
      '/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount';

    const shown = await cli(['show', result.documentId]);
    expect(shown).toContain(`      xml: ${grandTotal}\n`);
    expect(shown).toContain('      xml: /rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID\n');
    // A value read from the XML has no page box to locate: nothing says it was "not located".
    expect(shown).not.toContain('not located');
    expect(shown).not.toContain('CREDIT NOTE');

    // The audit trail's record version says where each value was read, from the CLI and the API alike.
    type Audit = { entries: { step: string; details: { evidence?: Record<string, { source: string; path?: string }> } }[] };
    const fromCli = JSON.parse(await cli(['audit', result.documentId, '--json'])) as Audit;
    const fromApi = (await (await h.call(`/v1/documents/${result.documentId}/audit`, { key })).json()) as Audit;
    for (const audit of [fromCli, fromApi]) {
      const versions = audit.entries.filter((e) => e.step === 'record_version');
      expect(versions).toHaveLength(1);
      const evidence = versions[0]!.details.evidence!;
      expect(evidence.total).toMatchObject({ source: 'xml', path: grandTotal });
      expect(evidence.iban).toMatchObject({ source: 'xml', path: expect.stringMatching(/ram:IBANID$/) });
      // Every field of an exact reading came from the XML.
      expect(Object.keys(evidence).length).toBeGreaterThan(10);
      expect(Object.values(evidence).every((e) => e.source === 'xml' && e.path?.startsWith('/rsm:CrossIndustryInvoice/'))).toBe(true);
    }

    // GET of the document and of its invoice carry the path in the value's evidence.
    const doc = (await (await h.call(`/v1/documents/${result.documentId}`, { key })).json()) as {
      record: { id: string; evidence: Record<string, { path?: string; boxes: unknown }> };
    };
    expect(doc.record.evidence.total).toMatchObject({ path: grandTotal, boxes: null });
    const invoice = (await (await h.call(`/v1/invoices/${doc.record.id}`, { key })).json()) as { evidence: Record<string, { path?: string }> };
    expect(invoice.evidence.total?.path).toBe(grandTotal);
    expect(invoice.evidence.invoiceNumber?.path).toBe('/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID');
  }, 180_000);

  it('a CII credit note (TypeCode 381) is a credit note in the record and says so in `show`', async () => {
    const file = await ciiVariant('credit-note.xml', 'CREDIT-1', (xml) => {
      const changed = xml.replace(/(<rsm:ExchangedDocument>\s*<ram:ID>[^<]*<\/ram:ID>\s*<ram:TypeCode>)380(<\/ram:TypeCode>)/, '$1381$2');
      expect(changed).not.toBe(xml);
      return changed;
    });
    const result = await run(file);
    expect(result).toMatchObject({ status: 'extracted', route: ['xml'] });
    const record = (await loadLatestRecord(h.db, result.documentId, 'invoice')) as InvoiceRecordView;
    expect(record.documentType).toBe('credit_note');
    expect(record.evidence.documentType?.path).toBe('/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:TypeCode');
    const shown = await cli(['show', result.documentId]);
    expect(shown.split('\n').filter((l) => l.includes('CREDIT NOTE'))).toEqual(['  CREDIT NOTE: its amounts are credited to the buyer, not owed by them']);
  }, 180_000);

  it('DOCROUTE_EINVOICE=off sends the same hybrid PDFs down the text path, and refuses XML files', async () => {
    const off = await startHarness({ env: { DOCROUTE_EINVOICE: 'off' } });
    try {
      // The same files the exact tier reads when on (every hybrid PDF with a readable invoice XML) take the text path.
      const withXml: string[] = [];
      for (const name of readdirSync(HYBRID).filter((f) => f.toLowerCase().endsWith('.pdf')).sort()) {
        if ((await readExact(new Uint8Array(await fs.readFile(path.join(HYBRID, name))), { inProcess: true })).outcome === 'read') withXml.push(name);
      }
      expect(withXml.length).toBe(16);
      for (const name of withXml) {
        const pdf = await run(path.join(HYBRID, name), off);
        expect(pdf.route, name).not.toContain('xml');
        // The text path read it with a tier, or (invalidPDF.pdf: its page text cannot be parsed) refused it with the reason.
        if (pdf.status === 'failed') expect(pdf.error, name).toMatch(/\w+ \w+/);
        else expect(pdf.route.length, name).toBeGreaterThan(0);
        const decision = await off.db.selectFrom('routing_decisions').select(['action', 'reason']).where('document_id', '=', pdf.documentId).where('stage', '=', 'exact').executeTakeFirstOrThrow();
        expect(decision.reason, name).toContain('DOCROUTE_EINVOICE=off');
        const attempts = await off.db.selectFrom('extraction_attempts').select('tier').where('document_id', '=', pdf.documentId).execute();
        expect(attempts.map((a) => a.tier), name).not.toContain('xml');
      }
      const xml = await run(path.join(XRECHNUNG, '01.01a-INVOICE_ubl.xml'), off);
      expect(xml).toMatchObject({ status: 'failed', error: expect.stringContaining('DOCROUTE_EINVOICE=off') });
    } finally {
      await off.close();
    }
  }, 600_000);
});
