/**
 * Offline OCR with Tesseract (Debian's `tesseract-ocr` and its language packs),
 * run as a process with TSV output: words with their boxes, which become the
 * page's text layer in the same TextItem format pdf.js text gives
 * (src/pdf/text-items.ts), so rules, grounding and evidence boxes work on a
 * scan as on a born-digital page. Nothing is downloaded at run time: what is
 * not installed is reported as unavailable, with what to install.
 */
import { execFile, spawn } from 'node:child_process';
import type { TextItem } from '../pdf/text-items.ts';

export type OcrState = { available: true; languages: string[] } | { available: false; reason: string };

/** Languages read when installed (Tesseract codes); eng is required. */
export const OCR_LANGUAGES = ['eng', 'deu', 'fra', 'nld'] as const;
const INSTALL_HINT = 'apt-get install -y tesseract-ocr tesseract-ocr-deu tesseract-ocr-fra tesseract-ocr-nld';

export interface OcrWord {
  text: string;
  /** Box in pixels of the image. */
  left: number;
  top: number;
  width: number;
  height: number;
  /** Tesseract's word confidence, 0–100. */
  conf: number;
}

export interface OcrPageText {
  /** Lines in reading order (top to bottom, left to right within a line). */
  text: string;
  /** One item per word, page-relative (0–1 from the top-left). */
  items: TextItem[];
  /** Mean word confidence, 0–1 (0 when no word was read). */
  confidence: number;
}

let cached: Promise<OcrState> | null = null;

/** Whether Tesseract is installed and which of OCR_LANGUAGES it has (checked once per process). */
export function ocrState(binary = 'tesseract'): Promise<OcrState> {
  if (binary !== 'tesseract') return probe(binary);
  cached ??= probe(binary);
  return cached;
}

function probe(binary: string): Promise<OcrState> {
  return new Promise((resolve) => {
    execFile(binary, ['--list-langs'], { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        resolve({ available: false, reason: missing ? `tesseract is not installed (${INSTALL_HINT})` : `tesseract --list-langs failed: ${String(stderr || error.message).trim().slice(0, 200)}` });
        return;
      }
      const installed = new Set(`${stdout}\n${stderr}`.split('\n').map((l) => l.trim()));
      const languages = OCR_LANGUAGES.filter((l) => installed.has(l));
      if (!languages.includes('eng')) resolve({ available: false, reason: `tesseract has no English model (${INSTALL_HINT})` });
      else resolve({ available: true, languages });
    });
  });
}

/** Parses Tesseract's TSV output into words (level 5 rows with text). */
export function parseTsv(tsv: string): OcrWord[] {
  return parseTsvRows(tsv).filter((w) => w.text !== '');
}

/**
 * Regions Tesseract took for a word but read as nothing (level 5 rows with empty
 * text): a rule or a box, or text it segmented badly, e.g. an amount pressed
 * against a table's frame ("Total EUR | 34,73|" reads as "Total EUR" and a blank).
 */
export function unreadRegions(tsv: string): OcrWord[] {
  return parseTsvRows(tsv).filter((w) => w.text === '');
}

function parseTsvRows(tsv: string): OcrWord[] {
  const words: OcrWord[] = [];
  for (const line of tsv.split('\n').slice(1)) {
    const cols = line.split('\t');
    if (cols.length < 12 || cols[0] !== '5') continue;
    const text = cols.slice(11).join('\t').trim();
    const [left, top, width, height, conf] = cols.slice(6, 11).map(Number) as [number, number, number, number, number];
    if (![left, top, width, height].every(Number.isFinite)) continue;
    words.push({ text, left, top, width, height, conf: Number.isFinite(conf) ? conf : 0 });
  }
  return words;
}

/** Least confidence (0–100) of a word taken from the second reading into an unread region. */
export const RECOVERED_MIN_CONF = 80;

/**
 * Words of a second reading of the page (one uniform block, `--psm 6`, which
 * does not split a table row into a cell per block) that fill regions the first
 * reading left unread: the word's centre inside such a region, its box clear of
 * every word the first reading did read, and read with confidence ≥
 * RECOVERED_MIN_CONF (table rules read as "|" or "—" fall below it or outside).
 */
