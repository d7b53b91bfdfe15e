/**
 * PDFium (compiled to WebAssembly, @embedpdf/pdfium: MIT wrapper, PDFium itself
 * BSD-3-Clause) doing the work docroute's parse does with pdf.js: per page the
 * text, the text runs with their boxes (evidence boxes need them) and, for
 * low-text pages, whether the page paints a picture; and rendering a page.
 * The benchmark measures it beside pdf.js (scripts/bench.ts, "engines"); the
 * product parses with pdf.js (see README, Benchmarks, for the figures that
 * decided it). Runs on the calling thread.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { crc32, deflateSync } from 'node:zlib';
import { init, type WrappedPdfiumModule } from '@embedpdf/pdfium';
import { MIN_TEXT_CHARS, MIN_PATHS_FOR_VECTOR_CONTENT } from '../../src/pdf/extract-pdf.ts';
import { normalizePageText, visibleCharCount } from '../../src/pdf/normalize-text.ts';
import type { TextItem } from '../../src/pdf/text-items.ts';

export interface PdfiumPage {
  pageNumber: number;
  text: string;
  imageOnly: boolean;
  size: { width: number; height: number };
  items: TextItem[];
}

// PDFium page object types (fpdf_edit.h).
const OBJ_PATH = 2;
const OBJ_IMAGE = 3;
const FPDF_ERR_PASSWORD = 4;

export async function openPdfium(): Promise<PdfiumEngine> {
  const require = createRequire(import.meta.url);
  const wasmBinary = readFileSync(require.resolve('@embedpdf/pdfium/pdfium.wasm'));
  const lib = await init({ wasmBinary } as never);
  lib.PDFiumExt_Init();
  return new PdfiumEngine(lib);
}

/** The Emscripten heap views (not in the package's types). */
const heap = (lib: WrappedPdfiumModule) => lib.pdfium as unknown as { HEAPU8: Uint8Array; HEAPF64: Float64Array };

export class PdfiumEngine {
  private readonly lib: WrappedPdfiumModule;
  constructor(lib: WrappedPdfiumModule) {
    this.lib = lib;
  }

  /** Bytes of the WebAssembly memory (it grows, never shrinks). */
  get memoryBytes(): number {
    return heap(this.lib).HEAPU8.length;
  }

  private open<T>(bytes: Uint8Array, use: (doc: number) => T): T {
    const { lib } = this;
    const m = lib.pdfium;
    const ptr = m.wasmExports.malloc(bytes.length);
    try {
      heap(lib).HEAPU8.set(bytes, ptr);
      const doc = lib.FPDF_LoadMemDocument(ptr, bytes.length, '');
      if (!doc) {
        const code = lib.FPDF_GetLastError();
        throw new Error(code === FPDF_ERR_PASSWORD ? 'encrypted' : `PDFium cannot open the file (error ${code})`);
      }
      try {
        return use(doc);
      } finally {
        lib.FPDF_CloseDocument(doc);
      }
    } finally {
      m.wasmExports.free(ptr);
    }
  }

