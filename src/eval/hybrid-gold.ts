/**
 * Gold data for hybrid PDF invoices (ZUGFeRD 1/2, Factur-X, XRechnung in a
 * PDF): the invoice's own embedded XML (UN/CEFACT CII) is the truth its text
 * layer is scored against. `hybridManifest(dir)` reads every PDF of a folder,
 * takes its embedded invoice XML (pdf.js attachments) and turns it into a
 * `docroute` manifest (docs/eval-format.md) with absolute file paths, so the
 * manifest can be written anywhere (a temp dir) and never needs to be copied
 * into the repository. PDFs without XML, or whose XML is not a CII invoice,
 * are left out and listed in `skipped` with the reason, and so are PDFs whose
 * text layer does not show the XML's invoice number (the visible invoice and
 * its XML disagree: a finding about the file, not a test of the extractor).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { parsePdf } from '../pdf/parse-pdf.ts';

export interface HybridGold {
  documents: { file: string; kind: 'invoice'; expected: Record<string, string | number> }[];
  skipped: { file: string; reason: string }[];
}

export type Node = Record<string, unknown>;

export const parser = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, trimValues: true });

/** The children named `name` of every node in `nodes` (arrays flattened). */
export function children(nodes: readonly unknown[], name: string): unknown[] {
  const out: unknown[] = [];
  for (const n of nodes) {
    if (!n || typeof n !== 'object') continue;
    const v = (n as Node)[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) out.push(...v);
    else out.push(v);
  }
  return out;
}

/** Nodes at a path of local element names; each step may list alternatives ("A|B") for the CII D16B and ZUGFeRD 1 spellings. */
export function at(root: unknown, steps: string): unknown[] {
  let nodes: unknown[] = [root];
  for (const step of steps.split('/')) nodes = step.split('|').flatMap((name) => children(nodes, name));
  return nodes;
}

export function textOf(node: unknown): string | null {
  if (node === null || node === undefined) return null;
  if (typeof node === 'string' || typeof node === 'number') return String(node).trim() || null;
  if (typeof node === 'object' && '#text' in (node as Node)) return textOf((node as Node)['#text']);
  return null;
}

export function first(root: unknown, steps: string): string | null {
  for (const n of at(root, steps)) {
    const t = textOf(n);
    if (t) return t;
  }
  return null;
}

