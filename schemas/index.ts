import { z } from 'zod';
import { ContractExtraction } from './contract.ts';
import { InvoiceExtraction } from './invoice.ts';

export * from './common.ts';
export * from './invoice.ts';
export * from './contract.ts';
export * from './fields.ts';
export * from './invoice-fields.ts';
export * from './contract-fields.ts';

/** An extraction of either kind, tagged with its kind. */
export const Extraction = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('invoice'), fields: InvoiceExtraction }),
  z.object({ kind: z.literal('contract'), fields: ContractExtraction }),
]);
export type Extraction = z.infer<typeof Extraction>;
export * from './corrections.ts';
