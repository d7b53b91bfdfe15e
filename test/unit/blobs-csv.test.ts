import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { rechunk } from '../../src/db/blobs.ts';
import { escapeCsvCell, toCsv } from '../../src/exports/writers.ts';
import { sniffContent } from '../../src/pdf/sniff.ts';

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

async function* rows<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

describe('CSV export guards against formula injection', () => {
  it('prefixes cells starting with = + - @ tab or CR with a quote; leaves numbers and plain text alone', () => {
    expect(escapeCsvCell('=HYPERLINK("http://evil","click")')).toBe(`'=HYPERLINK("http://evil","click")`);
    expect(escapeCsvCell('@SUM(A1)')).toBe(`'@SUM(A1)`);
    expect(escapeCsvCell('+1+2')).toBe(`'+1+2`);
    expect(escapeCsvCell('-2+3')).toBe(`'-2+3`);
    expect(escapeCsvCell('\tcmd')).toBe(`'\tcmd`);
    expect(escapeCsvCell('\rcmd')).toBe(`'\rcmd`);
    expect(escapeCsvCell('-12.50')).toBe('-12.50');
    expect(escapeCsvCell('+7')).toBe('+7');
    expect(escapeCsvCell('ACME = best')).toBe('ACME = best');
    expect(escapeCsvCell('')).toBe('');
  });

  it('toCsv escapes by default and writes cells raw on request', async () => {
    const data = [{ vendor: '=HYPERLINK("x")', total: '-5.00', paid: false }];
    const cols = ['vendor', 'total', 'paid'] as const;
    expect(await text(toCsv(rows(data), cols))).toBe(`vendor,total,paid\n"'=HYPERLINK(""x"")",-5.00,false\n`);
    expect(await text(toCsv(rows(data), cols, { raw: true }))).toBe(`vendor,total,paid\n"=HYPERLINK(""x"")",-5.00,false\n`);
  });
});

describe('rechunk', () => {
  it('regroups pieces of any size into chunks of exactly the size (the last shorter), bytes unchanged', async () => {
    const source = Buffer.from(Array.from({ length: 2500 }, (_, i) => i % 251));
    const pieces = [source.subarray(0, 7), source.subarray(7, 1500), source.subarray(1500, 1501), source.subarray(1501)];
    const chunks: Buffer[] = [];
    for await (const c of rechunk(rows(pieces), 1000)) chunks.push(c);
    expect(chunks.map((c) => c.byteLength)).toEqual([1000, 1000, 500]);
    expect(Buffer.concat(chunks).equals(source)).toBe(true);
  });
});

describe('sniffContent', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it('PDF by its first (non-blank) bytes, XML by its prolog; polyglots and others refused', () => {
    expect(sniffContent(enc('%PDF-1.7\n'))).toEqual({ kind: 'pdf' });
    expect(sniffContent(enc('\n  %PDF-1.4\n'))).toEqual({ kind: 'pdf' });
    expect(sniffContent(enc('\uFEFF<?xml version="1.0"?><Invoice/>'))).toEqual({ kind: 'xml' });
    expect(sniffContent(enc('  <?xml version="1.0"?><Invoice/>'))).toEqual({ kind: 'xml' });
    expect(sniffContent(new Uint8Array(0))).toMatchObject({ kind: 'refused', code: 'empty_file' });
    const zipFirst = new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...enc('junk %PDF-1.7\n')]);
    expect(sniffContent(zipFirst)).toMatchObject({ kind: 'refused', code: 'not_a_pdf', message: expect.stringMatching(/starts as a ZIP archive .* at byte 9/) });
    expect(sniffContent(enc('<html>%PDF-1.7'))).toMatchObject({ kind: 'refused', code: 'not_a_pdf' });
    expect(sniffContent(enc('<Invoice/>'))).toMatchObject({ kind: 'refused', code: 'not_a_pdf' });
  });
});
