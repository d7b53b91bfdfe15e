import type { Client } from '@temporalio/client';
import type { Db } from '../db/database.ts';
import { getDocument, listDocumentUploads } from '../db/documents.ts';
import { listDocumentRuns } from '../db/runs.ts';
import { listCandidatesWithChecks, listDocumentAttempts, listReviewActions, listRoutingDecisionDetails } from '../db/trail.ts';
import { listRecordVersions, listVersionEvidence } from '../db/versions.ts';
import { listDeliveries } from '../db/webhooks.ts';
import type { History } from './history.ts';

/** One step in a document's life, as an auditor reads it. */
export interface TimelineEntry {
  at: string;
  step:
    | 'received'
    | 'run'
    | 'parsed'
    | 'classified'
    | 'extraction_attempt'
    | 'routing_decision'
    | 'validation'
    | 'review'
    | 'record_version'
    | 'webhook_delivery'
    | 'finished';
  summary: string;
  details: Record<string, unknown>;
  /** The workflow history event this step came from (null when the history is not available). */
  eventId: number | null;
}

export interface AuditTimeline {
  documentId: string;
  workflowId: string;
  status: string;
  /** Whether the workflow history could be read (it links each entry to its event). */
  historyAvailable: boolean;
  entries: TimelineEntry[];
}

export interface HistoryIndex {
  /** activityId → ActivityTaskScheduled event id, and its type. */
  activities: Map<string, { eventId: number; type: string; completedAt: string | null }>;
  /** Events by type, in order. */
  started: { eventId: number; at: string } | null;
  /** The run this history is of. */
  runId: string | null;
  signals: { eventId: number; at: string; name: string }[];
  closed: { eventId: number; at: string; type: string } | null;
}

const iso = (d: Date | string) => (d instanceof Date ? d : new Date(d)).toISOString();

/**
 * A document's complete timeline: received (hash, sources), parsed (pages,
 * tokens), classified, every extraction attempt (tier, model, prompt version,
 * tokens, cost, latency, outcome), every routing decision (inputs, thresholds,
 * reasons), validation results, review actions (who, what changed, when), and
 * every record version — each linked to the Temporal history event it came from.
 * Built from Postgres; the history (when the client can read it) supplies the
 * event ids.
 */
