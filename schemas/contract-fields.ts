import type { FieldRegistry, ListFieldSpec } from './fields.ts';

/**
 * The contract's fields, declared once (see schemas/fields.ts for what is derived
 * from this). Order matters: it is the order of the record schema, of the
 * question put to the model and of the API.
 *
 * To add a field: an entry here, a migration adding its column(s) to `contracts`,
 * and the column(s) in src/db/schema.ts; then the prompt (src/extraction/gemini/prompts/).
 */
export const CONTRACT_FIELDS = {
  title: { type: 'text', label: 'Title', column: 'title' },
  effectiveDate: { type: 'date', label: 'Effective date', required: true, column: 'effective_date' },
  expirationDate: { type: 'date', label: 'Expiration date', column: 'expiration_date' },
  term: { type: 'duration', label: 'Term', column: { count: 'term_count', unit: 'term_unit' } },
  /** The jurisdiction whose law governs the agreement, e.g. "Delaware", "England and Wales". */
  governingLaw: { type: 'text', label: 'Governing law', required: true, column: 'governing_law' },
  autoRenewal: { type: 'boolean', label: 'Automatic renewal', column: 'auto_renewal' },
  noticePeriod: { type: 'duration', label: 'Notice period', column: { count: 'notice_period_count', unit: 'notice_period_unit' } },
  paymentTerms: { type: 'text', label: 'Payment terms', column: 'payment_terms' },
} as const satisfies FieldRegistry;

/** The parties to the agreement: after the title, one row each in `contract_parties`; a contract needs two. */
export const CONTRACT_PARTIES = {
  name: 'parties',
  label: 'Parties',
  after: 'title',
  required: true,
  table: 'contract_parties',
} as const satisfies ListFieldSpec<'parties', keyof typeof CONTRACT_FIELDS>;
