/**
 * The console's page images, the choice measured: pages rendered on the
 * server by the project's renderer and cached per page (what the console
 * does, src/console/page-images.ts), against pdf.js rendering the PDF in the
 * browser (pdfjs-dist, already a dependency, bundled by esbuild the way the
 * console's own script is). Both in headless Chromium (Debian's), on a few
 * dataset PDFs, in one run:
 *
 *   node scripts/bench-page-images.ts          (npm run bench:pages)
 *
 * For each file, the time to its first page drawn (an <img> decoded, or
 * pdf.js's render of page 1 into a canvas of the same size: long side 1400 px)
 * and the response bytes the server sent for it (counted by the server, so
 * what the browser's cache served counts 0). The console is a single page: a
 * clerk opens one document after another in the page already loaded, so:
 *   - server, first view: in an open page, the image asked for; the server
 *     renders it on demand (and caches it);
 *   - server, cached: the same, in another browser session, served from the cache;
 *   - pdf.js, first document: a fresh session loads the page, pdf.js's script
 *     and worker, then the PDF (time from navigation);
 *   - pdf.js, next documents: in an open page with pdf.js loaded and its worker
 *     running, the PDF fetched and rendered.
 * Then the ratios (medians over the files). Everything on 127.0.0.1.
 */
import { existsSync, promises as fs } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { BROWSER_BUNDLE } from '../src/console/assets.ts';
import { createPageImages, PAGE_PIXELS } from '../src/console/page-images.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DATASETS = path.resolve(ROOT, '..', 'shared', 'datasets');
const PDFJS = path.join(ROOT, 'node_modules', 'pdfjs-dist');
const CHROMIUM = process.env.DOCROUTE_CHROMIUM ?? '/usr/bin/chromium';

/** Opened first in each session, outside the table (first-use costs: JIT, worker start). */
const WARMUP = 'invoice2data/saeco.pdf';
/** One-page and multi-page invoices, NDAs, a hybrid e-invoice PDF. */
const FILES = [
  'invoice2data/AzureInterior.pdf',
  'invoice2data/coolblue1.pdf',
  'invoice2data/oyo.pdf',
  'invoice2data/AmazonWebServices.pdf',
  'kleister-nda-dev/documents/5eb2af4610325bb5c670033270aa0bf1.pdf',
  'kleister-nda-dev/documents/b20bcd63938e6e0ec5128ece060d9748.pdf',
  'einvoices/hybrid-pdf/EN16931_Einfach.pdf',
];

/**
 * The browser side of pdf.js: show(doc) opens the PDF, renders page 1 with its
 * long side at PAGE_PIXELS and resolves with the milliseconds it took; the
 * page's ?doc= is shown on load (window.__done: ms since navigation).
 */
const VIEWER = `
import * as pdfjs from 'pdfjs-dist';
pdfjs.GlobalWorkerOptions.workerSrc = '/pdfjs/pdf.worker.min.mjs';
const canvas = document.createElement('canvas');
document.body.append(canvas);
let shown = null;
window.show = async (doc) => {
  const start = performance.now();
  await shown?.destroy();
  shown = await pdfjs.getDocument({ url: '/docs/' + doc, standardFontDataUrl: '/pdfjs/standard_fonts/', cMapUrl: '/pdfjs/cmaps/', cMapPacked: true }).promise;
  const page = await shown.getPage(1);
  const base = page.getViewport({ scale: 1 });
  const viewport = page.getViewport({ scale: ${PAGE_PIXELS} / Math.max(base.width, base.height) });
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  await page.render({ canvas, canvasContext: canvas.getContext('2d'), viewport }).promise;
  return performance.now() - start;
};
await window.show(new URL(location.href).searchParams.get('doc'));
window.__done = performance.now();
`;

/** The server side: show(doc) sets the <img>'s source and resolves when it is decoded. */
const SERVER_PAGE = `<!doctype html><html><body><img id="p" alt="page 1"><script>
window.show = async (doc) => {
  const start = performance.now();
  const img = document.getElementById('p');
  img.src = '/pages/' + doc + '/1';
  await img.decode();
  return performance.now() - start;
};
window.__done = performance.now();
</script></body></html>`;

const PDFJS_PAGE = `<!doctype html><html><body><script type="module" src="/pdfjs/viewer.js"></script></body></html>`;

