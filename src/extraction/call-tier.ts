import { ContractExtraction, InvoiceExtraction, type ExtractableKind } from '../../schemas/index.ts';
import { TierRejectedError, type ExtractionFields, type ExtractionRequest, type ModelTier, type Usage } from './model-tier.ts';

/** One tier call, judged: what it returned (only if valid), what it cost, how it ended. */
export interface TierCallResult<K extends ExtractableKind> {
  /** ok: valid output; invalid: output refused (schema, or the tier gave up on it); failed: an error worth retrying. */
  outcome: 'ok' | 'invalid' | 'failed';
  fields: ExtractionFields<K> | null;
  error: string | null;
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
        : `output failed schema validation: ${checked.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
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
      usage: spent.usage ?? null,
      costUsd: spent.costUsd ?? '0',
      promptVersion: null,
      promptHash: null,
      latencyMs: Math.round(performance.now() - started),
      thrown: rejected ? null : error,
    };
  }
}