  /** Every page's text, text runs with boxes (0–1 from the top-left, as text-items.ts) and the image-only flag. */
  parse(bytes: Uint8Array): PdfiumPage[] {
    const { lib } = this;
    const m = lib.pdfium;
    return this.open(bytes, (doc) => {
      const pages: PdfiumPage[] = [];
      const box = m.wasmExports.malloc(32);
      try {
        const pageCount = lib.FPDF_GetPageCount(doc);
        for (let i = 0; i < pageCount; i++) {
          const page = lib.FPDF_LoadPage(doc, i);
          if (!page) throw new Error(`PDFium cannot read page ${i + 1}`);
          const textPage = lib.FPDFText_LoadPage(page);
          try {
            const width = lib.FPDF_GetPageWidthF(page);
            const height = lib.FPDF_GetPageHeightF(page);
            const count = Math.max(0, lib.FPDFText_CountChars(textPage));
            let raw = '';
            if (count > 0) {
              const buf = m.wasmExports.malloc((count + 1) * 2);
              const written = lib.FPDFText_GetText(textPage, 0, count, buf);
              raw = m.UTF16ToString(buf, Math.max(0, written - 1) * 2);
              m.wasmExports.free(buf);
            }
            // Runs: characters between blanks, boxed by the union of their char boxes.
            const items: TextItem[] = [];
            let run = '';
            let l = Infinity;
            let r = -Infinity;
            let b = Infinity;
            let t = -Infinity;
            const flush = () => {
              if (run.trim() !== '' && width > 0 && height > 0 && Number.isFinite(l)) {
                const clamp = (v: number) => Math.min(1, Math.max(0, v));
                const x = clamp(l / width);
                const y = clamp(1 - t / height);
                items.push({ str: run, x, y, w: clamp(r / width) - x, h: clamp(1 - b / height) - y });
              }
              run = '';
              l = b = Infinity;
              r = t = -Infinity;
            };
            for (let c = 0; c < count; c++) {
              const ch = String.fromCodePoint(lib.FPDFText_GetUnicode(textPage, c) || 32);
              if (/\s/.test(ch)) {
                flush();
                continue;
              }
              if (lib.FPDFText_GetCharBox(textPage, c, box, box + 8, box + 16, box + 24)) {
                const f = heap(lib).HEAPF64;
                l = Math.min(l, f[box / 8]!);
                r = Math.max(r, f[box / 8 + 1]!);
                b = Math.min(b, f[box / 8 + 2]!);
                t = Math.max(t, f[box / 8 + 3]!);
              }
              run += ch;
            }
            flush();
            const text = normalizePageText(raw);
            let imageOnly = false;
            if (visibleCharCount(text) < MIN_TEXT_CHARS) {
              let paths = 0;
              const objects = lib.FPDFPage_CountObjects(page);
              for (let o = 0; o < objects && !imageOnly; o++) {
                const type = lib.FPDFPageObj_GetType(lib.FPDFPage_GetObject(page, o));
                if (type === OBJ_IMAGE || (type === OBJ_PATH && ++paths >= MIN_PATHS_FOR_VECTOR_CONTENT)) imageOnly = true;
              }
            }
            pages.push({ pageNumber: i + 1, text, imageOnly, size: { width, height }, items });
          } finally {
            lib.FPDFText_ClosePage(textPage);
            lib.FPDF_ClosePage(page);
          }
        }
      } finally {
        m.wasmExports.free(box);
      }
      return pages;
    });
  }

  /** Renders page `pageNumber` with its long side `maxSide` pixels and encodes it as PNG; returns the PNG's size in bytes. */
  renderPng(bytes: Uint8Array, pageNumber: number, maxSide: number): number {
    const { lib } = this;
    return this.open(bytes, (doc) => {
      const page = lib.FPDF_LoadPage(doc, pageNumber - 1);
      if (!page) throw new Error(`PDFium cannot read page ${pageNumber}`);
      try {
        const w = lib.FPDF_GetPageWidthF(page);
        const h = lib.FPDF_GetPageHeightF(page);
        const scale = maxSide / Math.max(w, h);
        const pw = Math.max(1, Math.floor(w * scale));
        const ph = Math.max(1, Math.floor(h * scale));
        const bitmap = lib.FPDFBitmap_Create(pw, ph, 1);
        try {
          lib.FPDFBitmap_FillRect(bitmap, 0, 0, pw, ph, 0xffffffff);
          lib.FPDF_RenderPageBitmap(bitmap, page, 0, 0, pw, ph, 0, 0x10 /* FPDF_ANNOT */);
          const buffer = lib.FPDFBitmap_GetBuffer(bitmap);
          const stride = lib.FPDFBitmap_GetStride(bitmap);
          return encodePng(heap(lib).HEAPU8.subarray(buffer, buffer + stride * ph), pw, ph, stride).length;
        } finally {
          lib.FPDFBitmap_Destroy(bitmap);
        }
      } finally {
        lib.FPDF_ClosePage(page);
      }
    });
  }
}

/** PNG (8-bit RGB, filter "none" per row, zlib level 6) from PDFium's BGRA bitmap, as pdf.js's renderer hands back a PNG. */
function encodePng(bgra: Uint8Array, width: number, height: number, stride: number): Uint8Array {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0, o = 0; y < height; y++) {
    raw[o++] = 0;
    for (let x = 0; x < width; x++) {
      const i = y * stride + x * 4;
      raw[o++] = bgra[i + 2]!;
      raw[o++] = bgra[i + 1]!;
      raw[o++] = bgra[i]!;
    }
  }
  const chunk = (type: string, data: Uint8Array) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 6 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