interface Measure {
  ms: number;
  bytes: number;
}

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  const files = FILES.filter((f) => existsSync(path.join(DATASETS, f)));
  if (files.length === 0) throw new Error(`no dataset PDFs under ${DATASETS}`);
  const ids = new Map(files.map((f, i) => [`d${i}`, f]));
  const pdfBytes = new Map<string, Buffer>();
  for (const [id, f] of ids) pdfBytes.set(id, await fs.readFile(path.join(DATASETS, f)));
  pdfBytes.set('w', await fs.readFile(path.join(DATASETS, WARMUP)));

  const esbuild = await import('esbuild');
  const bundle = await esbuild.build({ stdin: { contents: VIEWER, resolveDir: ROOT, loader: 'js' }, ...BROWSER_BUNDLE });
  const viewerJs = Buffer.from(bundle.outputFiles[0]!.contents);
  const workerJs = await fs.readFile(path.join(PDFJS, 'build', 'pdf.worker.min.mjs'));

  const images = createPageImages({ load: async (id) => pdfBytes.get(id) ?? null });
  let sent = 0;
  const send = (res: ServerResponse, type: string, body: Buffer | string, cache = 'private, max-age=86400, immutable') => {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    sent += data.length;
    res.writeHead(200, { 'content-type': type, 'content-length': data.length, 'cache-control': cache }).end(data);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if (p === '/server.html') return send(res, 'text/html', SERVER_PAGE, 'no-store');
    if (p === '/pdfjs.html') return send(res, 'text/html', PDFJS_PAGE, 'no-store');
    if (p === '/pdfjs/viewer.js') return send(res, 'text/javascript', viewerJs);
    if (p === '/pdfjs/pdf.worker.min.mjs') return send(res, 'text/javascript', workerJs);
    if ((m = /^\/pdfjs\/(standard_fonts|cmaps)\/([\w.-]+)$/.exec(p))) {
      const file = path.join(PDFJS, m[1]!, m[2]!);
      if (existsSync(file)) return send(res, 'application/octet-stream', await fs.readFile(file));
    }
    if ((m = /^\/docs\/(d\d+|w)$/.exec(p)) && pdfBytes.has(m[1]!)) return send(res, 'application/pdf', pdfBytes.get(m[1]!)!);
    if ((m = /^\/pages\/(d\d+|w)\/(\d+)$/.exec(p))) {
      const image = await images.get(m[1]!, Number(m[2]));
      if (image.ok) return send(res, 'image/png', image.png);
    }
    res.writeHead(404).end();
  };
  const server = createServer((req, res) => void handle(req, res).catch(() => res.writeHead(500).end()));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const b = browser;
    /**
     * A new browser session (empty cache). `open` loads a page and measures
     * until its first document is drawn; `show` measures the next document
     * shown in the page already open.
     */
    const session = async () => {
      const context = await b.newContext({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const open = async (url: string): Promise<Measure> => {
        sent = 0;
        await page.goto(base + url);
        const ms = await page.waitForFunction(() => (window as unknown as { __done?: number }).__done, undefined, { timeout: 60_000 }).then((h) => h.jsonValue() as Promise<number>);
        return { ms, bytes: sent };
      };
      const show = async (doc: string): Promise<Measure> => {
        sent = 0;
        const ms = await page.evaluate((d) => (window as unknown as { show(doc: string): Promise<number> }).show(d), doc);
        return { ms, bytes: sent };
      };
      return { open, show, close: () => context.close() };
    };

    const rows: { file: string; pdfKb: number; serverFirst: Measure; serverCached: Measure; pdfjsFirst: Measure; pdfjsNext: Measure }[] = [];
    // Each session starts on the warm-up file (outside the table): the page loaded, pdf.js's
    // worker running, the server's renderer used once, as after the clerk's first document.
    const warm = await session();
    await warm.open('/pdfjs.html?doc=w');
    await warm.close();
    const serverFirst = await session();
    const serverCached = await session();
    const pdfjsNext = await session();
    await serverFirst.open('/server.html');
    await serverFirst.show('w');
    await serverCached.open('/server.html');
    await pdfjsNext.open('/pdfjs.html?doc=w');
    for (const [id, file] of ids) {
      const fresh = await session();
      const row = {
        file,
        pdfKb: pdfBytes.get(id)!.length / 1024,
        serverFirst: await serverFirst.show(id),
        serverCached: await serverCached.show(id),
        pdfjsFirst: await fresh.open(`/pdfjs.html?doc=${id}`),
        pdfjsNext: await pdfjsNext.show(id),
      };
      await fresh.close();
      rows.push(row);
    }
    for (const s of [serverFirst, serverCached, pdfjsNext]) await s.close();

    const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
    const cell = (m: Measure) => `${m.ms.toFixed(0).padStart(5)} ms ${kb(m.bytes).padStart(8)}`;
    console.log(`page images, first page at ${PAGE_PIXELS} px long side, headless Chromium; time to first image, bytes sent`);
    console.log(['file'.padEnd(66), 'PDF'.padStart(8), 'server first view'.padStart(19), 'server cached'.padStart(19), 'pdf.js 1st doc'.padStart(19), 'pdf.js next doc'.padStart(19)].join(' '));
    for (const r of rows) {
      console.log(
        [r.file.padEnd(66), kb(r.pdfKb * 1024).padStart(8), cell(r.serverFirst), cell(r.serverCached), cell(r.pdfjsFirst), cell(r.pdfjsNext)].join(' '),
      );
    }
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      const mid = Math.floor(s.length / 2);
      return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
    };
    const med = (pick: (r: (typeof rows)[number]) => Measure) => ({ ms: median(rows.map((r) => pick(r).ms)), bytes: median(rows.map((r) => pick(r).bytes)) });
    const m = { sf: med((r) => r.serverFirst), sc: med((r) => r.serverCached), pf: med((r) => r.pdfjsFirst), pn: med((r) => r.pdfjsNext) };
    const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
    console.log(`\nmedians over ${rows.length} files: server first view ${cell(m.sf)}; server cached ${cell(m.sc)}; pdf.js first document ${cell(m.pf)}; pdf.js next documents ${cell(m.pn)}`);
    console.log(`pdf.js first document / server first view: time ${ratio(m.pf.ms, m.sf.ms)}, bytes ${ratio(m.pf.bytes, m.sf.bytes)}`);
    console.log(`pdf.js next documents / server first view: time ${ratio(m.pn.ms, m.sf.ms)}, bytes ${ratio(m.pn.bytes, m.sf.bytes)}`);
    console.log(`pdf.js next documents / server cached: time ${ratio(m.pn.ms, m.sc.ms)}, bytes ${ratio(m.pn.bytes, m.sc.bytes)}`);
    console.log(`server first view / server cached: time ${ratio(m.sf.ms, m.sc.ms)}`);
    console.log(`pdf.js in the browser adds no dependency (pdfjs-dist is one already): its script bundled ${kb(viewerJs.length)}, its worker ${kb(workerJs.length)}, once per browser cache`);
  } finally {
    await browser?.close();
    await new Promise((resolve) => server.close(resolve));
  }
}

await main();
