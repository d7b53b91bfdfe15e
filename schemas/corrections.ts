import { z } from 'zod';
import { Decimal, Money, PreciseDecimal } from './common.ts';
import { CONTRACT_FIELDS, CONTRACT_PARTIES } from './contract-fields.ts';
import { correctionShape, insertAfter } from './fields.ts';
import { INVOICE_FIELDS, INVOICE_LINES, INVOICE_VAT_BREAKDOWN } from './invoice-fields.ts';

/**
 * What a reviewer may correct: the plain values of a record's fields (no
 * evidence or confidence: a person vouches for them), derived from the field
 * registries (schemas/invoice-fields.ts, contract-fields.ts). Every key is optional;
 * null clears a value. Unknown keys are refused, so a typo is not silently lost.
 */
export const InvoiceCorrection = z
  .object({
    ...correctionShape(INVOICE_FIELDS),
    [INVOICE_LINES.name]: z.array(
      z.strictObject({
        description: z.string().min(1),
        quantity: PreciseDecimal.nullable(),
        unitPrice: PreciseDecimal.nullable(),
        amount: Money.nullable(),
        /** VAT rate in percent; optional (a line read from text has none). */
        vatRate: Decimal.nullable().optional(),
      }),
    ),
    [INVOICE_VAT_BREAKDOWN.name]: z.array(
      z.strictObject({
        category: z.string().min(1).nullable(),
        rate: Decimal.nullable(),
        taxableAmount: Money.nullable(),
        taxAmount: Money.nullable(),
      }),
    ),
  })
  .partial()
  .strict()
  .meta({ id: 'InvoiceCorrection' });
export type InvoiceCorrection = z.infer<typeof InvoiceCorrection>;

export const ContractCorrection = z
  .object(
    insertAfter(correctionShape(CONTRACT_FIELDS), CONTRACT_PARTIES.after, {
      parties: z.array(z.strictObject({ name: z.string().min(1), role: z.string().min(1).nullable() })),
    }),
  )
  .partial()
  .strict()
  .meta({ id: 'ContractCorrection' });
export type ContractCorrection = z.infer<typeof ContractCorrection>;
