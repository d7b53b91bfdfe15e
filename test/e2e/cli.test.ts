import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { freePort } from '../../src/services/free-port.ts';
import { DATASETS_DIR, DATASETS_SKIP_MESSAGE, harnessCliEnv, HAVE_DATASETS, startHarness, type Harness } from '../support/harness.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'docroute.js');

/** Runs the real CLI in a child process with exactly the given environment (nothing inherited but PATH/HOME). */
async function docroute(args: string[], env: Record<string, string>, timeout = 240_000) {
  const cliDir = inject('temporalCliDir');
  const PATH = [path.join(ROOT, 'node_modules', '.bin'), ...(cliDir ? [cliDir] : []), process.env.PATH ?? ''].join(path.delimiter);
  return run(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH, HOME: process.env.HOME ?? '/tmp', DOCROUTE_LOG_LEVEL: 'warn', ...env },
    timeout,
    maxBuffer: 64 * 1024 * 1024,
  });
}

const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe.skipIf(!HAVE_DATASETS)(`docroute ingest against a cluster${HAVE_DATASETS ? '' : ` — ${DATASETS_SKIP_MESSAGE}`}`, () => {
  let h: Harness;
  let env: Record<string, string>;
  beforeAll(async () => {
    h = await startHarness();
    env = harnessCliEnv(h);
  });
  afterAll(async () => h?.close());

  it('ingest --wait --json gives all 11 invoice2data PDFs a status; running it again creates nothing new', async () => {
    const dir = path.join(DATASETS_DIR, 'invoice2data');
    const pdfs = (await fs.readdir(dir)).filter((f) => f.endsWith('.pdf')).map((f) => path.join(dir, f));
    const first = jsonLines((await docroute(['ingest', ...pdfs, '--wait', '--json'], env)).stdout);
    expect(first).toHaveLength(11);
    for (const doc of first) {
      expect(Object.keys(doc)).toEqual(
        expect.arrayContaining(['documentId', 'sha256', 'file', 'kind', 'status', 'route', 'tokens', 'confidence', 'record', 'error', 'workflowId']),
      );
      expect(['extracted', 'needs_review', 'failed']).toContain(doc.status);
      // The offline text tier, or the exact e-invoice tier for a PDF that embeds its invoice XML.
      expect([['flash'], ['xml']]).toContainEqual(doc.route);
      expect(doc.tokens).toBeGreaterThan(0);
      if (doc.status === 'extracted') expect(doc.record).toMatchObject({ kind: 'invoice', version: 1 });
    }
    const count = async () =>
      Number((await h.db.selectFrom('documents').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    expect(await count()).toBe(11);

    const second = jsonLines((await docroute(['ingest', dir, '--wait', '--json'], env)).stdout);
    expect(second.map((d) => d.documentId).sort()).toEqual(first.map((d) => d.documentId).sort());
    expect(second.map((d) => d.status).sort()).toEqual(first.map((d) => d.status).sort());
    expect(await count()).toBe(11);
    const records = await h.db.selectFrom('invoices').select(['document_id']).execute();
    expect(new Set(records.map((r) => r.document_id)).size).toBe(records.length);
  });

  it('show prints a document with its routing decisions and attempts', async () => {
    const doc = await h.db.selectFrom('documents').select(['id', 'sha256', 'route']).orderBy('created_at').limit(1).executeTakeFirstOrThrow();
    const { stdout } = await docroute(['show', doc.sha256.slice(0, 12), '--json'], env);
    const shown = JSON.parse(stdout);
    expect(shown.documentId).toBe(doc.id);
    // An e-invoice the exact tier claims is decided in one step; any other document in at least two (exact → text, then routed).
    expect(shown.routingDecisions.length).toBeGreaterThanOrEqual(doc.route[0] === 'xml' ? 1 : 2);
    expect(shown.attempts.length).toBeGreaterThanOrEqual(1);
  });

  it('a bad configuration value stops the CLI with a message naming it', async () => {
    const error = await docroute(['migrate'], { ...env, DOCROUTE_MIN_CONFIDENCE: 'high' }).catch((e: { code: number; stderr: string }) => e);
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr).toContain('DOCROUTE_MIN_CONFIDENCE');
  });
});

describe('local mode: the README main command on embedded defaults', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'docroute-local-'));
  });
  afterAll(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('demo starts its own Temporal and embedded PostgreSQL, processes the samples and shows their records', { timeout: 240_000 }, async () => {
    const env = {
      DOCROUTE_DATA_DIR: dataDir,
      DOCROUTE_TEMPORAL_PORT: String(await freePort()),
      DOCROUTE_EMBEDDED_PG_PORT: String(await freePort()),
    };
    const { stdout } = await docroute(['demo', '--json'], env);
    const docs = jsonLines(stdout);
    const samples = (await fs.readdir(path.join(ROOT, 'samples'))).filter((f) => f.endsWith('.pdf'));
    expect(docs).toHaveLength(samples.length);
    // Offline, the value floor is on by default: each sample carries optional values the rules tier reads
    // below it (a vendor address at 0.4, parties at 0.8), so each waits in review and says why.
    for (const doc of docs) {
      expect(doc.status, String(doc.file)).toBe('needs_review');
      expect(String(doc.reviewReasons), String(doc.file)).toMatch(/values below the value floor 0\.85/);
    }
    // The state lives in the data dir: Temporal's SQLite file and the embedded cluster (or its root-safe twin).
    expect(await fs.stat(path.join(dataDir, 'temporal.sqlite')).then(() => true)).toBe(true);
    // Run again: everything is already known, nothing new is processed.
    const again = jsonLines((await docroute(['demo', '--json'], env)).stdout);
    expect(again.map((d) => d.documentId).sort()).toEqual(docs.map((d) => d.documentId).sort());
    if (HAVE_DATASETS) {
      // A document that ends in review: its workflow keeps waiting; the command still ends cleanly (exit 0).
      const review = jsonLines((await docroute(['ingest', path.join(DATASETS_DIR, 'invoice2data', 'oyo.pdf'), '--json'], env)).stdout);
      expect(review).toMatchObject([{ status: 'needs_review' }]);
    }
  });
});

