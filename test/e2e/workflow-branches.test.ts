import { randomUUID } from 'node:crypto';
import { Client, Connection, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Activities, CandidateSummary, ReviewInput, ReviewResult, SettleInput } from '../../activities/index.ts';
import { installTemporalRuntime, workflowBundle } from '../../src/worker/worker.ts';
import { createLogger } from '../../src/logger.ts';
import { reviewUpdate, type ExtractDocumentInput, type ExtractDocumentResult } from '../../workflows/extract-document.ts';

/**
 * The workflow's branches with mocked activities (as in Temporal's samples): the
 * real workflow code on the test run's Temporal server, every activity a fake
 * that records its calls. No database, no models.
 */
let connection: Connection;
let client: Client;
let native: NativeConnection;

beforeAll(async () => {
  installTemporalRuntime(createLogger('warn'));
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace: 'default' });
  native = await NativeConnection.connect({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await connection?.close();
  await native?.close();
});

const INPUT = (policy: ExtractDocumentInput['policy'] = {}): ExtractDocumentInput => ({
  documentId: randomUUID(),
  routing: { longDocTokens: 20000, minConfidence: 0.8, chunkTokens: 6000, docBudgetUsd: 0.25 },
  policy: { stallAfterMs: 60_000, modelAttemptTimeoutMs: 5_000, modelAttempts: 3, ...policy },
});

const CANDIDATE: CandidateSummary = {
  candidateId: 'cand-1',
  confidence: 0.5,
  failedChecks: ['iban_checksum(iban)'],
  missingRequired: [],
  ungrounded: [],
  possibleDuplicateOf: null,
};

type Mocks = Partial<Record<keyof Activities, (...args: any[]) => Promise<unknown>>>;

/** Activities of a document that the fast tier reads with low confidence: it goes to review (no deep tier). */
function activities(calls: { name: string; args: unknown[] }[], overrides: Mocks = {}): Mocks {
  const base: Mocks = {
    describeTiers: async () => ({ fastModel: 'fake', deepModel: null, deepAvailable: false, fastReadsImages: false, deepReadsImages: false }),
    parseDocument: async () => ({ pageCount: 1, imageOnlyPages: [], pageTokens: [500], tokens: 500, tokensEstimated: true }),
    classifyText: async () => ({ kind: 'invoice', confidence: 0.9, scanPages: [] }),
    extractWithTier: async () => ({ attemptId: 'att-1', outcome: 'ok', errorCode: null }),
    buildCandidate: async () => CANDIDATE,
    recordRouting: async () => undefined,
    settleDocument: async () => ({ recordId: null, version: null }),
    // Not an e-invoice, not a batch source, no webhook subscriber: the text path, online, told to no one.
    readEInvoice: async () => ({ outcome: 'absent', container: 'pdf', attemptId: null, note: 'the PDF embeds no files' }),
    batchPlan: async () => ({ batch: false, deadlineMs: 0, pollMs: 0 }),
    announceDocument: async () => [],
    reviewDocument: async (input: ReviewInput): Promise<ReviewResult> => ({
      outcome: 'applied',
      status: input.action === 'reject' ? 'failed' : 'extracted',
      recordId: input.action === 'reject' ? null : 'rec-1',
      version: input.action === 'reject' ? null : 1,
      reasons: [],
      error: null,
    }),
  };
  const all = { ...base, ...overrides };
  const recorded: Mocks = Object.fromEntries(
    Object.entries(all).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        calls.push({ name, args });
        return fn!(...args);
      },
    ]),
  );
  // The lean run's one activity for both (as activities/index.ts composes it): over the mocks above, so an
  // override of either (a parse that fails, say) holds for it too, and their calls are counted.
  recorded.readDocument ??= async (documentId: string) => {
    calls.push({ name: 'readDocument', args: [documentId] });
    const einvoice = await recorded.readEInvoice!(documentId);
    try {
      return { einvoice, parsed: await recorded.parseDocument!(documentId), parseError: null };
    } catch (error) {
      if (error instanceof ApplicationFailure && error.type === 'BadDocument') return { einvoice, parsed: null, parseError: error.message };
      throw error;
    }
  };
  return recorded;
}

