import { z } from 'zod';
import { Confidence, Duration, Evidence, extracted, IsoDate } from './common.ts';

/** A party to an agreement and the role the agreement gives it ("Disclosing Party", "Company"). */
export const ContractParty = z.object({
  name: z.string().min(1),
  role: z.string().min(1).nullable(),
  confidence: Confidence,
  evidence: Evidence.nullable(),
});
export type ContractParty = z.infer<typeof ContractParty>;

export const ContractExtraction = z.object({
  title: extracted(z.string().min(1)),
  parties: z.array(ContractParty),
  effectiveDate: extracted(IsoDate),
  expirationDate: extracted(IsoDate),
  term: extracted(Duration),
  /** The jurisdiction whose law governs the agreement, e.g. "Delaware", "England and Wales". */
  governingLaw: extracted(z.string().min(1)),
  autoRenewal: extracted(z.boolean()),
  noticePeriod: extracted(Duration),
  paymentTerms: extracted(z.string().min(1)),
});
export type ContractExtraction = z.infer<typeof ContractExtraction>;

export const CONTRACT_SCALAR_FIELDS = [
  'title',
  'effectiveDate',
  'expirationDate',
  'term',
  'governingLaw',
  'autoRenewal',
  'noticePeriod',
  'paymentTerms',
] as const satisfies readonly (keyof ContractExtraction)[];
export type ContractScalarField = (typeof CONTRACT_SCALAR_FIELDS)[number];

/** Fields that drive a contract's document confidence ("parties" stands for the party list). */
export const CONTRACT_REQUIRED_FIELDS = ['parties', 'effectiveDate', 'governingLaw'] as const;

export function emptyContractExtraction(): ContractExtraction {
  const none = { value: null, confidence: 0, evidence: null };
  return {
    title: { ...none },
    parties: [],
    effectiveDate: { ...none },
    expirationDate: { ...none },
    term: { ...none },
    governingLaw: { ...none },
    autoRenewal: { ...none },
    noticePeriod: { ...none },
    paymentTerms: { ...none },
  };
}