describe('docroute watch (the inbox)', () => {
  let h: Harness;
  let inbox: string;
  beforeAll(async () => {
    h = await startHarness();
    inbox = await mkdtemp(path.join(tmpdir(), 'docroute-inbox-'));
  });
  afterAll(async () => {
    await h?.close();
    await fs.rm(inbox, { recursive: true, force: true });
  });

  it('ingests each new PDF once, ignores a renamed copy, and never touches the originals', async () => {
    const child = spawn(process.execPath, [BIN, 'watch', inbox, '--interval', '0.2'], {
      cwd: ROOT,
      env: harnessCliEnv(h),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const waitFor = async (predicate: () => Promise<boolean>, what: string) => {
      for (let i = 0; i < 300; i++) {
        if (await predicate()) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`timed out waiting for ${what}; watch printed: ${out}`);
    };
    try {
      await waitFor(async () => out.includes('watching'), 'the watcher to start');
      const sample = path.join(ROOT, 'samples', 'invoice-en-usd.pdf');
      await fs.copyFile(sample, path.join(inbox, 'a.pdf'));
      await fs.writeFile(path.join(inbox, 'notes.txt'), 'not a pdf, not for us');
      const finished = async () =>
        (await h.db.selectFrom('documents').select('status').execute()).some((d) => ['extracted', 'needs_review'].includes(d.status));
      await waitFor(finished, 'the first document');
      await fs.copyFile(sample, path.join(inbox, 'b-same-content.pdf'));
      await waitFor(
        async () => (await h.db.selectFrom('document_uploads').select('id').execute()).length === 2,
        'the renamed copy to be seen',
      );
      const docs = await h.db.selectFrom('documents').select('id').execute();
      expect(docs).toHaveLength(1);
      expect((await fs.readdir(inbox)).sort()).toEqual(['a.pdf', 'b-same-content.pdf', 'notes.txt']);
    } finally {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
  });
});

describe('honest output: exit codes, ids, the tier that ran, list', () => {
  let h: Harness;
  let env: Record<string, string>;
  let dir: string;
  beforeAll(async () => {
    h = await startHarness();
    env = harnessCliEnv(h);
    dir = await mkdtemp(path.join(tmpdir(), 'docroute-honest-'));
  });
  afterAll(async () => {
    await h?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('ingest exits 1 when a document ends failed, names the rules tier and prints ids; list finds them', async () => {
    const broken = path.join(dir, 'broken.pdf');
    await fs.writeFile(broken, 'this is not a PDF at all');
    const sample = path.join(ROOT, 'samples', 'invoice-en-usd.pdf');
    const outcome = await docroute(['ingest', sample, broken, '--wait'], env).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(outcome.code, outcome.stderr).toBe(1);
    const ids = await h.db.selectFrom('documents').select(['id', 'file_name', 'status']).execute();
    const failed = ids.find((d) => d.file_name === 'broken.pdf');
    const good = ids.find((d) => d.file_name === 'invoice-en-usd.pdf');
    expect(failed?.status).toBe('failed');
    expect(outcome.stdout).toContain(`id ${failed!.id}`);
    expect(outcome.stdout).toContain(`id ${good!.id}`);
    // The offline tier is named for what it is, and the user is told once how to enable Gemini.
    expect(outcome.stdout).toMatch(/invoice-en-usd\.pdf[^\n]*/);
    expect(outcome.stdout.split('\n').find((l) => l.includes('invoice-en-usd.pdf'))).toMatch(/\brules\b/);
    expect(outcome.stderr.match(/^note: no GEMINI_API_KEY/gm)).toHaveLength(1);
    // Not a terminal (piped): a progress line per document as it settles, with the time taken so far.
    const progressLines = outcome.stderr.split('\n').filter((l) => /^\[\d\/2\] /.test(l));
    expect(progressLines.map((l) => l.replace(/\s+.*/, '')).sort()).toEqual(['[1/2]', '[2/2]']);
    expect(progressLines.find((l) => l.includes('broken.pdf'))).toMatch(/^\[\d\/2\] failed\s+\S*broken\.pdf {2}\(\d+:\d\d elapsed, [\d.]+\/min/);

    const json = jsonLines((await docroute(['ingest', sample, '--json'], env)).stdout);
    expect(json[0]).toMatchObject({ documentId: good!.id, route: ['flash'], ranOn: ['rules'] });

    const listed = jsonLines((await docroute(['list', '--status', 'failed', '--json'], env)).stdout);
    expect(listed.map((d) => d.documentId)).toEqual([failed!.id]);
    const all = jsonLines((await docroute(['list', '--json'], env)).stdout);
    expect(all.find((d) => d.documentId === good!.id)).toMatchObject({ status: 'extracted', kind: 'invoice', total: expect.stringMatching(/^\d+\.\d{2} [A-Z]{3}$/) });
  }, 240_000);
});
