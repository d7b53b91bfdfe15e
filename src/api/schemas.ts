import { z } from 'zod';
import {
  CONTRACT_FIELDS,
  CurrencyCode,
  Decimal,
  DocumentKind,
  DocumentStatus,
  INVOICE_FIELDS,
  InvoiceDocumentType,
  IsoDate,
  mapFields,
  type FieldRegistry,
  type FieldType,
} from '../../schemas/index.ts';
import { INVOICE_SORTS, type InvoiceFilter, type InvoiceListItem } from '../db/invoices.ts';

/**
 * Response (and shared request) schemas of the query API: documents, invoices,
 * contracts. They validate what the routes send and describe it in the OpenAPI
 * document; schemas with an `id` become named components.
 */

// ---- building blocks ---------------------------------------------------------

/** A UUID path parameter or id (any version; 400 when malformed). */
export const Id = z.guid().describe('A UUID');

export const DecimalString = z.string().describe('An exact decimal amount as a string, e.g. "1234.50"');
export const DateString = z.string().describe('An ISO calendar date, YYYY-MM-DD');
export const DateTimeString = z.iso.datetime().describe('An ISO 8601 date-time (UTC)');

/** A date filter: a real ISO calendar date. */
export const DateParam = IsoDate.describe('An ISO calendar date, YYYY-MM-DD (inclusive)');
/** A date-time filter: an ISO date (a whole UTC day) or an ISO date-time with offset. */
export const DateOrDateTimeParam = z
  .union([IsoDate, z.iso.datetime({ offset: true })])
  .describe('An ISO date (YYYY-MM-DD, a whole day in UTC) or an ISO date-time with offset (inclusive)');
/** An exact decimal filter, compared as numeric. */
export const DecimalParam = Decimal.describe('An exact decimal, e.g. "1234.50"');
/** A currency filter; lower case is accepted. */
export const CurrencyParam = z
  .string()
  .transform((s) => s.toUpperCase())
  .pipe(CurrencyCode)
  .describe('An ISO 4217 currency code, e.g. EUR');
export const LimitParam = z.coerce.number().int().min(1).max(200).default(50).describe('Page size, 1–200 (default 50)');
export const CursorParam = z
  .string()
  .min(1)
  .max(4096)
  .describe('The nextCursor of the previous page (opaque). Only valid with the same sort.');

export const DocumentStatusParam = DocumentStatus;
export const DocumentKindParam = DocumentKind;

/** A non-empty search string (trimmed). */
export const SearchParam = z.string().trim().min(1).max(200);

/** Keyset-paginated page of items. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  });
}

export { problems } from './problem.ts';

// ---- evidence ----------------------------------------------------------------

export const EvidenceBox = z
  .object({
    x: z.number().min(0).max(1).describe('Left edge, 0–1 of the page width'),
    y: z.number().min(0).max(1).describe('Top edge, 0–1 of the page height'),
    w: z.number().min(0).max(1).describe('Width, 0–1 of the page width'),
    h: z.number().min(0).max(1).describe('Height, 0–1 of the page height'),
  })
  .meta({ id: 'EvidenceBox', description: "A rectangle on the evidence's page, from the page's top-left corner, as the page is displayed" });

const Boxes = z
  .array(EvidenceBox)
  .nullable()
  .describe(
    "Where the quote sits on its page, located in the PDF's text layer: one box per line the quote spans. Null when the quote could not be located (not on the page's text layer, or a scanned page without word positions).",
  );

export const FieldEvidence = z
  .object({
    confidence: z.number().min(0).max(1),
    page: z.number().int().nullable().describe('1-based page the value was read from'),
    quote: z.string().nullable().describe('The text the value was read from'),
    tier: z.string().nullable().describe('The model tier (or "review") that produced the value'),
    path: z.string().nullable().optional().describe('For a value read from an e-invoice: the XML element path it came from'),
    boxes: Boxes,
  })
  .meta({ id: 'FieldEvidence', description: "Where a record's field was read" });

export const EvidenceByField = z.record(z.string(), FieldEvidence).describe('Evidence per field name (fields with a value)');

export const QuoteEvidence = z.object({ page: z.number().int(), quote: z.string(), path: z.string().optional(), boxes: Boxes }).nullable();

// ---- invoices ----------------------------------------------------------------

export const Duration = z.object({ count: z.number().int(), unit: z.string().nullable() });

/** Each field type as the API shows a record's value (null when the document does not have it). */
const API_VALUE = {
  text: z.string().nullable(),
  identifier: z.string().nullable(),
  date: DateString.nullable(),
  money: DecimalString.nullable(),
  currency: z.string().nullable(),
  boolean: z.boolean().nullable(),
  duration: Duration.nullable(),
  documentType: InvoiceDocumentType.nullable(),
} as const satisfies Record<FieldType, z.ZodType>;

