import { ContractExtraction, InvoiceExtraction, type ExtractableKind } from '../../schemas/index.ts';
import { TierRejectedError, type ExtractionFields, type ExtractionRequest, type ModelTier, type Usage } from './model-tier.ts';

/** How an attempt row's error starts when the answer failed the schema. */
export const SCHEMA_INVALID_PREFIX = 'output failed schema validation';

/** The code of an attempt row that ended `invalid`, from its stored message (for an attempt finished before). */
export function invalidCodeOf(error: string | null): 'schema_invalid' | 'rejected' {
  return error?.startsWith(SCHEMA_INVALID_PREFIX) ? 'schema_invalid' : 'rejected';
}

/** One tier call, judged: what it returned (only if valid), what it cost, how it ended. */
export interface TierCallResult<K extends ExtractableKind> {
  /** ok: valid output; invalid: output refused (schema, or the tier gave up on it); failed: an error worth retrying. */
  outcome: 'ok' | 'invalid' | 'failed';
  fields: ExtractionFields<K> | null;
  error: string | null;
  /** Why the output is not usable, as a code (the message is `error`): null when ok or failed. */
  errorCode: 'schema_invalid' | 'rejected' | null;
  /** What was spent, also for refused answers (they are paid for); null when the call itself failed. */
  usage: Usage | null;
  costUsd: string;
  promptVersion: string | null;
  promptHash: string | null;
  latencyMs: number;
  /** The error a `failed` call threw, for the caller's retry decision. */
  thrown: unknown;
}

/**
 * Calls a tier and never trusts its output shape: the fields are validated with
 * the same schema the record uses. Used by the extraction activity and by the
 * evaluation, so both judge a call the same way.
 */
export async function callTier<K extends ExtractableKind>(tier: ModelTier, request: ExtractionRequest<K>): Promise<TierCallResult<K>> {
  const started = performance.now();
  try {
    const result = await tier.extract(request);
    const schema = request.kind === 'invoice' ? InvoiceExtraction : ContractExtraction;
    const checked = schema.safeParse(result.fields);
    return {
      outcome: checked.success ? 'ok' : 'invalid',
      fields: checked.success ? (checked.data as ExtractionFields<K>) : null,
      error: checked.success
        ? null
        : `${SCHEMA_INVALID_PREFIX}: ${checked.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      errorCode: checked.success ? null : 'schema_invalid',
      usage: result.usage,
      costUsd: result.costUsd,
      promptVersion: result.promptVersion,
      promptHash: result.promptHash,
      latencyMs: Math.round(performance.now() - started),
      thrown: null,
    };
  } catch (error) {
    // A rejected answer was still paid for: keep what it cost.
    const spent = error as { usage?: Usage; costUsd?: string };
    const rejected = error instanceof TierRejectedError;
    return {
      outcome: rejected ? 'invalid' : 'failed',
      fields: null,
      error: error instanceof Error ? error.message : String(error),
      errorCode: rejected ? 'rejected' : null,
      usage: spent.usage ?? null,
      costUsd: spent.costUsd ?? '0',
      promptVersion: null,
      promptHash: null,
      latencyMs: Math.round(performance.now() - started),
      thrown: rejected ? null : error,
    };
  }
}