export async function buildAuditTimeline(db: Db, client: Client | null, documentId: string): Promise<AuditTimeline> {
  const doc = await getDocument(db, documentId);
  if (!doc) throw new Error(`no document ${documentId}`);
  const history = client ? await client.workflow.getHandle(doc.workflow_id).fetchHistory().catch(() => null) : null;
  const index = history ? indexHistory(history) : null;
  // The history read is the latest run's: activity ids repeat from run to run, so only that run's rows link to it.
  const runId = index?.runId ?? null;
  const eventOf = (activityId: string | null, rowRunId?: string | null) =>
    activityId && (rowRunId === undefined || rowRunId === runId) ? (index?.activities.get(activityId)?.eventId ?? null) : null;
  const byType = (type: string) => [...(index?.activities.values() ?? [])].filter((a) => a.type === type);
  const entries: TimelineEntry[] = [];

  const uploads = await listDocumentUploads(db, doc.id);
  for (const [i, u] of uploads.entries()) {
    entries.push({
      at: iso(u.received_at),
      step: 'received',
      summary: `${u.duplicate ? 'received again (same content, nothing new started)' : 'received'}: ${u.file_name} via ${u.source}`,
      details: { fileName: u.file_name, source: u.source, sha256: doc.sha256, sizeBytes: Number(doc.size_bytes), duplicate: u.duplicate },
      eventId: i === 0 ? (index?.started?.eventId ?? null) : null,
    });
  }

  // Each run of the workflow (the first, then reprocess and retry), linked to the run it follows.
  const runs = await listDocumentRuns(db, doc.id);
  for (const r of runs) {
    const after = r.previous_run_id ? runs.find((p) => p.run_id === r.previous_run_id) : undefined;
    entries.push({
      at: r.run_id === runId && index?.started ? index.started.at : iso(r.created_at),
      step: 'run',
      summary:
        `run ${r.run_number} started (${r.reason}${r.requested_by ? ` by ${r.requested_by}` : ''})${r.previous_run_id ? `, after run ${after?.run_number ?? '?'} (${r.previous_run_id})` : ''}` +
        (r.closed_as ? `; ${r.closed_as === 'terminated' ? 'terminated' : 'timed out'} in Temporal${r.closed_by ? ` by ${r.closed_by}` : ''}${r.closed_reason ? ` (reason: ${r.closed_reason})` : ''}` : ''),
      details: {
        runNumber: r.run_number,
        reason: r.reason,
        requestedBy: r.requested_by,
        runId: r.run_id,
        previousRunId: r.previous_run_id,
        closedAs: r.closed_as,
        closedReason: r.closed_reason,
        closedBy: r.closed_by,
        closedAt: r.closed_at ? iso(r.closed_at) : null,
      },
      eventId: r.run_id === runId ? (index?.started?.eventId ?? null) : null,
    });
  }

  // Lean runs (patch docroute-lean-run) parse in readDocument, along with the e-invoice read.
  const parse = byType('parseDocument')[0] ?? byType('readDocument')[0];
  if (doc.page_count !== null) {
    entries.push({
      at: parse?.completedAt ?? iso(doc.created_at),
      step: 'parsed',
      summary: `parsed: ${doc.page_count} page(s), ${doc.token_count ?? '?'} tokens${doc.token_count_estimated ? ' (estimated)' : ' (counted by the model)'}${doc.image_only_pages.length ? `, scanned pages ${doc.image_only_pages.join(', ')}` : ''}`,
      details: {
        pages: doc.page_count,
        tokens: doc.token_count,
        tokensEstimated: doc.token_count_estimated,
        imageOnlyPages: doc.image_only_pages,
      },
      eventId: parse?.eventId ?? null,
    });
  }
  const classify = byType('classifyScan')[0] ?? byType('classifyText')[0] ?? byType('classifyDocument')[0];
  if (doc.kind) {
    entries.push({
      at: classify?.completedAt ?? iso(doc.created_at),
      step: 'classified',
      summary: `classified as ${doc.kind}`,
      details: { kind: doc.kind },
      eventId: classify?.eventId ?? null,
    });
  }

  const attempts = await listDocumentAttempts(db, doc.id);
  for (const a of attempts) {
    entries.push({
      at: iso(a.created_at),
      step: 'extraction_attempt',
      summary: `${a.tier} (${a.model}) pages ${a.page_from}-${a.page_to}: ${a.outcome}, ${a.input_tokens}${a.tokens_estimated ? '~' : ''} in / ${a.output_tokens} out tokens, $${a.cost_usd}, ${a.latency_ms} ms${a.error ? ` — ${a.error}` : ''}`,
      details: {
        attemptId: a.id,
        tier: a.tier,
        model: a.model,
        promptVersion: a.prompt_version,
        promptHash: a.prompt_hash,
        chunkIndex: a.chunk_index,
        pageFrom: a.page_from,
        pageTo: a.page_to,
        inputTokens: a.input_tokens,
        outputTokens: a.output_tokens,
        cachedTokens: a.cached_tokens,
        tokensEstimated: a.tokens_estimated,
        costUsd: a.cost_usd,
        latencyMs: a.latency_ms,
        outcome: a.outcome,
        error: a.error,
        activityAttempt: a.activity_attempt,
      },
      eventId: eventOf(a.activity_id, a.run_id),
    });
  }

  for (const d of await listRoutingDecisionDetails(db, doc.id)) {
    const inputs = d.inputs;
    entries.push({
      at: iso(d.created_at),
      step: 'routing_decision',
      summary: `routing (${d.stage}) → ${d.action}: ${d.reason}`,
      details: { sequence: d.sequence, stage: d.stage, action: d.action, reason: d.reason, inputs, thresholds: inputs.thresholds ?? null },
      eventId: eventOf(d.activity_id, d.run_id),
    });
  }

  for (const c of await listCandidatesWithChecks(db, doc.id)) {
    const checks = c.results;
    const failed = checks.filter((x) => !x.passed);
    entries.push({
      at: iso(c.created_at),
      step: 'validation',
      summary: `validated the ${c.stage}-tier result: confidence ${Number(c.confidence).toFixed(3)}, ${checks.length - failed.length} check(s) passed, ${failed.length} failed${failed.length ? ` (${failed.map((f) => f.check_name).join(', ')})` : ''}`,
      details: {
        candidateId: c.id,
        stage: c.stage,
        confidence: Number(c.confidence),
        checks,
        ungrounded: c.checks.ungrounded,
        missingRequired: c.checks.missingRequired,
      },
      eventId: eventOf(c.activity_id, c.run_id),
    });
  }

  const reviews = await listReviewActions(db, doc.id);
  const reviewSignals = index?.signals.filter((s) => s.name === 'review') ?? [];
  for (const [i, r] of reviews.entries()) {
    const changes = r.changes;
    entries.push({
      at: iso(r.created_at),
      step: 'review',
      summary: `review by ${r.reviewer}: ${r.action}${changes.length ? ` (${changes.map((c) => `${c.field}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`).join('; ')})` : ''}${r.note ? ` — "${r.note}"` : ''}`,
      details: { reviewer: r.reviewer, action: r.action, changes, note: r.note, recordId: r.record_id, signalEventId: reviewSignals[i]?.eventId ?? null },
      eventId: eventOf(r.activity_id, r.run_id) ?? reviewSignals[i]?.eventId ?? null,
    });
  }

  const evidenceOf = await listVersionEvidence(db, doc.id);
  for (const table of ['invoices', 'contracts'] as const) {
    const versions = await listRecordVersions(db, table, doc.id);
    for (const v of versions) {
      const evidence = Object.fromEntries((evidenceOf.get(v.id) ?? []).map((e) => [e.field, evidenceSource(e)]));
      const fromXml = Object.values(evidence).filter((e) => e.source === 'xml').length;
      entries.push({
        at: iso(v.created_at),
        step: 'record_version',
        summary:
          `${table === 'invoices' ? 'invoice' : 'contract'} record version ${v.version} written (source ${v.source}, confidence ${Number(v.confidence).toFixed(3)})` +
          `; evidence for ${Object.keys(evidence).length} field(s)${fromXml ? `, ${fromXml} read from XML paths` : ''}`,
        details: { recordId: v.id, version: v.version, source: v.source, confidence: Number(v.confidence), workflowId: v.workflow_id, runId: v.run_id, evidence },
        eventId: eventOf(v.activity_id, v.run_id),
      });
    }
  }

  // Webhook deliveries run as child workflows of their own (workflow id webhook-<delivery id>).
  for (const d of await listDeliveries(db, { documentId: doc.id, limit: 500 })) {
    const tries = d.attempts.map((a) => `${a.status_code ?? a.error ?? 'no answer'}`).join(', ');
    entries.push({
      at: iso(d.created_at),
      step: 'webhook_delivery',
      summary: `webhook ${d.event} to subscription ${d.webhook_id}: ${d.status}${d.attempts.length ? ` after ${d.attempts.length} attempt(s) (${tries})` : ''}${d.error ? ` — ${d.error}` : ''}`,
      details: {
        deliveryId: d.id,
        webhookId: d.webhook_id,
        event: d.event,
        status: d.status,
        error: d.error,
        workflowId: `webhook-${d.id}`,
        attempts: d.attempts.map((a) => ({ attempt: a.attempt, statusCode: a.status_code, latencyMs: a.latency_ms, error: a.error, at: iso(a.created_at) })),
      },
      eventId: null,
    });
  }

  if (['extracted', 'needs_review', 'failed', 'cancelled', 'stalled'].includes(doc.status)) {
    entries.push({
      at: index?.closed?.at ?? iso(doc.updated_at),
      step: 'finished',
      summary:
        doc.status === 'needs_review'
          ? `waiting in review: ${doc.review_reasons.join('; ')}`
          : `${doc.status}${doc.error ? `: ${doc.error}` : ''}; route ${doc.route.join(' → ') || '(none)'}`,
      details: { status: doc.status, route: doc.route, confidence: doc.confidence === null ? null : Number(doc.confidence), error: doc.error, reviewReasons: doc.review_reasons },
      eventId: doc.status === 'needs_review' ? null : (index?.closed?.eventId ?? null),
    });
  }

  // In time order; within the same instant, in history order.
  entries.sort((a, b) => a.at.localeCompare(b.at) || (a.eventId ?? Number.MAX_SAFE_INTEGER) - (b.eventId ?? Number.MAX_SAFE_INTEGER));
  return { documentId: doc.id, workflowId: doc.workflow_id, status: doc.status, historyAvailable: history !== null, entries };
}

