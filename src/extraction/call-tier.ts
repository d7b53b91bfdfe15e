import { ContractExtraction, InvoiceExtraction, type ExtractableKind } from '../../schemas/index.ts';
import { TierRejectedError, type ExtractionFields, type ExtractionRequest, type ModelTier, type Usage } from './model-tier.ts';

/** How an attempt row's error starts when the answer failed the schema. */
export const SCHEMA_INVALID_PREFIX = 'output failed schema validation';

/** How an attempt row's error starts when the answer for its range was cut off and the range is to be split by the caller. */
export const CUT_OFF_PREFIX = 'answer cut off';

/** Why a tier's output is not usable (the attempt row's outcome is `invalid`). */
export type InvalidCode = 'schema_invalid' | 'rejected' | 'cut_off';

/** The code of an attempt row that ended `invalid`, from its stored message (for an attempt finished before). */
export function invalidCodeOf(error: string | null): InvalidCode {
  if (error?.startsWith(SCHEMA_INVALID_PREFIX)) return 'schema_invalid';
  if (error?.startsWith(CUT_OFF_PREFIX)) return 'cut_off';
  return 'rejected';
}

/** One tier call, judged: what it returned (only if valid), what it cost, how it ended. */
export interface TierCallResult<K extends ExtractableKind> {
  /** ok: valid output; invalid: output refused (schema, or the tier gave up on it); failed: an error worth retrying. */
  outcome: 'ok' | 'invalid' | 'failed';
  fields: ExtractionFields<K> | null;
  error: string | null;
  /** Why the output is not usable, as a code (the message is `error`): null when ok or failed. */
  errorCode: InvalidCode | null;
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
    const cutOff = rejected && error.code === 'cut_off';
    const message = error instanceof Error ? error.message : String(error);
    return {
      outcome: rejected ? 'invalid' : 'failed',
      fields: null,
      error: cutOff ? `${CUT_OFF_PREFIX}: ${message}` : message,
      errorCode: rejected ? error.code : null,
      usage: spent.usage ?? null,
      costUsd: spent.costUsd ?? '0',
      promptVersion: null,
      promptHash: null,
      latencyMs: Math.round(performance.now() - started),
      thrown: rejected ? null : error,
    };
  }
}