async function withWorker<T>(mocks: Mocks, body: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `branches-${randomUUID().slice(0, 8)}`;
  const worker = await Worker.create({ connection: native, taskQueue, workflowBundle: await workflowBundle(), activities: mocks });
  return worker.runUntil(body(taskQueue));
}

/** An activity that never answers but heartbeats, so that it learns of its cancellation or timeout. */
async function hangUntilCancelled(): Promise<never> {
  const context = Context.current();
  const beat = setInterval(() => context.heartbeat(), 200);
  try {
    await context.cancelled;
    throw new Error('unreachable');
  } finally {
    clearInterval(beat);
  }
}

const settled = (calls: { name: string; args: unknown[] }[]) =>
  calls.filter((c) => c.name === 'settleDocument').map((c) => (c.args[0] as SettleInput).status);

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('extractDocument with mocked activities', () => {
  it('review: refused while processing and after the decision; checks that fail keep it in review; concurrent decisions apply once', { timeout: 120_000 }, async () => {
    const calls: { name: string; args: unknown[] }[] = [];
    let reviews = 0;
    let releaseParse!: () => void;
    const parseGate = new Promise<void>((r) => (releaseParse = r));
    const mocks = activities(calls, {
      parseDocument: async () => {
        await parseGate;
        return { pageCount: 1, imageOnlyPages: [], pageTokens: [500], tokens: 500, tokensEstimated: true };
      },
      reviewDocument: async (input: ReviewInput): Promise<ReviewResult> => {
        reviews += 1;
        if (reviews === 1) return { outcome: 'checks_failed', failedChecks: ['iban_checksum(iban)'] };
        await new Promise((r) => setTimeout(r, 1500)); // slow enough for a concurrent decision to arrive meanwhile
        return { outcome: 'applied', status: 'extracted', recordId: 'rec-2', version: 2, reasons: [`confirmed in review: iban_checksum(iban)`], error: null };
      },
    });
    await withWorker(mocks, async (taskQueue) => {
      const handle = await client.workflow.start('extractDocument', { taskQueue, workflowId: `wf-${randomUUID()}`, args: [INPUT()] });
      // Still processing: refused by the validator, nothing applied.
      await until(() => calls.some((c) => c.name === 'parseDocument'), 'parse');
      const early = await handle.executeUpdate(reviewUpdate, { args: [{ submissionId: 's-0', action: 'approve' }] }).catch((e: unknown) => e);
      expect(early).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((early as WorkflowUpdateFailedError).cause?.message)).toMatch(/not awaiting review: still being processed/);
      releaseParse();
      await until(() => settled(calls).includes('needs_review'), 'review');

      // Checks fail on the corrected record: the reviewer is told, the document stays in review.
      const first = await handle.executeUpdate(reviewUpdate, { args: [{ submissionId: 's-1', action: 'correct' }] });
      expect(first).toEqual({ outcome: 'checks_failed', failedChecks: ['iban_checksum(iban)'] });
      expect((await handle.describe()).status.name).toBe('RUNNING');

      // Two decisions at once: one is applied, the other refused.
      const both = await Promise.allSettled([
        handle.executeUpdate(reviewUpdate, { args: [{ submissionId: 's-2', action: 'correct' }] }),
        handle.executeUpdate(reviewUpdate, { args: [{ submissionId: 's-3', action: 'approve' }] }),
      ]);
      const applied = both.filter((r) => r.status === 'fulfilled');
      const refused = both.filter((r) => r.status === 'rejected');
      expect(applied).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(String(((refused[0] as PromiseRejectedResult).reason as WorkflowUpdateFailedError).cause?.message)).toMatch(/being applied|already/);
      const result = (await handle.result()) as ExtractDocumentResult;
      expect(result).toMatchObject({ status: 'extracted', record: { id: 'rec-2', version: 2 }, reasons: ['confirmed in review: iban_checksum(iban)'] });
      expect(reviews).toBe(2);
      // The review activity got ids and the action, nothing else from the reviewer.
      const sent = calls.filter((c) => c.name === 'reviewDocument').map((c) => c.args[0] as ReviewInput);
      expect(Object.keys(sent[1]!).sort()).toEqual(['action', 'candidateId', 'documentId', 'kind', 'route', 'submissionId']);
      // Settled once for review; the decision itself wrote the final state.
      expect(settled(calls)).toEqual(['needs_review']);
    });
  });

  it('a document that is not an invoice or a contract can only be rejected', { timeout: 60_000 }, async () => {
    const calls: { name: string; args: unknown[] }[] = [];
    const mocks = activities(calls, { classifyText: async () => ({ kind: 'other', confidence: 0.2, scanPages: [] }) });
    await withWorker(mocks, async (taskQueue) => {
      const handle = await client.workflow.start('extractDocument', { taskQueue, workflowId: `wf-${randomUUID()}`, args: [INPUT()] });
      await until(() => settled(calls).includes('needs_review'), 'review');
      const correct = await handle.executeUpdate(reviewUpdate, { args: [{ submissionId: 's-1', action: 'correct' }] }).catch((e: unknown) => e);
      expect(String((correct as WorkflowUpdateFailedError).cause?.message)).toMatch(/can only be rejected/);
      expect(calls.some((c) => c.name === 'reviewDocument')).toBe(false);
      const reject = await handle.executeUpdate(reviewUpdate, { args: [{ submissionId: 's-2', action: 'reject' }] });
      expect(reject).toMatchObject({ outcome: 'applied', status: 'failed' });
      expect(await handle.result()).toMatchObject({ status: 'failed' });
    });
  });

  it('cancelled while in review: the document is recorded cancelled, and the workflow ends cancelled', { timeout: 60_000 }, async () => {
    const calls: { name: string; args: unknown[] }[] = [];
    await withWorker(activities(calls), async (taskQueue) => {
      const handle = await client.workflow.start('extractDocument', { taskQueue, workflowId: `wf-${randomUUID()}`, args: [INPUT()] });
      await until(() => settled(calls).includes('needs_review'), 'review');
      await handle.cancel();
      const error = await handle.result().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      expect(settled(calls)).toEqual(['needs_review', 'cancelled']);
      const cancelled = calls.find((c) => c.name === 'settleDocument' && (c.args[0] as SettleInput).status === 'cancelled')!;
      expect((cancelled.args[0] as SettleInput).error).toMatch(/cancelled/);
    });
  });

  it('cancelled during a model call: the call is cancelled and the document recorded cancelled', { timeout: 60_000 }, async () => {
    const calls: { name: string; args: unknown[] }[] = [];
    const mocks = activities(calls, {
      extractWithTier: hangUntilCancelled, // a call that never answers
    });
    await withWorker(mocks, async (taskQueue) => {
      const handle = await client.workflow.start('extractDocument', { taskQueue, workflowId: `wf-${randomUUID()}`, args: [INPUT()] });
      await until(() => calls.some((c) => c.name === 'extractWithTier'), 'the model call');
      await handle.cancel();
      const error = await handle.result().catch((e: unknown) => e);
      expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      expect(settled(calls)).toEqual(['cancelled']);
    });
  });

  it('infrastructure that stays down past the stall limit: recorded stalled with the reason in words, never failed', { timeout: 90_000 }, async () => {
    const calls: { name: string; args: unknown[] }[] = [];
    const mocks = activities(calls, {
      parseDocument: async () => {
        throw ApplicationFailure.retryable('connect ECONNREFUSED 127.0.0.1:5432', 'DatabaseUnavailable');
      },
    });
    await withWorker(mocks, async (taskQueue) => {
      const handle = await client.workflow.start('extractDocument', {
        taskQueue,
        workflowId: `wf-${randomUUID()}`,
        args: [INPUT({ stallAfterMs: 5_000 })],
      });
      const result = (await handle.result()) as ExtractDocumentResult;
      expect(result.status).toBe('stalled');
      expect(result.error).toMatch(/could not be processed for 5 seconds: .*ECONNREFUSED/);
      expect(settled(calls)).toEqual(['stalled']);
      // Retried, not failed on the first error.
      expect(calls.filter((c) => c.name === 'parseDocument').length).toBeGreaterThan(1);
    });
  });

  it('a verdict about the document (BadDocument) is final: failed after one attempt', { timeout: 60_000 }, async () => {
    const calls: { name: string; args: unknown[] }[] = [];
    const mocks = activities(calls, {
      parseDocument: async () => {
        throw ApplicationFailure.nonRetryable('file is encrypted', 'BadDocument');
      },
    });
    await withWorker(mocks, async (taskQueue) => {
      const handle = await client.workflow.start('extractDocument', { taskQueue, workflowId: `wf-${randomUUID()}`, args: [INPUT()] });
      expect(await handle.result()).toMatchObject({ status: 'failed', error: 'file is encrypted' });
      expect(calls.filter((c) => c.name === 'parseDocument')).toHaveLength(1);
      expect(settled(calls)).toEqual(['failed']);
    });
  });

  it('a model refusal (TierRefused) is not retried; a timed-out model attempt is, up to the attempts allowed', { timeout: 90_000 }, async () => {
    const calls: { name: string; args: unknown[] }[] = [];
    const mocks = activities(calls, {
      extractWithTier: async () => {
        throw ApplicationFailure.nonRetryable('HTTP 401 UNAUTHENTICATED', 'TierRefused');
      },
    });
    await withWorker(mocks, async (taskQueue) => {
      const handle = await client.workflow.start('extractDocument', { taskQueue, workflowId: `wf-${randomUUID()}`, args: [INPUT()] });
      await until(() => settled(calls).includes('needs_review'), 'review');
      expect(calls.filter((c) => c.name === 'extractWithTier')).toHaveLength(1);
      await handle.cancel();
    });

    const timeouts: { name: string; args: unknown[] }[] = [];
    const hanging = activities(timeouts, { extractWithTier: hangUntilCancelled });
    await withWorker(hanging, async (taskQueue) => {
      // An attempt's start-to-close (HTTP timeout plus a margin), shortened here to a second.
      const handle = await client.workflow.start('extractDocument', {
        taskQueue,
        workflowId: `wf-${randomUUID()}`,
        args: [INPUT({ modelAttemptTimeoutMs: 1_000, modelAttempts: 2 })],
      });
      await until(() => settled(timeouts).includes('needs_review'), 'review');
      expect(timeouts.filter((c) => c.name === 'extractWithTier')).toHaveLength(2);
      await handle.cancel();
    });
  });

  it('a bug in the workflow fails the workflow task (retried after a fix), never the document', { timeout: 60_000 }, async () => {
    const calls: { name: string; args: unknown[] }[] = [];
    // A candidate of the wrong shape makes the routing code throw a TypeError.
    const mocks = activities(calls, { buildCandidate: async () => null });
    await withWorker(mocks, async (taskQueue) => {
      const handle = await client.workflow.start('extractDocument', { taskQueue, workflowId: `wf-${randomUUID()}`, args: [INPUT()] });
      await until(() => calls.some((c) => c.name === 'buildCandidate'), 'the candidate');
      let failedTask = false;
      for (let i = 0; i < 100 && !failedTask; i++) {
        const history = await handle.fetchHistory();
        failedTask = (history.events ?? []).some((e) => e.workflowTaskFailedEventAttributes);
        if (!failedTask) await new Promise((r) => setTimeout(r, 100));
      }
      expect(failedTask).toBe(true);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect(settled(calls)).toEqual([]);
      await handle.terminate('test over');
    });
  });
});
