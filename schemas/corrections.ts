import { z } from 'zod';
import { Decimal, Money } from './common.ts';
import { CONTRACT_FIELDS, CONTRACT_PARTIES } from './contract-fields.ts';
import { correctionShape, insertAfter } from './fields.ts';
import { INVOICE_FIELDS, INVOICE_LINES } from './invoice-fields.ts';

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
        quantity: Decimal.nullable(),
        unitPrice: Money.nullable(),
        amount: Money.nullable(),
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
