/**
 * The parse side of the benchmark (scripts/bench.ts): the engines per page
 * beside poppler's pdftotext, and big documents. Every figure is measured in
 * the run that prints it.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { InvoiceExtraction, ContractExtraction } from '../../schemas/index.ts';
import { chunkPages } from '../../src/chunking/chunk-pages.ts';
import { classifyDocument } from '../../src/classify/classify.ts';
import type { ModelTier, PageText } from '../../src/extraction/model-tier.ts';
import { estimateTokens } from '../../src/extraction/rules/tokens.ts';
import { PdfRejectedError, parsePdf } from '../../src/pdf/parse-pdf.ts';
import { renderPagesInProcess } from '../../src/pdf/render-pages.ts';
import { openPdfium } from './pdfium-engine.ts';

const run = promisify(execFile);
const CHILD = new URL('./big-parse-child.ts', import.meta.url).pathname;

export interface BenchDoc {
  file: string;
  bytes: Uint8Array;
}

const r = (x: number, d = 2) => (Number.isFinite(x) ? Number(x.toFixed(d)) : null);
const sum = (v: readonly number[]) => v.reduce((s, x) => s + x, 0);
const median = (v: readonly number[]) => {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

/** poppler's pdftotext version, or null when it is not installed. */
export function pdftotextVersion(): string | null {
  // `pdftotext -v` prints its version to stderr (some versions exit 99 after it).
  const res = spawnSync('pdftotext', ['-v'], { encoding: 'utf8' });
  if (res.error) return null;
  return `${res.stderr}${res.stdout}`.trim().split('\n')[0] || 'pdftotext';
}

/** pdftotext on a file, one process per file (poppler's usual use); ms of wall time. */
async function pdftotextMs(file: string): Promise<number> {
  const t = performance.now();
  await run('pdftotext', ['-q', '-enc', 'UTF-8', file, '-'], { maxBuffer: 256 * 1024 * 1024 });
  return performance.now() - t;
}

export interface EngineReport {
  pdftotext: { version: string; msPerPage: number | null; msPerDoc: number | null } | null;
  pdfjs: { inProcessMsPerPage: number | null; guardedMsPerPage: number | null };
  pdfium: {
    package: string;
    msPerPage: number | null;
    /** Share of pdf.js's words (per document, then the median) that PDFium's text holds too. */
    wordAgreementMedian: number | null;
    /** Documents whose page count PDFium and pdf.js agree on. */
    samePageCount: number;
    /** Text runs with boxes, per page (pdf.js's runs vs PDFium's, which are words). */
    runsPerPage: { pdfjs: number | null; pdfium: number | null };
    /** The rules tier run on each engine's text: fields extracted equal, of the fields pdf.js's text gave. */
    rulesFieldsEqual: { equal: number; of: number; share: number | null };
    /** Documents classified the same. */
    sameKind: number;
    wasmMemoryMiB: number | null;
    error: string | null;
  };
  render: { pages: number; pdfjsMsPerPage: number | null; pdfiumMsPerPage: number | null };
  documents: number;
  pages: number;
  rounds: number;
}

/**
 * Per page, over the dataset, `rounds` rounds after one warm-up: pdftotext (a
 * process per file), PDFium in process (text, runs with boxes, the image check:
 * the same work as our parse), and the quality figures of PDFium's text against
 * pdf.js's. The pdf.js figures come from the stage timings (passed in).
 */
