import { z } from 'zod';
import { Confidence, Evidence } from './common.ts';
import { CONTRACT_FIELDS, CONTRACT_PARTIES } from './contract-fields.ts';
import { absentFields, extractedShape, fieldNames, insertAfter, requiredFieldNames } from './fields.ts';

/** A party to an agreement and the role the agreement gives it ("Disclosing Party", "Company"). */
export const ContractParty = z.object({
  name: z.string().min(1),
  role: z.string().min(1).nullable(),
  confidence: Confidence,
  evidence: Evidence.nullable(),
});
export type ContractParty = z.infer<typeof ContractParty>;

/** A contract as extracted; the fields are declared in schemas/contract-fields.ts. */
export const ContractExtraction = z.object(
  insertAfter(extractedShape(CONTRACT_FIELDS), CONTRACT_PARTIES.after, { [CONTRACT_PARTIES.name]: z.array(ContractParty) } as { parties: z.ZodArray<typeof ContractParty> }),
);
export type ContractExtraction = z.infer<typeof ContractExtraction>;

export const CONTRACT_SCALAR_FIELDS = fieldNames(CONTRACT_FIELDS);
export type ContractScalarField = keyof typeof CONTRACT_FIELDS;

/** Fields that drive a contract's document confidence ("parties" stands for the party list). */
export const CONTRACT_REQUIRED_FIELDS = requiredFieldNames(CONTRACT_FIELDS, CONTRACT_PARTIES) as (ContractScalarField | 'parties')[];

export function emptyContractExtraction(): ContractExtraction {
  return insertAfter(absentFields(CONTRACT_FIELDS), CONTRACT_PARTIES.after, { parties: [] as ContractParty[] });
}
