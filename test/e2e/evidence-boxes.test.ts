import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { boxesOverlap, type EvidenceBox } from '../../src/evidence/locate.ts';
import type { TextItem } from '../../src/pdf/text-items.ts';
import { startApiHarness, type ApiHarness } from '../support/api-harness.ts';

/**
 * Evidence boxes end to end: a sample invoice is extracted, its record version
 * is written with a box per evidence quote (located in the stored text runs),
 * and the API returns them where the value's text is on the page.
 */

const SAMPLES = path.resolve(import.meta.dirname, '..', '..', 'samples');
let api: ApiHarness;
let key: string;

beforeAll(async () => {
  api = await startApiHarness();
  key = await api.key(['write', 'read'], 'boxes');
});
afterAll(async () => api?.close());

it('stores a box for each located quote and returns it in the API, over the value on its page', async () => {
  const body = new FormData();
  body.append('file', new Blob([await fs.readFile(path.join(SAMPLES, 'invoice-en-usd.pdf'))], { type: 'application/pdf' }), 'invoice.pdf');
  const upload = (await (await api.call('/v1/documents', { method: 'POST', key, body })).json()) as { documents: { documentId: string }[] };
  const id = upload.documents[0]!.documentId;
  let doc: any;
  for (let i = 0; i < 600; i++) {
    doc = await (await api.call(`/v1/documents/${id}`, { key })).json();
    if (!['received', 'processing'].includes(doc.status)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(doc.status).toBe('extracted');
  const evidence = doc.record.evidence as Record<string, { page: number | null; quote: string | null; boxes: EvidenceBox[] | null }>;
  const pages = await api.db.selectFrom('pages').select(['page_number', 'items']).where('document_id', '=', id).execute();
  const runsOf = (page: number) => (pages.find((p) => p.page_number === page)?.items ?? []) as TextItem[];
  const norm = (s: string) => s.replace(/\s+/g, '').toLowerCase();
  let checked = 0;
  for (const [field, e] of Object.entries(evidence)) {
    if (e.quote === null || e.page === null) continue;
    // Every quote grounded on a text page is located.
    expect(e.boxes, `${field}: "${e.quote}"`).not.toBeNull();
    for (const b of e.boxes!) {
      for (const v of [b.x, b.y, b.w, b.h, b.x + b.w, b.y + b.h]) expect(v).toBeGreaterThanOrEqual(0), expect(v).toBeLessThanOrEqual(1);
    }
    // Where a single run holds the value, a box covers it.
    const value = String(doc.record[field] ?? '');
    const holding = runsOf(e.page).filter((r) => value.length > 2 && norm(r.str).includes(norm(value)));
    if (holding.length > 0) {
      expect(holding.some((r) => e.boxes!.some((b) => boxesOverlap(b, r))), `${field} box over "${value}"`).toBe(true);
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(2);
  // Stored: the same boxes are in field_evidence.
  const stored = await api.db.selectFrom('field_evidence').select(['field', 'boxes']).where('document_id', '=', id).execute();
  for (const row of stored) expect(row.boxes).toEqual(evidence[row.field]?.boxes ?? null);
});
