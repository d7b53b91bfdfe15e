/**
 * One guarded parse of a big PDF in a process of its own, for the benchmark's
 * big-document figures (scripts/lib/bench-parse.ts): the process's RSS is then
 * that of a worker doing the parse (main thread + the pooled pdf.js thread),
 * not of the benchmark. Prints one JSON line.
 *
 *   node scripts/lib/big-parse-child.ts FILE MAX_PAGES
 */
import { readFileSync } from 'node:fs';
import { parsePdf } from '../../src/pdf/parse-pdf.ts';
import { closePdfThreads } from '../../src/pdf/pdf-threads.ts';

const [file, maxPagesArg] = process.argv.slice(2);
if (!file || !maxPagesArg) throw new Error('usage: big-parse-child.ts FILE MAX_PAGES');
const bytes = new Uint8Array(readFileSync(file));
const limits = { maxPages: Number(maxPagesArg) };
const rssBefore = process.memoryUsage().rss;
let rssPeak = rssBefore;
const timer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 10);
// First parse on a fresh thread (starting it and loading pdf.js included), then one on the warm thread.
let t = performance.now();
await parsePdf(bytes, limits);
const coldMs = performance.now() - t;
t = performance.now();
const parsed = await parsePdf(bytes, limits);
const warmMs = performance.now() - t;
clearInterval(timer);
rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
const resultBytes = Buffer.byteLength(JSON.stringify(parsed));
await closePdfThreads();
process.stdout.write(
  JSON.stringify({ pageCount: parsed.pageCount, coldMs, warmMs, rssBefore, rssPeak, maxRss: process.resourceUsage().maxRSS * 1024, resultBytes }) + '\n',
);