export async function benchEngines(
  docs: readonly BenchDoc[],
  rounds: number,
  pdfjs: { inProcessMs: number; guardedMs: number; pages: number },
  fast: ModelTier,
  limits: { maxPages: number; chunkTokens: number },
  progress: (line: string) => void,
): Promise<EngineReport> {
  const { maxPages, chunkTokens } = limits;
  const version = pdftotextVersion();
  const parsed = new Map<string, PageText[]>();
  for (const d of docs) parsed.set(d.file, (await parsePdf(d.bytes, { maxPages }, { inProcess: true })).pages);
  const pages = sum([...parsed.values()].map((p) => p.length));

  let popplerMs: number[] = [];
  if (version) {
    progress(`engines: pdftotext (${version}), ${rounds} round(s)`);
    for (const d of docs) await pdftotextMs(d.file); // warm-up: file cache, binary loaded
    for (let i = 0; i < rounds; i++) popplerMs = [...popplerMs, sum(await mapSeq(docs, (d) => pdftotextMs(d.file)))];
  }

  progress(`engines: PDFium (WebAssembly), ${rounds} round(s)`);
  const pdfium: EngineReport['pdfium'] = {
    package: '@embedpdf/pdfium',
    msPerPage: null,
    wordAgreementMedian: null,
    samePageCount: 0,
    runsPerPage: { pdfjs: null, pdfium: null },
    rulesFieldsEqual: { equal: 0, of: 0, share: null },
    sameKind: 0,
    wasmMemoryMiB: null,
    error: null,
  };
  const render = { pages: 0, pdfjsMsPerPage: null as number | null, pdfiumMsPerPage: null as number | null };
  try {
    const engine = await openPdfium();
    const theirs = new Map<string, PageText[]>();
    for (const d of docs) theirs.set(d.file, engine.parse(d.bytes)); // warm-up, and the pages compared below
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t = performance.now();
      for (const d of docs) engine.parse(d.bytes);
      times.push(performance.now() - t);
    }
    pdfium.msPerPage = r(median(times) / pages, 3);
    pdfium.wasmMemoryMiB = r(engine.memoryBytes / 1048576, 1);
    const agreement: number[] = [];
    let runsOurs = 0;
    let runsTheirs = 0;
    for (const d of docs) {
      const ours = parsed.get(d.file)!;
      const other = theirs.get(d.file)!;
      if (ours.length === other.length) pdfium.samePageCount++;
      agreement.push(wordAgreement(ours.map((p) => p.text).join('\n'), other.map((p) => p.text).join('\n')));
      runsOurs += sum(ours.map((p) => p.items?.length ?? 0));
      runsTheirs += sum(other.map((p) => p.items?.length ?? 0));
      const a = await rulesFields(ours, fast, chunkTokens);
      const b = await rulesFields(other, fast, chunkTokens);
      if (a.kind === b.kind) pdfium.sameKind++;
      for (const [key, value] of Object.entries(a.fields)) {
        if (value === null || value === undefined) continue;
        pdfium.rulesFieldsEqual.of++;
        if (JSON.stringify(value) === JSON.stringify(b.fields[key])) pdfium.rulesFieldsEqual.equal++;
      }
    }
    pdfium.wordAgreementMedian = r(median(agreement), 4);
    pdfium.runsPerPage = { pdfjs: r(runsOurs / pages, 1), pdfium: r(runsTheirs / pages, 1) };
    pdfium.rulesFieldsEqual.share = r(pdfium.rulesFieldsEqual.equal / pdfium.rulesFieldsEqual.of, 3);

    // Rendering: page 1 of each document at 1024 px, PNG out, both engines in process.
    progress('engines: rendering page 1 of each document with pdf.js and PDFium');
    const sample = docs;
    for (const d of sample.slice(0, 3)) {
      await renderPagesInProcess({ bytes: d.bytes, pageNumbers: [1], maxSide: 1024, maxImagePixels: 100_000_000 });
      engine.renderPng(d.bytes, 1, 1024);
    }
    let tJs = 0;
    let tFx = 0;
    for (const d of sample) {
      let t = performance.now();
      await renderPagesInProcess({ bytes: d.bytes, pageNumbers: [1], maxSide: 1024, maxImagePixels: 100_000_000 });
      tJs += performance.now() - t;
      t = performance.now();
      engine.renderPng(d.bytes, 1, 1024);
      tFx += performance.now() - t;
    }
    render.pages = sample.length;
    render.pdfjsMsPerPage = r(tJs / sample.length, 1);
    render.pdfiumMsPerPage = r(tFx / sample.length, 1);
  } catch (error) {
    pdfium.error = error instanceof Error ? error.message : String(error);
  }

  return {
    pdftotext: version
      ? { version, msPerPage: r(median(popplerMs) / pages, 3), msPerDoc: r(median(popplerMs) / docs.length, 2) }
      : null,
    pdfjs: { inProcessMsPerPage: r(pdfjs.inProcessMs / pdfjs.pages, 3), guardedMsPerPage: r(pdfjs.guardedMs / pdfjs.pages, 3) },
    pdfium,
    render,
    documents: docs.length,
    pages,
    rounds,
  };
}

async function mapSeq<T, R>(items: readonly T[], f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const x of items) out.push(await f(x));
  return out;
}

function wordAgreement(reference: string, other: string): number {
  const words = reference.split(/\s+/).filter(Boolean);
  if (words.length === 0) return 1;
  const have = new Set(other.split(/\s+/).filter(Boolean));
  return words.filter((w) => have.has(w)).length / words.length;
}

/** The rules tier on one engine's pages, as the workflow runs it (chunk by chunk); the last valid reading's fields. */
async function rulesFields(pages: PageText[], fast: ModelTier, chunkTokens: number): Promise<{ kind: string; fields: Record<string, unknown> }> {
  const { kind } = classifyDocument(pages);
  if (kind === 'other') return { kind, fields: {} };
  const schema = kind === 'invoice' ? InvoiceExtraction : ContractExtraction;
  const chunks = chunkPages(pages.map((p) => ({ pageNumber: p.pageNumber, tokens: estimateTokens(p.text) })), chunkTokens);
  const fields: Record<string, unknown> = {};
  for (const c of chunks) {
    const slice = pages.filter((p) => p.pageNumber >= c.pageFrom && p.pageNumber <= c.pageTo);
    const result = await fast.extract({ kind, pages: slice, pageCount: pages.length });
    if (schema.safeParse(result.fields).success) Object.assign(fields, result.fields);
  }
  return { kind, fields };
}

// ---------------------------------------------------------------------------
// Big documents
// ---------------------------------------------------------------------------

