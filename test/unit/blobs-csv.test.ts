import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { rechunk } from '../../src/db/blobs.ts';
import { escapeCsvCell, toCsv, toJsonl } from '../../src/exports/writers.ts';
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

describe('CSV for spreadsheets', () => {
  it('starts with a UTF-8 byte order mark on request (once, before the header), keeps UTF-8 text exact', async () => {
    const data = [{ vendor: 'Präzisionstechnik GmbH', total: '1190.00' }];
    const chunks: Buffer[] = [];
    for await (const chunk of toCsv(rows(data), ['vendor', 'total'], { bom: true })) chunks.push(Buffer.from(chunk as Buffer | string));
    const withBom = Buffer.concat(chunks);
    expect([...withBom.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(withBom.subarray(3).toString('utf8')).toBe('vendor,total\nPräzisionstechnik GmbH,1190.00\n');
    const without = await text(toCsv(rows(data), ['vendor', 'total']));
    expect(without.charCodeAt(0)).toBe('v'.charCodeAt(0));
  });

  it('quotes commas, quotes and line breaks, and writes list cells through their format, guarded too', async () => {
    const data = [
      { name: 'Müller, Schmidt & "Partner"', parties: [{ name: '=EVIL()', role: null }, { name: 'Globex', role: 'Buyer' }], note: 'line 1\nline 2' },
    ];
    const cells = { parties: (v: unknown) => (v as { name: string; role: string | null }[]).map((p) => (p.role ? `${p.name} (${p.role})` : p.name)).join('; ') };
    expect(await text(toCsv(rows(data), ['name', 'parties', 'note'], { cells }))).toBe(
      `name,parties,note\n"Müller, Schmidt & ""Partner""",'=EVIL(); Globex (Buyer),"line 1\nline 2"\n`,
    );
    // Without a format, an object is written as JSON.
    expect(await text(toCsv(rows([{ term: { count: 12, unit: 'months' } }]), ['term']))).toBe('term\n"{""count"":12,""unit"":""months""}"\n');
  });

  it('JSON Lines keeps the columns, in order, with lists as lists', async () => {
    const data = [{ b: 2, a: [1, 2], hidden: 'x' }];
    expect(await text(toJsonl(rows(data), ['a', 'b']))).toBe('{"a":[1,2],"b":2}\n');
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