type ApiShape<F extends FieldRegistry> = { [K in keyof F]: (typeof API_VALUE)[F[K]['type']] };
/** A record's fields as the API shows them, from the kind's field registry. */
function apiShape<F extends FieldRegistry>(fields: F): ApiShape<F> {
  return mapFields(fields, (spec) => (spec.description ? API_VALUE[spec.type].describe(spec.description) : API_VALUE[spec.type])) as ApiShape<F>;
}

/** Every field of the invoice registry, the exact-only ones (read from e-invoices) included: null when not read. */
const invoiceScalarShape = apiShape(INVOICE_FIELDS);

export const InvoiceLine = z
  .object({
    description: z.string(),
    quantity: DecimalString.nullable(),
    unitPrice: DecimalString.nullable(),
    amount: DecimalString.nullable(),
    vatRate: DecimalString.nullable(),
    confidence: z.number(),
    evidence: QuoteEvidence,
  })
  .meta({ id: 'InvoiceLine' });

export const VatBreakdownEntry = z
  .object({
    category: z.string().nullable().describe('VAT category code (UNCL 5305: S, Z, E, AE, K, G, O, L, M)'),
    rate: DecimalString.nullable(),
    taxableAmount: DecimalString.nullable(),
    taxAmount: DecimalString.nullable(),
    confidence: z.number(),
    evidence: QuoteEvidence,
  })
  .meta({ id: 'VatBreakdownEntry' });

/** An invoice record version with its lines and evidence (as in a document). */
export const InvoiceRecord = z
  .object({
    kind: z.literal('invoice'),
    id: Id,
    version: z.number().int(),
    source: z.string(),
    confidence: z.number(),
    possibleDuplicateOf: z.string().nullable(),
    ...invoiceScalarShape,
    lineItems: z.array(InvoiceLine),
    vatBreakdown: z.array(VatBreakdownEntry),
    evidence: EvidenceByField,
  })
  .meta({ id: 'InvoiceRecord' });

/** One invoice in a listing or export: the latest version of a document's invoice record. */
export const InvoiceSummary = z
  .object({
    id: Id.describe('The invoice record (version) id'),
    documentId: Id,
    status: DocumentStatus.describe("The document's status"),
    version: z.number().int(),
    source: z.string(),
    confidence: z.number(),
    possibleDuplicateOf: z.string().nullable(),
    ...invoiceScalarShape,
    vatCategories: z.string().nullable().describe('The VAT breakdown\'s categories, one per rate, ";"-separated (e.g. "S;S")'),
    vatRates: z.string().nullable().describe('The VAT breakdown\'s rates in percent, in the same order (e.g. "19.00;7.00")'),
    vatTaxableAmounts: z.string().nullable().describe('The taxable amount per rate, in the same order'),
    vatAmounts: z.string().nullable().describe('The VAT amount per rate, in the same order'),
    createdAt: DateTimeString.describe('When this record version was written'),
  })
  .meta({ id: 'InvoiceSummary' });

/** The listing's filters (GET /v1/invoices and `docroute export invoices`: same names, same errors). */
export const InvoiceFilters = z.object({
  vendor: SearchParam.optional().describe('Vendor name prefix, case-insensitive (% and _ are literal)'),
  invoiceNumber: z.string().min(1).max(200).optional().describe('Exact invoice number'),
  issueDateFrom: DateParam.optional().describe('Issue date on or after (YYYY-MM-DD)'),
  issueDateTo: DateParam.optional().describe('Issue date on or before (YYYY-MM-DD)'),
  dueDateFrom: DateParam.optional().describe('Due date on or after (YYYY-MM-DD)'),
  dueDateTo: DateParam.optional().describe('Due date on or before (YYYY-MM-DD)'),
  currency: CurrencyParam.optional(),
  totalMin: DecimalParam.optional().describe('Total at least (exact decimal)'),
  totalMax: DecimalParam.optional().describe('Total at most (exact decimal)'),
  status: DocumentStatus.optional().describe("The document's status"),
}) satisfies z.ZodType<InvoiceFilter>;
export type InvoiceFilters = z.infer<typeof InvoiceFilters>;

