import { promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandPaths } from '../../src/ingest/ingest.ts';

describe('expandPaths', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'docroute-expand-'));
    for (const name of ['b.pdf', 'a.PDF', 'einvoice.xml', 'notes.txt', 'scan.jpeg']) await fs.writeFile(path.join(dir, name), 'x');
    await fs.mkdir(path.join(dir, 'older'));
    await fs.writeFile(path.join(dir, 'older', 'c.pdf'), 'x');
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('takes the PDFs and XML files of a folder and says what it skipped and why', async () => {
    const { files, skipped } = await expandPaths([dir]);
    expect(files.map((f) => path.basename(f))).toEqual(['a.PDF', 'b.pdf', 'einvoice.xml']);
    expect(skipped.map((s) => [path.basename(s.path), s.reason.split(' (')[0]])).toEqual([
      ['notes.txt', 'not a PDF or XML file'],
      ['older', 'a subfolder'],
      ['scan.jpeg', 'not a PDF or XML file'],
    ]);
  });

  it('takes a file given by name whatever its extension (it gets a recorded verdict), once', async () => {
    const txt = path.join(dir, 'notes.txt');
    const { files, skipped } = await expandPaths([txt, txt]);
    expect(files).toEqual([txt]);
    expect(skipped).toEqual([]);
    await expect(expandPaths([path.join(dir, 'missing.pdf')])).rejects.toThrow(/no such file or directory/);
  });
});
