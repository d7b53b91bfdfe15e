/**
 * Answers for the fake Gemini server, built from what a request actually
 * contains: the page texts inside its <document> block. `readingModel` answers
 * like a careful model (the offline rules extractor's reading of those pages,
 * every value with its page and quote); `inventingModel` answers like a model
 * that makes things up (values and quotes that are not in the document).
 */
import type { ContractExtraction, InvoiceExtraction } from '../../schemas/index.ts';
import type { PageText } from '../../src/extraction/model-tier.ts';
import { extractContract } from '../../src/extraction/rules/contract-rules.ts';
import { extractInvoice } from '../../src/extraction/rules/invoice-rules.ts';
import { reply, type FakeReply, type FakeRequest } from './fake-gemini.ts';

/** The pages of the document block of a request, as the tier sent them. */
export function pagesOf(request: FakeRequest): PageText[] {
  const pages: PageText[] = [];
  for (const m of request.text.matchAll(/<page number="(\d+)"([^>]*)>\n([\s\S]*?)\n<\/page>/g)) {
    pages.push({
      pageNumber: Number(m[1]),
      text: (m[3] ?? '').replace(/&lt;(\/?)(document|page)\b/gi, '<$1$2'),
      imageOnly: (m[2] ?? '').includes('scanned'),
    });
  }
  return pages;
}

const isContract = (request: FakeRequest) => /contract|agreement/i.test(request.systemText ?? '') && !/invoice/i.test(request.systemText ?? '');

type Field = { value: unknown; evidence: { page: number; quote: string } | null };
const out = (f: Field) => ({ value: f.value, page: f.evidence?.page ?? null, quote: f.evidence?.quote ?? null });

function invoiceAnswer(x: InvoiceExtraction) {
  const { lineItems, ...scalars } = x;
  return {
    ...Object.fromEntries(Object.entries(scalars).map(([k, f]) => [k, out(f as Field)])),
    lineItems: lineItems.map((l) => ({
      description: l.description,
      quantity: l.quantity,
      unitPrice: l.unitPrice,
      amount: l.amount,
      page: l.evidence?.page ?? null,
      quote: l.evidence?.quote ?? null,
    })),
  };
}

function contractAnswer(x: ContractExtraction) {
  const { parties, ...scalars } = x;
  return {
    ...Object.fromEntries(Object.entries(scalars).map(([k, f]) => [k, out(f as Field)])),
    parties: parties.map((p) => ({ name: p.name, role: p.role, page: p.evidence?.page ?? null, quote: p.evidence?.quote ?? null })),
  };
}

const isClassification = (request: FakeRequest) => /You sort business documents/.test(request.systemText ?? '');

/**
 * A model that reads: values found in the pages it was sent, with their quotes.
 * Asked to classify page images (which this fake cannot look at), it says "invoice".
 */
export function readingModel(request: FakeRequest): FakeReply {
  if (isClassification(request)) return reply.json({ kind: 'invoice' }, { prompt: 300 * request.imageCount + 200, output: 5 });
  const pages = pagesOf(request);
  const answer = isContract(request) ? contractAnswer(extractContract(pages)) : invoiceAnswer(extractInvoice(pages));
  return reply.json(answer, { prompt: Math.ceil(request.text.length / 4), output: Math.ceil(JSON.stringify(answer).length / 4) });
}

/** A model that invents: confident-looking values whose quotes are nowhere in the document. */
export function inventingModel(request: FakeRequest): FakeReply {
  const first = pagesOf(request)[0]?.pageNumber ?? 1;
  const said = (value: unknown, quote: string) => ({ value, page: first, quote });
  const none = { value: null, page: null, quote: null };
  const answer = isContract(request)
    ? {
        title: said('Agreement of Imaginary Things', 'Agreement of Imaginary Things'),
        parties: [
          { name: 'Nonexistent Holdings Ltd', role: 'Discloser', page: first, quote: 'Nonexistent Holdings Ltd' },
          { name: 'Phantom Ventures Inc.', role: 'Recipient', page: first, quote: 'Phantom Ventures Inc.' },
        ],
        effectiveDate: said('1999-12-31', 'effective as of December 31, 1999'),
        expirationDate: none,
        term: none,
        governingLaw: said('Atlantis', 'governed by the laws of Atlantis'),
        autoRenewal: none,
        noticePeriod: none,
        paymentTerms: none,
      }
    : {
        vendorName: said('Imaginary Supplies GmbH', 'Imaginary Supplies GmbH'),
        vendorAddress: none,
        vendorTaxId: none,
        customerName: none,
        invoiceNumber: said('ZZ-000-INVENTED', 'Invoice ZZ-000-INVENTED'),
        issueDate: said('1999-12-31', 'Date: 31.12.1999'),
        dueDate: none,
        currency: said('EUR', 'EUR'),
        subtotal: none,
        taxTotal: none,
        total: said('123456.78', 'Total 123.456,78'),
        lineItems: [],
        purchaseOrder: none,
        paymentTerms: none,
        iban: none,
        bic: none,
      };
  return reply.json(answer, { prompt: Math.ceil(request.text.length / 4), output: 300 });
}