/** CII dates are format 102 (YYYYMMDD). */
export function isoDate(v: string | null): string | null {
  const m = v?.match(/^(\d{4})(\d{2})(\d{2})$/);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

/**
 * The fields of one CII invoice (rsm:CrossIndustryInvoice, or ZUGFeRD 1's
 * rsm:CrossIndustryDocument). Only values the XML states are returned.
 */
export function ciiFields(xml: string): Record<string, string | number> {
  const doc = parser.parse(xml) as Node;
  const root = doc['CrossIndustryInvoice'] ?? doc['CrossIndustryDocument'];
  if (!root) throw new Error('not a UN/CEFACT CII invoice (no CrossIndustryInvoice or CrossIndustryDocument root)');
  const header = 'ExchangedDocument|HeaderExchangedDocument';
  const tx = 'SupplyChainTradeTransaction|SpecifiedSupplyChainTradeTransaction';
  const agreement = `${tx}/ApplicableHeaderTradeAgreement|ApplicableSupplyChainTradeAgreement`;
  const settlement = `${tx}/ApplicableHeaderTradeSettlement|ApplicableSupplyChainTradeSettlement`;
  const sums = `${settlement}/SpecifiedTradeSettlementHeaderMonetarySummation|SpecifiedTradeSettlementMonetarySummation`;
  const currency = first(root, `${settlement}/InvoiceCurrencyCode`);
  /** An amount in the invoice currency (TaxTotalAmount may be given twice: invoice and accounting currency). */
  const amount = (name: string): string | null => {
    const nodes = at(root, `${sums}/${name}`);
    const inCurrency = nodes.find((n) => typeof n === 'object' && n !== null && (n as Node)['@currencyID'] === currency);
    return textOf(inCurrency ?? nodes[0]);
  };
  const vat = at(root, `${agreement}/SellerTradeParty/SpecifiedTaxRegistration/ID`).find(
    (n) => typeof n === 'object' && n !== null && (n as Node)['@schemeID'] === 'VA',
  );
  const out: Record<string, string | number | null> = {
    invoiceNumber: first(root, `${header}/ID`),
    issueDate: isoDate(first(root, `${header}/IssueDateTime/DateTimeString`)),
    dueDate: isoDate(first(root, `${settlement}/SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString`)),
    vendorName: first(root, `${agreement}/SellerTradeParty/Name`),
    customerName: first(root, `${agreement}/BuyerTradeParty/Name`),
    vendorTaxId: textOf(vat),
    currency,
    subtotal: amount('TaxBasisTotalAmount'),
    taxTotal: amount('TaxTotalAmount'),
    total: amount('GrandTotalAmount'),
    iban: first(root, `${settlement}/SpecifiedTradeSettlementPaymentMeans/PayeePartyCreditorFinancialAccount/IBANID`),
    purchaseOrder: first(root, `${agreement}/BuyerOrderReferencedDocument/IssuerAssignedID`),
  };
  return Object.fromEntries(Object.entries(out).filter((e): e is [string, string] => e[1] !== null && e[1] !== ''));
}

/** The embedded invoice XML of a PDF (the first attachment whose name ends in .xml), or null. `bytes` is left as it was. */
export async function embeddedInvoiceXml(bytes: Uint8Array): Promise<string | null> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  // pdf.js takes over (detaches) the buffer it is given: a copy leaves the caller's bytes intact.
  const task = pdfjs.getDocument({ data: bytes.slice(), isEvalSupported: false, verbosity: 0 });
  try {
    const pdf = await task.promise;
    const attachments = ((await pdf.getAttachments()) ?? {}) as Record<string, { filename: string; content: Uint8Array }>;
    const xml = Object.values(attachments).find((a) => /\.xml$/i.test(a.filename));
    return xml ? new TextDecoder('utf-8').decode(xml.content) : null;
  } finally {
    await task.destroy();
  }
}

export async function hybridManifest(dir: string): Promise<HybridGold> {
  const gold: HybridGold = { documents: [], skipped: [] };
  for (const name of readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.pdf')).sort()) {
    const file = path.resolve(dir, name);
    try {
      const xml = await embeddedInvoiceXml(new Uint8Array(readFileSync(file)));
      if (xml === null) {
        gold.skipped.push({ file: name, reason: 'no embedded XML' });
        continue;
      }
      const expected = ciiFields(xml);
      if (!expected.total || !expected.invoiceNumber) {
        gold.skipped.push({ file: name, reason: 'embedded XML has no invoice number or grand total' });
        continue;
      }
      // The set scores the text layer: a PDF whose visible text does not show the XML's
      // invoice number (or cannot be read) disagrees with its own gold — a finding, not a test case.
      let text: string;
      try {
        text = (await parsePdf(new Uint8Array(readFileSync(file)), { maxPages: 50 }, { openTimeoutMs: 60_000, msPerPage: 10_000 })).pages.map((p) => p.text).join('\n');
      } catch (error) {
        gold.skipped.push({ file: name, reason: `text layer unreadable (${error instanceof Error ? error.message.split('\n')[0] : String(error)})` });
        continue;
      }
      const squash = (s: string) => s.replace(/\s+/g, '').toUpperCase();
      if (!squash(text).includes(squash(String(expected.invoiceNumber)))) {
        gold.skipped.push({ file: name, reason: `text layer does not show the XML's invoice number ${expected.invoiceNumber} (PDF and XML disagree)` });
        continue;
      }
      gold.documents.push({ file, kind: 'invoice', expected });
    } catch (error) {
      gold.skipped.push({ file: name, reason: error instanceof Error ? error.message.split('\n')[0]! : String(error) });
    }
  }
  return gold;
}
