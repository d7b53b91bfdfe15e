import { z } from 'zod';
import { CurrencyCode, Decimal, Duration, IsoDate, Money } from './common.ts';

/**
 * What a reviewer may correct: the plain values of a record's fields (no
 * evidence or confidence: a person vouches for them). Every key is optional;
 * null clears a value. Unknown keys are refused, so a typo is not silently lost.
 */
export const InvoiceCorrection = z
  .object({
    vendorName: z.string().min(1).nullable(),
    vendorAddress: z.string().min(1).nullable(),
    vendorTaxId: z.string().min(1).nullable(),
    customerName: z.string().min(1).nullable(),
    invoiceNumber: z.string().min(1).nullable(),
    issueDate: IsoDate.nullable(),
    dueDate: IsoDate.nullable(),
    currency: CurrencyCode.nullable(),
    subtotal: Money.nullable(),
    taxTotal: Money.nullable(),
    total: Money.nullable(),
    purchaseOrder: z.string().min(1).nullable(),
    paymentTerms: z.string().min(1).nullable(),
    iban: z.string().min(1).nullable(),
    bic: z.string().min(1).nullable(),
    lineItems: z.array(
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
  .object({
    title: z.string().min(1).nullable(),
    parties: z.array(z.strictObject({ name: z.string().min(1), role: z.string().min(1).nullable() })),
    effectiveDate: IsoDate.nullable(),
    expirationDate: IsoDate.nullable(),
    term: Duration.nullable(),
    governingLaw: z.string().min(1).nullable(),
    autoRenewal: z.boolean().nullable(),
    noticePeriod: Duration.nullable(),
    paymentTerms: z.string().min(1).nullable(),
  })
  .partial()
  .strict()
  .meta({ id: 'ContractCorrection' });
export type ContractCorrection = z.infer<typeof ContractCorrection>;
