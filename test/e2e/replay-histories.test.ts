import { promises as fs } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { describe, expect, it } from 'vitest';
import { replayHistories } from '../../src/audit/history.ts';

const HISTORIES = path.resolve(import.meta.dirname, '..', 'histories');

/** Every recorded history of every shipped workflow version (test/histories/<version>/<scenario>.json). */
async function fixtures(): Promise<{ workflowId: string; file: string }[]> {
  const out: { workflowId: string; file: string }[] = [];
  for (const version of (await fs.readdir(HISTORIES, { withFileTypes: true })).filter((d) => d.isDirectory())) {
    for (const name of (await fs.readdir(path.join(HISTORIES, version.name))).filter((f) => f.endsWith('.json')).sort()) {
      out.push({ workflowId: `${version.name}/${name.replace(/\.json$/, '')}`, file: path.join(HISTORIES, version.name, name) });
    }
  }
  return out;
}

describe('recorded workflow histories replay against the current workflow code', () => {
  it('every fixture of every shipped version is deterministic', { timeout: 180_000 }, async () => {
    const all = await fixtures();
    expect(all.length).toBeGreaterThanOrEqual(64); // 8 of v1, 14 of v2, 5 of v3, 17 of v4, 19 of v5, 1 of v6
    const histories = await Promise.all(
      all.map(async (f) => ({ workflowId: f.workflowId, history: historyFromJSON(JSON.parse(await fs.readFile(f.file, 'utf8'))) })),
    );
    const failures: string[] = [];
    let replayed = 0;
    for await (const outcome of replayHistories(histories)) {
      replayed += 1;
      if (!outcome.deterministic) failures.push(`${outcome.workflowId}: ${outcome.failure}: ${outcome.message}`);
    }
    expect(replayed).toBe(all.length);
    expect(failures).toEqual([]);
  });
});
