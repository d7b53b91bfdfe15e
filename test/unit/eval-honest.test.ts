/**
 * Honest evaluation: the fixed tune/held-out split, the touchless rate and its
 * best acceptance policy, the hybrid-PDF gold read from CII XML, and the label
 * usage report.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ciiFields } from '../../src/eval/hybrid-gold.ts';
import { labelUsage, topLevelAlternatives } from '../../src/eval/label-usage.ts';
import type { ItemOutcome } from '../../src/eval/metrics.ts';
import { halfOf, selectSplit } from '../../src/eval/splits.ts';
import { touchless } from '../../src/eval/touchless.ts';
import { DATASETS_DIR, HAVE_DATASETS } from '../support/harness.ts';

describe('tune / held-out split', () => {
  it('depends on the name alone (SHA-256, first byte parity) and halves a set roughly evenly', () => {
    // sha256("a") = ca97…: 0xca even → tune; sha256("b") = 3e23…: 0x3e even; sha256("c") = 2e7d…: even; sha256("d") = 1876…: even; sha256("e") = 3f79…: odd.
    expect(halfOf('a')).toBe('tune');
    expect(halfOf('e')).toBe('held-out');
    const docs = Array.from({ length: 400 }, (_, i) => ({ name: `doc-${i}.pdf` }));
    const tune = selectSplit(docs, 'tune');
    const held = selectSplit(docs, 'held-out');
    expect(tune.length + held.length).toBe(400);
    expect(tune.length).toBeGreaterThan(160);
    expect(held.length).toBeGreaterThan(160);
    expect(new Set([...tune, ...held]).size).toBe(400);
    expect(selectSplit(docs, 'all')).toHaveLength(400);
    // Adding documents never moves another one.
    expect(selectSplit([...docs, { name: 'new.pdf' }], 'tune').slice(0, tune.length)).toEqual(tune);
  });
});

const item = (right: boolean, got: string | null = 'x'): ItemOutcome => ({ field: 'f', expected: 'x', got, right, confidence: got ? 0.9 : null, evidence: null });

describe('touchless rate', () => {
  it('counts accepted documents and their values, and finds the largest share with ≥ 99% right', () => {
    const docs = [
      { status: 'extracted' as const, confidence: 0.95, checksPassed: true, valuesAboveFloor: true, items: [item(true), item(true)] },
      { status: 'extracted' as const, confidence: 0.9, checksPassed: true, valuesAboveFloor: true, items: [item(true), item(false)] },
      { status: 'needs_review' as const, confidence: 0.97, checksPassed: true, valuesAboveFloor: true, items: [item(true), item(false, null)] },
      { status: 'needs_review' as const, confidence: 0.99, checksPassed: false, valuesAboveFloor: true, items: [item(true)] },
      { status: 'failed' as const, confidence: null, checksPassed: false, valuesAboveFloor: true, items: [item(false, null)] },
    ];
    const t = touchless(docs);
    expect(t).toMatchObject({ accepted: 2, documents: 5, share: 0.4, values: { right: 3, reported: 4, accuracy: 0.75, missed: 0 } });
    // Accepting from 0.95 up: the 0.95 and 0.97 documents, 3 of 3 reported values right, one missed.
    expect(t.best).toMatchObject({ minConfidence: 0.95, accepted: 2, share: 0.4, values: { right: 3, reported: 3, accuracy: 1, missed: 1 } });
  });

  it('reports no policy when no threshold reaches the target', () => {
    const t = touchless([{ status: 'extracted', confidence: 0.9, checksPassed: true, valuesAboveFloor: true, items: [item(false)] }]);
    expect(t.best).toBeNull();
    expect(t.values.accuracy).toBe(0);
  });

  it('never counts a document with a value under the value floor as a candidate of a policy', () => {
    const docs = [
      { status: 'needs_review' as const, confidence: 0.95, checksPassed: true, valuesAboveFloor: false, items: [item(true), item(true)] },
      { status: 'needs_review' as const, confidence: 0.9, checksPassed: true, valuesAboveFloor: true, items: [item(true)] },
    ];
    expect(touchless(docs).best).toMatchObject({ minConfidence: 0.9, accepted: 1, values: { right: 1, reported: 1 } });
    expect(touchless([docs[0]!]).best).toBeNull();
  });
});

describe('label usage', () => {
  it('splits a label source on its top-level alternatives only', () => {
    expect(topLevelAlternatives('a|b(?:c|d)|[|x]|e\\|f')).toEqual(['a', 'b(?:c|d)', '[|x]', 'e\\|f']);
  });
  it('counts the documents each alternative fires on', () => {
    const rows = labelUsage([
      { name: 'one.pdf', text: 'Invoice number 12\nDue date 2024-01-01' },
      { name: 'two.pdf', text: 'Rechnungsnummer 7' },
    ]);
    const find = (alt: RegExp) => rows.find((r) => alt.test(r.alternative))!;
    expect(find(/^due\\s\*date$/).documents).toEqual(['one.pdf']);
    expect(find(/^rechnungsnummer$/).documents).toEqual(['two.pdf']);
  });
});

const XR = path.join(DATASETS_DIR, 'einvoices', 'xrechnung');
describe.skipIf(!HAVE_DATASETS || !existsSync(XR))('hybrid gold: CII XML → fields', () => {
  it('reads the EN 16931 business fields of the XRechnung CII cases, with amounts that add up', () => {
    const files = readdirSync(XR).filter((f) => /_uncefact\.xml$/.test(f)).sort();
    expect(files.length).toBeGreaterThan(10);
    let checked = 0;
    for (const f of files) {
      const fields = ciiFields(readFileSync(path.join(XR, f), 'utf8'));
      expect(fields.invoiceNumber, f).toBeTruthy();
      expect(fields.issueDate, f).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(fields.currency, f).toMatch(/^[A-Z]{3}$/);
      if (fields.subtotal !== undefined && fields.taxTotal !== undefined && fields.total !== undefined) {
        expect(Number(fields.subtotal) + Number(fields.taxTotal), f).toBeCloseTo(Number(fields.total), 2);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
  it('refuses XML that is not a CII invoice', () => {
    expect(() => ciiFields('<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>')).toThrow(/not a UN\/CEFACT CII invoice/);
  });
});
