import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { historyText, SAMPLE_DOCUMENT_VALUES, valuesIn } from '../support/history-values.ts';

const HISTORIES = path.resolve(import.meta.dirname, '..', 'histories');

describe('workflow histories carry ids and codes, not document values', () => {
  it('no recorded fixture of any version holds a value of the sample documents', async () => {
    const found: string[] = [];
    let files = 0;
    for (const version of (await fs.readdir(HISTORIES, { withFileTypes: true })).filter((d) => d.isDirectory())) {
      for (const name of (await fs.readdir(path.join(HISTORIES, version.name))).filter((f) => f.endsWith('.json'))) {
        const text = historyText(await fs.readFile(path.join(HISTORIES, version.name, name), 'utf8'));
        // The payloads were decoded: the workflow input's document id is readable.
        expect(text, `${version.name}/${name}`).toContain('"documentId":');
        files += 1;
        for (const v of valuesIn(text, SAMPLE_DOCUMENT_VALUES)) found.push(`${version.name}/${name}: ${v}`);
      }
    }
    expect(files).toBeGreaterThanOrEqual(63);
    expect(found).toEqual([]);
  });

  it('finds a value wherever it is carried in a history, inside a payload too', () => {
    const payload = Buffer.from(JSON.stringify({ attemptId: 'a-1', outcome: 'invalid', error: 'no JSON: {"invoiceNumber":"HDS-2024-0417"' })).toString('base64');
    const history = JSON.stringify({ events: [{ activityTaskCompletedEventAttributes: { result: { payloads: [{ metadata: {}, data: payload }] } } }] });
    expect(valuesIn(historyText(history), SAMPLE_DOCUMENT_VALUES)).toEqual(['HDS-2024-0417']);
    expect(valuesIn(historyText(JSON.stringify({ events: [] })), SAMPLE_DOCUMENT_VALUES)).toEqual([]);
  });
});