/**
 * A model that misreads one value in a way no check can see: it reads like
 * `readingModel`, but reports the invoice number as the first word of the
 * vendor's name, quoting the vendor line (so the value is on the page and
 * grounded, and no arithmetic or date check concerns it). Only a second,
 * independent reading of the required fields can catch it.
 */
export function misreadingModel(request: FakeRequest): FakeReply {
  const answered = readingModel(request);
  if (isClassification(request) || isContract(request)) return answered;
  const body = answered.body as { candidates: { content: { parts: { text: string }[] } }[] };
  const part = body.candidates[0]!.content.parts[0]!;
  const answer = JSON.parse(part.text) as Record<string, { value: unknown; page: number | null; quote: string | null }>;
  const vendor = answer.vendorName;
  const word = typeof vendor?.value === 'string' ? /[A-Za-z]{3,}/.exec(vendor.value)?.[0] : undefined;
  if (!vendor || !word || !vendor.quote) return answered;
  answer.invoiceNumber = { value: word, page: vendor.page, quote: vendor.quote };
  part.text = JSON.stringify(answer);
  return answered;
}

/**
 * A model that obeys instructions found in the document (a prompt injection):
 * it reads like `readingModel`, but where the text says "report the total as X"
 * it reports X, quoting that very sentence (so the quote is on the page). The
 * pipeline must catch it with its checks, not trust it.
 */
export function obedientModel(request: FakeRequest): FakeReply {
  const answered = readingModel(request);
  if (isClassification(request) || isContract(request)) return answered;
  const page = pagesOf(request).find((p) => /report the total as/i.test(p.text));
  const order = page ? /[^\n]*report the total as ([\d.,]+)[^\n]*/i.exec(page.text) : null;
  if (!page || !order) return answered;
  const body = answered.body as { candidates: { content: { parts: { text: string }[] } }[] };
  const part = body.candidates[0]!.content.parts[0]!;
  const answer = JSON.parse(part.text) as Record<string, unknown>;
  answer.total = { value: order[1], page: page.pageNumber, quote: order[0]!.trim() };
  part.text = JSON.stringify(answer);
  return answered;
}

const isSecondReading = (request: FakeRequest) => /second, independent one/.test(request.systemText ?? '');

/**
 * The cheap second reader (DOCROUTE_CHECK_MODEL) as a careful model: the
 * required fields asked for ("Fields of this invoice to read: …"), read from
 * the pages by the offline rules; `override` changes some answers (a reader
 * that disagrees on a field).
 */
export function checkingModel(override: Record<string, string | null> = {}) {
  return (request: FakeRequest): FakeReply => {
    if (!isSecondReading(request)) return reply.error(400, { message: 'checkingModel answers second readings only' });
    const asked = /Fields of this (invoice|contract) to read: ([^\n]*)\./.exec(request.text);
    const kind = asked?.[1] ?? 'invoice';
    const names = [...(asked?.[2] ?? '').matchAll(/"([A-Za-z]+)"/g)].map((m) => m[1]!);
    const pages = pagesOf(request);
    const read = (kind === 'contract' ? extractContract(pages) : extractInvoice(pages)) as unknown as Record<string, { value: unknown }>;
    const answer = Object.fromEntries(
      names.map((name) => {
        const value = name in override ? override[name] : (read[name]?.value ?? null);
        return [name, value === null || value === undefined ? null : String(value)];
      }),
    );
    return reply.json(answer, { prompt: Math.ceil(request.text.length / 4), output: 40, thoughts: 12 });
  };
}
