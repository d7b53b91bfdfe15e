import type { FieldRegistry, ListFieldSpec } from './fields.ts';

/**
 * The invoice's fields, declared once (see schemas/fields.ts for what is derived
 * from this). Order matters: it is the order of the record schema, of the
 * question put to the model, of the API and of the export columns.
 *
 * To add a field: an entry here, a migration adding its column to `invoices`,
 * and the column in src/db/schema.ts. Then tell the model what it is in the
 * prompt (src/extraction/gemini/prompts/) and, if it can be checked, add a check
 * (src/validation/). A field only the exact e-invoice tier reads (from the XML)
 * is marked `exactOnly`: it is not asked of the models; the reader fills it in
 * src/einvoice/read.ts.
 */
export const INVOICE_FIELDS = {
  vendorName: { type: 'text', label: 'Vendor name', required: true, column: 'vendor_name' },
  vendorAddress: { type: 'text', label: 'Vendor address', column: 'vendor_address' },
  vendorTaxId: { type: 'identifier', label: 'Vendor tax id', column: 'vendor_tax_id' },
  customerName: { type: 'text', label: 'Customer name', column: 'customer_name' },
  invoiceNumber: { type: 'identifier', label: 'Invoice number', required: true, column: 'invoice_number' },
  issueDate: { type: 'date', label: 'Issue date', required: true, column: 'issue_date' },
  dueDate: { type: 'date', label: 'Due date', column: 'due_date' },
  currency: { type: 'currency', label: 'Currency', required: true, column: 'currency' },
  subtotal: { type: 'money', label: 'Subtotal', column: 'subtotal' },
  taxTotal: { type: 'money', label: 'Tax total', column: 'tax_total' },
  total: { type: 'money', label: 'Total', required: true, column: 'total' },
  purchaseOrder: { type: 'identifier', label: 'Purchase order', column: 'purchase_order' },
  paymentTerms: { type: 'text', label: 'Payment terms', column: 'payment_terms' },
  iban: { type: 'identifier', label: 'IBAN', column: 'iban' },
  bic: { type: 'identifier', label: 'BIC', column: 'bic' },
  documentType: {
    type: 'documentType',
    label: 'Document type',
    description: 'From e-invoices: invoice or credit note (a credit note\'s amounts are what is credited)',
    column: 'document_type',
    exactOnly: true,
  },
  customerAddress: { type: 'text', label: 'Customer address', description: "From e-invoices: the buyer's postal address", column: 'customer_address', exactOnly: true },
  customerTaxId: { type: 'identifier', label: 'Customer tax id', description: "From e-invoices: the buyer's VAT id (BT-48)", column: 'customer_tax_id', exactOnly: true },
  buyerReference: {
    type: 'identifier',
    label: 'Buyer reference',
    description: 'From e-invoices: the buyer reference (BT-10; the Leitweg-ID in XRechnung)',
    column: 'buyer_reference',
    exactOnly: true,
  },
  profile: {
    type: 'identifier',
    label: 'Profile',
    description: 'From e-invoices: the specification identifier (BT-24), e.g. an XRechnung version or a Factur-X profile',
    column: 'profile',
    exactOnly: true,
  },
} as const satisfies FieldRegistry;

/** The invoice's line items: after the totals, one row each in `invoice_lines`. */
export const INVOICE_LINES = {
  name: 'lineItems',
  label: 'Line items',
  after: 'total',
  table: 'invoice_lines',
} as const satisfies ListFieldSpec<'lineItems', keyof typeof INVOICE_FIELDS>;

/** The VAT breakdown (one entry per category and rate), read from e-invoices: at the end, one row each in `invoice_vat_breakdown`. */
export const INVOICE_VAT_BREAKDOWN = {
  name: 'vatBreakdown',
  label: 'VAT breakdown',
  after: 'profile',
  table: 'invoice_vat_breakdown',
  exactOnly: true,
} as const satisfies ListFieldSpec<'vatBreakdown', keyof typeof INVOICE_FIELDS>;