export const InvoiceSort = z.enum(INVOICE_SORTS).default('-createdAt').describe('Sort key; "-" for descending. NULLs come last either way.');

export const InvoiceDetail = z
  .object({
    ...InvoiceRecord.shape,
    documentId: Id,
    status: DocumentStatus.describe("The document's status"),
    isLatest: z.boolean().describe("Whether this is the latest version of the document's record"),
    createdAt: DateTimeString,
  })
  .meta({ id: 'InvoiceDetail' });

// ---- contracts ---------------------------------------------------------------


export const ContractParty = z
  .object({ name: z.string(), role: z.string().nullable(), confidence: z.number(), evidence: QuoteEvidence })
  .meta({ id: 'ContractParty' });

const contractScalarShape = apiShape(CONTRACT_FIELDS);

export const ContractRecord = z
  .object({
    kind: z.literal('contract'),
    id: Id,
    version: z.number().int(),
    source: z.string(),
    confidence: z.number(),
    ...contractScalarShape,
    parties: z.array(ContractParty),
    evidence: EvidenceByField,
  })
  .meta({ id: 'ContractRecord' });

export const ContractSummary = z
  .object({
    id: Id.describe('The contract record (version) id'),
    documentId: Id,
    status: DocumentStatus.describe("The document's status"),
    version: z.number().int(),
    source: z.string(),
    confidence: z.number(),
    ...contractScalarShape,
    parties: z.array(z.object({ name: z.string(), role: z.string().nullable() })),
    createdAt: DateTimeString.describe('When this record version was written'),
  })
  .meta({ id: 'ContractSummary' });

export const ContractDetail = z
  .object({
    ...ContractRecord.shape,
    documentId: Id,
    status: DocumentStatus.describe("The document's status"),
    isLatest: z.boolean().describe("Whether this is the latest version of the document's record"),
    createdAt: DateTimeString,
  })
  .meta({ id: 'ContractDetail' });

// ---- documents ---------------------------------------------------------------

/** A review reason with its words (src/review/reasons.ts). */
export const ReviewReason = z
  .object({
    code: z.string().describe('The reason as routing recorded it; a failed check by its code, e.g. "check failed: line_items_sum(lineItems,subtotal)"'),
    text: z.string().describe('The reason in words, e.g. "2 line items sum to 120.00 but subtotal is 130.00 (difference 10.00, tolerance 0.02)"'),
  })
  .meta({ id: 'ReviewReason' });

export const RecordOfDocument = z.discriminatedUnion('kind', [InvoiceRecord, ContractRecord]);

const documentShape = {
  documentId: Id.describe('The document id (the same name in every response that names a document)'),
  sha256: z.string(),
  fileName: z.string().describe('The name the file was uploaded with (a label only)'),
  sizeBytes: z.number().int(),
  pageCount: z.number().int().nullable(),
  kind: DocumentKind.nullable(),
  status: DocumentStatus,
  route: z.array(z.string()).describe('The model tiers the document went through'),
  confidence: z.number().nullable(),
  tokens: z.number().int().nullable(),
  reviewReasons: z.array(z.string()),
  error: z.string().nullable(),
  workflowId: z.string(),
  createdAt: DateTimeString,
  updatedAt: DateTimeString,
};

export const DocumentSummary = z.object(documentShape).meta({ id: 'DocumentSummary' });

export const DocumentDetail = z
  .object({
    ...documentShape,
    costUsd: DecimalString.describe('What the model calls for this document cost (USD)'),
    record: RecordOfDocument.nullable().describe('The latest record version, for an extracted document'),
    candidate: z
      .object({ stage: z.string(), confidence: z.number(), fields: z.unknown() })
      .nullable()
      .describe('For a document in review: what the models produced, not yet a record'),
    reviewReasonsInWords: z.array(ReviewReason).describe('reviewReasons in words, in the same order'),
  })
  .meta({ id: 'DocumentDetail' });

export type InvoiceSummary = z.infer<typeof InvoiceSummary>;
// The repository's listing item is what InvoiceSummary describes.
InvoiceSummary satisfies z.ZodType<InvoiceListItem>;
export type InvoiceDetail = z.infer<typeof InvoiceDetail>;
export type ContractSummary = z.infer<typeof ContractSummary>;
export type ContractDetail = z.infer<typeof ContractDetail>;
export type DocumentSummary = z.infer<typeof DocumentSummary>;
export type DocumentDetail = z.infer<typeof DocumentDetail>;