export function recoverUnread(read: readonly OcrWord[], unread: readonly OcrWord[], second: readonly OcrWord[]): OcrWord[] {
  const overlaps = (a: OcrWord, b: OcrWord) =>
    a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;
  const inside = (w: OcrWord, r: OcrWord) => {
    const cx = w.left + w.width / 2;
    const cy = w.top + w.height / 2;
    return cx >= r.left && cx <= r.left + r.width && cy >= r.top && cy <= r.top + r.height;
  };
  return second.filter((w) => w.conf >= RECOVERED_MIN_CONF && /\w/.test(w.text) && unread.some((r) => inside(w, r)) && !read.some((r) => overlaps(w, r)));
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;

/**
 * Words → lines → page text and items. A word joins a line when its vertical
 * centre lies within the line's height (rows of a table, read left to right,
 * as a PDF text layer gives them); lines are ordered top to bottom.
 */
export function layoutWords(words: readonly OcrWord[], imageWidth: number, imageHeight: number): OcrPageText {
  const sorted = [...words].sort((a, b) => a.top + a.height / 2 - (b.top + b.height / 2));
  const lines: { top: number; bottom: number; words: OcrWord[] }[] = [];
  for (const w of sorted) {
    const centre = w.top + w.height / 2;
    const line = lines.find((l) => centre >= l.top && centre <= l.bottom);
    if (line) {
      line.words.push(w);
      line.top = Math.min(line.top, w.top);
      line.bottom = Math.max(line.bottom, w.top + w.height);
    } else lines.push({ top: w.top, bottom: w.top + w.height, words: [w] });
  }
  lines.sort((a, b) => a.top - b.top);
  const items: TextItem[] = [];
  const textLines: string[] = [];
  for (const line of lines) {
    line.words.sort((a, b) => a.left - b.left);
    textLines.push(line.words.map((w) => w.text).join(' '));
    for (const w of line.words) {
      items.push({ str: w.text, x: round(w.left / imageWidth), y: round(w.top / imageHeight), w: round(w.width / imageWidth), h: round(w.height / imageHeight) });
    }
  }
  const confidence = words.length === 0 ? 0 : words.reduce((s, w) => s + Math.max(0, w.conf), 0) / words.length / 100;
  return { text: textLines.join('\n'), items, confidence };
}

/** Size of a PNG from its IHDR chunk. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  if (png.length < 24 || png[1] !== 0x50 || png[2] !== 0x4e || png[3] !== 0x47) throw new Error('not a PNG image');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * Reads one page image (PNG) with Tesseract. Rejects when Tesseract is unavailable or fails.
 * When the automatic page segmentation leaves regions unread, the page is read a
 * second time as one block and the words found in those regions are added
 * (recoverUnread): one more Tesseract run for such a page.
 */
export async function recognise(png: Uint8Array, options: { languages: readonly string[]; timeoutMs?: number; binary?: string; signal?: AbortSignal }): Promise<OcrPageText> {
  const { width, height } = pngSize(png);
  const first = await runTesseract(png, '3', options);
  const words = parseTsv(first);
  const unread = unreadRegions(first);
  if (unread.length > 0) words.push(...recoverUnread(words, unread, parseTsv(await runTesseract(png, '6', options))));
  return layoutWords(words, width, height);
}

function runTesseract(png: Uint8Array, psm: string, options: { languages: readonly string[]; timeoutMs?: number; binary?: string; signal?: AbortSignal }): Promise<string> {
  const args = ['stdin', 'stdout', '-l', options.languages.join('+'), '--psm', psm, 'tsv'];
  return new Promise<string>((resolve, reject) => {
    // One thread: pages are read one after another, and OpenMP threads on a shared machine only contend.
    const child = spawn(options.binary ?? 'tesseract', args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      signal: options.signal,
      timeout: options.timeoutMs ?? 600_000,
      env: { ...process.env, OMP_THREAD_LIMIT: '1' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.stdin.on('error', () => {}); // a dead child is reported by 'close'
    child.on('close', (code, sig) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`tesseract exited with ${sig ?? code}: ${Buffer.concat(err).toString('utf8').trim().slice(0, 300)}`));
    });
    child.stdin.end(png);
  });
}