export interface BigDocReport {
  /** Per size: guarded parse wall time and per page; pdftotext on the same file. */
  sizes: { pages: number; fileMiB: number | null; guardedMs: number | null; guardedMsPerPage: number | null; pdftotextMsPerPage: number | null }[];
  /** ms per page at the largest size ÷ at the smallest (1 = linear). */
  linearity: number | null;
  /** RSS of a process that parses the largest (guarded, twice: cold then warm): at its start, and its peak. */
  rssMiB: { before: number | null; peak: number | null };
  /** The largest document's parse result (pages, text, boxes), as JSON. */
  resultMiB: number | null;
  /** A file over the page limit: refused (code) after this long, without its pages being read. */
  overLimit: { pages: number; maxPages: number; refusedMs: number | null; code: string | null; generateMs: number | null };
}

/** A text PDF of `pages` pages, `lines` lines each (an invoice line's length). */
export async function textPdf(pages: number, lines: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let p = 1; p <= pages; p++) {
    const page = doc.addPage([595, 842]);
    for (let l = 0; l < lines; l++) {
      page.drawText(`Page ${p} line ${l + 1}: item ${(p * 31 + l * 7) % 9973} qty ${(l % 9) + 1} unit 12.50 EUR total ${((l % 9) + 1) * 12.5} EUR`, {
        x: 50,
        y: 800 - l * 14,
        size: 9,
        font,
      });
    }
  }
  return doc.save({ useObjectStreams: true });
}

export async function benchBigDocuments(
  sizes: readonly number[],
  overLimitPages: number,
  maxPages: number,
  progress: (line: string) => void,
): Promise<BigDocReport> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'docroute-bench-big-'));
  const hasPdftotext = pdftotextVersion() !== null;
  try {
    const report: BigDocReport = { sizes: [], linearity: null, rssMiB: { before: null, peak: null }, resultMiB: null, overLimit: { pages: overLimitPages, maxPages, refusedMs: null, code: null, generateMs: null } };
    const largest = Math.max(...sizes);
    for (const n of sizes) {
      progress(`big documents: a ${n}-page text PDF`);
      const bytes = await textPdf(n, 40);
      const file = path.join(dir, `text-${n}.pdf`);
      await fs.writeFile(file, bytes);
      // In a process of its own: its RSS is a worker's doing this parse, not the benchmark's.
      const { stdout } = await run(process.execPath, [CHILD, file, String(Math.max(maxPages, n))], { maxBuffer: 1024 * 1024 });
      const child = JSON.parse(stdout.trim().split('\n').pop()!) as {
        pageCount: number;
        coldMs: number;
        warmMs: number;
        rssBefore: number;
        rssPeak: number;
        maxRss: number;
        resultBytes: number;
      };
      if (child.pageCount !== n) throw new Error(`the ${n}-page PDF parsed as ${child.pageCount} pages`);
      const ms = child.warmMs;
      if (n === largest) {
        report.rssMiB = { before: r(child.rssBefore / 1048576, 1), peak: r(Math.max(child.rssPeak, child.maxRss) / 1048576, 1) };
        report.resultMiB = r(child.resultBytes / 1048576, 1);
      }
      const poppler = hasPdftotext ? await pdftotextMs(file) : null;
      report.sizes.push({
        pages: n,
        fileMiB: r(bytes.length / 1048576, 2),
        guardedMs: r(ms, 0),
        guardedMsPerPage: r(ms / n, 3),
        pdftotextMsPerPage: poppler === null ? null : r(poppler / n, 3),
      });
    }
    const first = report.sizes[0]!;
    const last = report.sizes[report.sizes.length - 1]!;
    report.linearity = first.guardedMsPerPage && last.guardedMsPerPage ? r(last.guardedMsPerPage / first.guardedMsPerPage, 2) : null;

    progress(`big documents: a ${overLimitPages}-page PDF against the page limit of ${maxPages}`);
    let t = performance.now();
    const huge = manyPagesPdf(overLimitPages);
    report.overLimit.generateMs = r(performance.now() - t, 0);
    t = performance.now();
    try {
      await parsePdf(huge, { maxPages });
    } catch (error) {
      report.overLimit.code = error instanceof PdfRejectedError ? error.code : `error: ${String(error)}`;
    }
    report.overLimit.refusedMs = r(performance.now() - t, 0);
    return report;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * A PDF of `pages` pages that all draw one shared content stream, written by
 * hand: pdf-lib needs most of a minute for 10,000 pages, this a few milliseconds.
 * A real file all the same (a page tree, an xref table): pdf.js opens it as any other.
 */
export function manyPagesPdf(pages: number): Uint8Array {
  const objects: string[] = [];
  const firstPage = 5;
  const kids = Array.from({ length: pages }, (_, i) => `${firstPage + i} 0 R`).join(' ');
  const content = 'BT /F1 12 Tf 72 760 Td (One of many pages) Tj ET';
  objects.push('<< /Type /Catalog /Pages 2 0 R >>');
  objects.push(`<< /Type /Pages /Count ${pages} /Kids [${kids}] >>`);
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  objects.push(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  for (let i = 0; i < pages; i++) {
    objects.push('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>');
  }
  let out = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(out);
}