/**
 * Where a record field's value was read, as the audit trail states it: the XML
 * element path for a value read from an e-invoice; the page and the quote for
 * a value read from a page; `none` for a value with no evidence
 * (a reviewer's correction typed in).
 */
export type EvidenceSource =
  | { source: 'xml'; path: string; tier: string | null; confidence: number }
  | { source: 'page'; page: number | null; quote: string; tier: string | null; confidence: number }
  | { source: 'none'; tier: string | null; confidence: number };

function evidenceSource(e: { path: string | null; page: number | null; quote: string | null; tier: string | null; confidence: string }): EvidenceSource {
  const confidence = Number(e.confidence);
  if (e.path) return { source: 'xml', path: e.path, tier: e.tier, confidence };
  if (e.quote !== null) return { source: 'page', page: e.page, quote: e.quote, tier: e.tier, confidence };
  return { source: 'none', tier: e.tier, confidence };
}

export function indexHistory(history: History): HistoryIndex {
  const index: HistoryIndex = { activities: new Map(), started: null, runId: null, signals: [], closed: null };
  const scheduled = new Map<number, string>();
  const timeOf = (e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) => {
    const seconds = Number(e.eventTime?.seconds ?? 0);
    return new Date(seconds * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6)).toISOString();
  };
  for (const event of history.events ?? []) {
    const eventId = Number(event.eventId);
    const started = event.workflowExecutionStartedEventAttributes;
    if (started) {
      index.started = { eventId, at: timeOf(event) };
      index.runId = started.originalExecutionRunId ?? null;
    }
    const s = event.activityTaskScheduledEventAttributes;
    if (s?.activityId) {
      index.activities.set(s.activityId, { eventId, type: s.activityType?.name ?? '', completedAt: null });
      scheduled.set(eventId, s.activityId);
    }
    // A local activity (patch docroute-lean-run) has no scheduled event: its marker, recorded when it finished, stands for it.
    const marker = event.markerRecordedEventAttributes;
    const local = marker?.markerName === LOCAL_ACTIVITY_MARKER ? localActivityOf(marker.details?.['data']?.payloads?.[0]?.data) : null;
    if (local) index.activities.set(local.activityId, { eventId, type: local.type, completedAt: timeOf(event) });
    const c = event.activityTaskCompletedEventAttributes;
    if (c) {
      const activityId = scheduled.get(Number(c.scheduledEventId));
      const entry = activityId ? index.activities.get(activityId) : undefined;
      if (entry) entry.completedAt = timeOf(event);
    }
    const sig = event.workflowExecutionSignaledEventAttributes;
    if (sig) index.signals.push({ eventId, at: timeOf(event), name: sig.signalName ?? '' });
    const type = event.workflowExecutionCompletedEventAttributes
      ? 'completed'
      : event.workflowExecutionCanceledEventAttributes
        ? 'cancelled'
        : event.workflowExecutionFailedEventAttributes
          ? 'failed'
          : event.workflowExecutionTerminatedEventAttributes
            ? 'terminated'
            : event.workflowExecutionTimedOutEventAttributes
              ? 'timed_out'
              : null;
    if (type) index.closed = { eventId, at: timeOf(event), type };
  }
  return index;
}

/** The marker name Temporal's SDK core records for a local activity. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** A local activity marker's id and type, from its `data` payload (JSON); null when it is not readable. */
function localActivityOf(data: Uint8Array | null | undefined): { activityId: string; type: string } | null {
  if (!data) return null;
  try {
    const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as { activity_id?: unknown; activity_type?: unknown };
    return typeof parsed.activity_id === 'string' ? { activityId: parsed.activity_id, type: typeof parsed.activity_type === 'string' ? parsed.activity_type : '' } : null;
  } catch {
    return null;
  }
}
