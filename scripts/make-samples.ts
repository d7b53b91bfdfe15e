/**
 * Generates the sample documents in samples/: three invoices (English/USD,
 * German/EUR, Dutch/EUR) and two contracts (mutual NDA, master services
 * agreement). All companies, people, addresses and bank accounts are fictional.
 *
 *   node scripts/make-samples.ts [outDir]
 *
 * Output is byte-for-byte deterministic (fixed dates, fixed metadata), so
 * re-running it leaves `git status` clean. Amounts are computed here in integer
 * cents and the script asserts the arithmetic; IBANs get real ISO 13616 check
 * digits, VAT numbers real check digits.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PDFDocument, type PDFFont, type PDFPage, StandardFonts, rgb } from 'pdf-lib';

const OUT_DIR = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '..', 'samples'));
const FIXED_DATE = new Date('2024-06-01T09:00:00Z');
const A4: [number, number] = [595.28, 841.89];
const MARGIN = 56;

// ---------------------------------------------------------------- identifiers

/** ISO 13616 IBAN: computes the two check digits for a country code and BBAN. */
function iban(country: string, bban: string): string {
  const digits = (s: string): string => [...s.toUpperCase()].map((c) => (/[A-Z]/.test(c) ? String(c.charCodeAt(0) - 55) : c)).join('');
  const check = 98 - mod97(digits(`${bban}${country}00`));
  return `${country}${String(check).padStart(2, '0')}${bban}`;
}

function isValidIban(value: string): boolean {
  const s = value.replace(/\s+/g, '').toUpperCase();
  const rearranged = s.slice(4) + s.slice(0, 4);
  const digits = [...rearranged].map((c) => (/[A-Z]/.test(c) ? String(c.charCodeAt(0) - 55) : c)).join('');
  return mod97(digits) === 1;
}

function mod97(digits: string): number {
  let r = 0;
  for (const d of digits) r = (r * 10 + Number(d)) % 97;
  return r;
}

const groupIban = (s: string): string => s.replace(/(.{4})/g, '$1 ').trim();

/** German USt-IdNr.: DE + 8 digits + ISO 7064 MOD 11,10 check digit. */
function germanVatId(eightDigits: string): string {
  let product = 10;
  for (const d of eightDigits) {
    let sum = (Number(d) + product) % 10;
    if (sum === 0) sum = 10;
    product = (2 * sum) % 11;
  }
  const check = (11 - product) % 10;
  return `DE${eightDigits}${check}`;
}

/** Dutch BTW number (legal entity): NL + 9 digits passing the weighted mod-11 test + B01. */
function dutchVatId(eightDigits: string): string {
  const weights = [9, 8, 7, 6, 5, 4, 3, 2];
  const sum = [...eightDigits].reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
  const check = sum % 11;
  if (check === 10) throw new Error(`no valid check digit for ${eightDigits}; pick other digits`);
  return `NL${eightDigits}${check}B01`;
}

// --------------------------------------------------------------------- money

/** Tax on an amount in cents at a percentage rate (≤ 3 decimals), rounded half-up to whole cents. */
function taxCents(baseCents: number, ratePercent: number): number {
  // ratePercent has at most 3 decimals: work in integers to avoid float drift.
  const rateMilli = Math.round(ratePercent * 1000); // 8.875% → 8875
  return Math.floor((baseCents * rateMilli + 50_000) / 100_000);
}

function formatMoney(cents: number, style: 'en' | 'de' | 'nl'): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const units = Math.floor(abs / 100).toString();
  const frac = String(abs % 100).padStart(2, '0');
  const group = style === 'en' ? ',' : '.';
  const decimal = style === 'en' ? '.' : ',';
  return `${sign}${units.replace(/\B(?=(\d{3})+(?!\d))/g, group)}${decimal}${frac}`;
}

function assertEqual(actual: number, expected: number, what: string): void {
  if (actual !== expected) throw new Error(`${what}: computed ${actual}, expected ${expected}`);
}

// -------------------------------------------------------------------- layout

interface Fonts {
  regular: PDFFont;
  bold: PDFFont;
  italic: PDFFont;
}

/** A tiny flowing-text writer over pdf-lib: top-down cursor, word wrap, page breaks. */
interface Writer {
  doc: PDFDocument;
  fonts: Fonts;
  page: PDFPage;
  y: number;
}

async function newWriter(meta: { title: string; author: string; subject: string; keywords: string[] }): Promise<Writer> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(meta.title);
  doc.setAuthor(meta.author);
  doc.setSubject(meta.subject);
  doc.setKeywords(meta.keywords);
  doc.setCreator('docroute scripts/make-samples.ts');
  doc.setProducer('pdf-lib');
  doc.setLanguage(meta.keywords.includes('de') ? 'de-DE' : meta.keywords.includes('nl') ? 'nl-NL' : 'en-US');
  doc.setCreationDate(FIXED_DATE);
  doc.setModificationDate(FIXED_DATE);
  const fonts = {
    regular: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
    italic: await doc.embedFont(StandardFonts.HelveticaOblique),
  };
  const page = doc.addPage(A4);
  return { doc, fonts, page, y: A4[1] - MARGIN };
}

interface TextOptions {
  size?: number;
  font?: keyof Fonts;
  x?: number;
  /** Right-align the text so it ends at this x. */
  rightAt?: number;
  color?: [number, number, number];
}

function ensureSpace(w: Writer, height: number): void {
  if (w.y - height < MARGIN + 20) {
    w.page = w.doc.addPage(A4);
    w.y = A4[1] - MARGIN;
  }
}

/** Draws one line at the cursor without moving it. */
function put(w: Writer, text: string, o: TextOptions = {}): void {
  const size = o.size ?? 10;
  const font = w.fonts[o.font ?? 'regular'];
  const x = o.rightAt !== undefined ? o.rightAt - font.widthOfTextAtSize(text, size) : (o.x ?? MARGIN);
  w.page.drawText(text, { x, y: w.y, size, font, color: rgb(...(o.color ?? [0, 0, 0])) });
}

function line(w: Writer, text: string, o: TextOptions = {}): void {
  const size = o.size ?? 10;
  ensureSpace(w, size * 1.45);
  put(w, text, o);
  w.y -= size * 1.45;
}

function gap(w: Writer, points = 8): void {
  w.y -= points;
}

function rule(w: Writer): void {
  w.page.drawLine({
    start: { x: MARGIN, y: w.y + 4 },
    end: { x: A4[0] - MARGIN, y: w.y + 4 },
    thickness: 0.6,
    color: rgb(0.55, 0.55, 0.55),
  });
  w.y -= 8;
}

function wrap(font: PDFFont, text: string, size: number, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/)) {
    const candidate = current ? `${current} ${word}` : word;
    if (current && font.widthOfTextAtSize(candidate, size) > width) {
      lines.push(current);
      current = word;
    } else {
      current = candidate;
    }
  }
  if (current) lines.push(current);
  return lines;
}

function paragraph(w: Writer, text: string, o: TextOptions & { indent?: number } = {}): void {
  const size = o.size ?? 10;
  const font = w.fonts[o.font ?? 'regular'];
  const x = MARGIN + (o.indent ?? 0);
  for (const l of wrap(font, text, size, A4[0] - MARGIN - x)) line(w, l, { ...o, x });
  gap(w, size * 0.5);
}

function footer(w: Writer, label: (page: number, total: number) => string): void {
  const pages = w.doc.getPages();
  pages.forEach((page, i) => {
    const text = label(i + 1, pages.length);
    const size = 8;
    const width = w.fonts.regular.widthOfTextAtSize(text, size);
    page.drawText(text, { x: (A4[0] - width) / 2, y: MARGIN / 2, size, font: w.fonts.regular, color: rgb(0.4, 0.4, 0.4) });
  });
}

async function save(w: Writer, file: string): Promise<void> {
  const bytes = await w.doc.save({ useObjectStreams: true });
  writeFileSync(path.join(OUT_DIR, file), bytes);
  console.log(`samples/${file}  ${w.doc.getPageCount()} page(s), ${bytes.length} bytes`);
}

// ------------------------------------------------------------------ invoices

interface Item {
  description: string;
  quantity: number;
  unit?: string;
  unitCents: number;
  /** VAT/tax rate in percent, for invoices with several rates. */
  rate?: number;
}

const itemTotal = (i: Item): number => i.quantity * i.unitCents;

/** Draws an items table: description | qty | unit price | (rate) | amount. */
function itemsTable(
  w: Writer,
  items: readonly Item[],
  headers: { description: string; quantity: string; unitPrice: string; rate?: string; amount: string },
  style: 'en' | 'de' | 'nl',
): void {
  const right = A4[0] - MARGIN;
  const cols = { qty: 330, unit: 410, rate: 450, amount: right };
  put(w, headers.description, { font: 'bold' });
  put(w, headers.quantity, { font: 'bold', rightAt: cols.qty });
  put(w, headers.unitPrice, { font: 'bold', rightAt: headers.rate ? cols.unit - 10 : cols.unit + 20 });
  if (headers.rate) put(w, headers.rate, { font: 'bold', rightAt: cols.rate + 10 });
  put(w, headers.amount, { font: 'bold', rightAt: cols.amount });
  w.y -= 14;
  rule(w);
  for (const item of items) {
    ensureSpace(w, 15);
    put(w, item.description);
    put(w, `${item.quantity}${item.unit ? ` ${item.unit}` : ''}`, { rightAt: cols.qty });
    put(w, formatMoney(item.unitCents, style), { rightAt: headers.rate ? cols.unit - 10 : cols.unit + 20 });
    if (headers.rate && item.rate !== undefined) put(w, `${item.rate}%`, { rightAt: cols.rate + 10 });
    put(w, formatMoney(itemTotal(item), style), { rightAt: cols.amount });
    w.y -= 15;
  }
  rule(w);
}

function totalsLine(w: Writer, label: string, amount: string, bold = false): void {
  put(w, label, { x: 330, font: bold ? 'bold' : 'regular' });
  put(w, amount, { rightAt: A4[0] - MARGIN, font: bold ? 'bold' : 'regular' });
  w.y -= 15;
}

async function invoiceEnglishUsd(): Promise<void> {
  const items: Item[] = [
    { description: 'Data pipeline implementation (hours)', quantity: 42, unitCents: 16_500 },
    { description: 'Analytics platform licence, annual', quantity: 1, unitCents: 480_000 },
    { description: 'Training workshop, half day', quantity: 2, unitCents: 95_000 },
    { description: 'Managed cloud storage (TB-month)', quantity: 12, unitCents: 2_350 },
  ];
  const subtotal = items.reduce((s, i) => s + itemTotal(i), 0);
  const tax = taxCents(subtotal, 8.875);
  const total = subtotal + tax;
  assertEqual(subtotal, 1_391_200, 'USD subtotal');
  assertEqual(tax, 123_469, 'USD sales tax');
  assertEqual(total, 1_514_669, 'USD total');
  const account = iban('GB', 'HRBL40051212345678');
  if (!isValidIban(account)) throw new Error('bad IBAN');

  const w = await newWriter({
    title: 'Invoice HDS-2024-0417',
    author: 'Harborlight Data Systems, Inc.',
    subject: 'Invoice',
    keywords: ['invoice', 'en', 'USD'],
  });
  put(w, 'Harborlight Data Systems, Inc.', { size: 16, font: 'bold' });
  put(w, 'INVOICE', { size: 20, font: 'bold', rightAt: A4[0] - MARGIN, color: [0.1, 0.3, 0.55] });
  w.y -= 20;
  for (const l of ['1180 Larkspur Avenue, Suite 400', 'Brooklyn, NY 11201, USA', 'billing@harborlight.example', 'EIN 12-3456789'])
    line(w, l, { size: 9 });
  gap(w, 12);
  const metaX = 360;
  const metaTop = w.y;
  line(w, 'Bill to:', { font: 'bold' });
  for (const l of ['Quillfeather Publishing LLC', 'Attn: Accounts Payable', '72 Orchard Lane', 'Burlington, VT 05401, USA'])
    line(w, l);
  const afterBillTo = w.y;
  w.y = metaTop;
  for (const [k, v] of [
    ['Invoice number:', 'HDS-2024-0417'],
    ['Invoice date:', 'March 15, 2024'],
    ['Due date:', 'April 14, 2024'],
    ['Payment terms:', 'Net 30'],
    ['PO number:', 'QP-88213'],
    ['Currency:', 'USD'],
  ] as const) {
    put(w, k, { x: metaX, font: 'bold' });
    put(w, v, { rightAt: A4[0] - MARGIN });
    w.y -= 14.5;
  }
  w.y = Math.min(w.y, afterBillTo) - 16;
  itemsTable(w, items, { description: 'Description', quantity: 'Qty', unitPrice: 'Unit price', amount: 'Amount' }, 'en');
  totalsLine(w, 'Subtotal', formatMoney(subtotal, 'en'));
  totalsLine(w, 'Sales tax (8.875%)', formatMoney(tax, 'en'));
  totalsLine(w, 'Total due (USD)', `$${formatMoney(total, 'en')}`, true);
  gap(w, 20);
  line(w, 'Payment instructions', { font: 'bold' });
  line(w, 'International wire to our USD account:');
  line(w, `Bank: Harborside Trust Bank plc, London    IBAN: ${groupIban(account)}    BIC: HRBLGB2LXXX`);
  line(w, 'Please quote invoice number HDS-2024-0417 as the payment reference.');
  gap(w, 10);
  paragraph(
    w,
    'Late payments accrue interest at 1.0% per month from the due date. Questions about this invoice: billing@harborlight.example.',
    { size: 8, font: 'italic' },
  );
  footer(w, (p, n) => `Harborlight Data Systems, Inc. - Invoice HDS-2024-0417 - Page ${p} of ${n}`);
  await save(w, 'invoice-en-usd.pdf');
}

async function invoiceGermanEur(): Promise<void> {
  const items: Item[] = [
    { description: 'Drehteile Edelstahl, Zeichnung 4711-A', quantity: 250, unit: 'Stk', unitCents: 1_240 },
    { description: 'Frästeile Aluminium, Zeichnung 4712-C', quantity: 120, unit: 'Stk', unitCents: 2_785 },
    { description: 'Oberflächenbehandlung (Eloxieren)', quantity: 120, unit: 'Stk', unitCents: 315 },
    { description: 'Verpackung und Versand', quantity: 1, unit: 'psch.', unitCents: 14_500 },
  ];
  const net = items.reduce((s, i) => s + itemTotal(i), 0);
  const vat = taxCents(net, 19);
  const gross = net + vat;
  assertEqual(net, 696_500, 'EUR Nettobetrag');
  assertEqual(vat, 132_335, 'EUR USt');
  assertEqual(gross, 828_835, 'EUR Bruttobetrag');
  const account = iban('DE', '700123000004711815');
  if (!isValidIban(account)) throw new Error('bad IBAN');
  const vatId = germanVatId('81234567');

  const w = await newWriter({
    title: 'Rechnung RE-2024-00318',
    author: 'Lindenhof Präzisionstechnik GmbH',
    subject: 'Rechnung',
    keywords: ['invoice', 'de', 'EUR'],
  });
  line(w, 'Lindenhof Präzisionstechnik GmbH', { size: 16, font: 'bold' });
  line(w, 'Gewerbestraße 14 · 70565 Stuttgart · Deutschland', { size: 9 });
  line(w, `Tel. +49 711 5550 120 · rechnung@lindenhof-praezision.example · USt-IdNr. ${vatId}`, { size: 9 });
  gap(w, 18);
  const top = w.y;
  for (const l of ['Auenwald Maschinenbau AG', 'Einkauf / Kreditorenbuchhaltung', 'Industriering 7', '04319 Leipzig']) line(w, l);
  const afterAddress = w.y;
  w.y = top;
  for (const [k, v] of [
    ['Rechnungsnummer:', 'RE-2024-00318'],
    ['Rechnungsdatum:', '12.04.2024'],
    ['Leistungsdatum:', '08.04.2024'],
    ['Kundennummer:', 'K-10452'],
    ['Ihre Bestellung:', 'B-2024-1187'],
  ] as const) {
    put(w, k, { x: 330, font: 'bold' });
    put(w, v, { rightAt: A4[0] - MARGIN });
    w.y -= 14.5;
  }
  w.y = Math.min(w.y, afterAddress) - 16;
  line(w, 'Rechnung RE-2024-00318', { size: 14, font: 'bold' });
  paragraph(w, 'Sehr geehrte Damen und Herren, für unsere Lieferungen und Leistungen berechnen wir Ihnen:');
  itemsTable(w, items, { description: 'Bezeichnung', quantity: 'Menge', unitPrice: 'Einzelpreis €', amount: 'Gesamt €' }, 'de');
  totalsLine(w, 'Nettobetrag', `${formatMoney(net, 'de')} €`);
  totalsLine(w, 'zzgl. 19 % USt (MwSt.)', `${formatMoney(vat, 'de')} €`);
  totalsLine(w, 'Rechnungsbetrag', `${formatMoney(gross, 'de')} €`, true);
  gap(w, 16);
  paragraph(
    w,
    'Zahlbar innerhalb von 30 Tagen ohne Abzug bis zum 12.05.2024. Bitte geben Sie bei der Zahlung die Rechnungsnummer RE-2024-00318 an.',
  );
  line(w, `Bankverbindung: Neckartal Volksbank eG · IBAN ${groupIban(account)} · BIC NTVBDES1XXX`);
  gap(w, 16);
  paragraph(
    w,
    'Lindenhof Präzisionstechnik GmbH · Sitz: Stuttgart · Amtsgericht Stuttgart HRB 765432 · Geschäftsführerin: Dr. Katrin Vollmer',
    { size: 8, font: 'italic' },
  );
  footer(w, (p, n) => `Rechnung RE-2024-00318 · Seite ${p} von ${n}`);
  await save(w, 'rechnung-de-eur.pdf');
}

async function invoiceDutchEur(): Promise<void> {
  const items: Item[] = [
    { description: 'Tarwebloem type 550, zak 25 kg', quantity: 40, unitCents: 1_875, rate: 9 },
    { description: 'Roggebloem, zak 25 kg', quantity: 12, unitCents: 2_140, rate: 9 },
    { description: 'Bakpapier, doos 500 vel', quantity: 6, unitCents: 3_290, rate: 21 },
    { description: 'Huur deegkneder, juni 2024', quantity: 1, unitCents: 12_500, rate: 21 },
  ];
  const base = (rate: number): number => items.filter((i) => i.rate === rate).reduce((s, i) => s + itemTotal(i), 0);
  const net = items.reduce((s, i) => s + itemTotal(i), 0);
  const vat9 = taxCents(base(9), 9);
  const vat21 = taxCents(base(21), 21);
  const total = net + vat9 + vat21;
  assertEqual(net, 132_920, 'NL subtotaal');
  assertEqual(base(9), 100_680, 'NL grondslag 9%');
  assertEqual(base(21), 32_240, 'NL grondslag 21%');
  assertEqual(vat9, 9_061, 'NL BTW 9%');
  assertEqual(vat21, 6_770, 'NL BTW 21%');
  assertEqual(total, 148_751, 'NL totaal');
  const account = iban('NL', 'MOLN0417203958');
  if (!isValidIban(account)) throw new Error('bad IBAN');
  const vatId = dutchVatId('85512340');

  const w = await newWriter({
    title: 'Factuur 2024-0912',
    author: 'Molenwerf Groothandel B.V.',
    subject: 'Factuur',
    keywords: ['invoice', 'nl', 'EUR'],
  });
  put(w, 'Molenwerf Groothandel B.V.', { size: 16, font: 'bold' });
  put(w, 'FACTUUR', { size: 20, font: 'bold', rightAt: A4[0] - MARGIN, color: [0.45, 0.25, 0.1] });
  w.y -= 20;
  for (const l of ['Havenkade 88', '3011 XZ Rotterdam', `KvK 87654321 · BTW ${vatId}`]) line(w, l, { size: 9 });
  gap(w, 14);
  const top = w.y;
  line(w, 'Factuuradres:', { font: 'bold' });
  for (const l of ['Bakkerij De Gouden Korenschoof V.O.F.', 't.a.v. de administratie', 'Kerkplein 3', '3811 ZZ Amersfoort']) line(w, l);
  const afterAddress = w.y;
  w.y = top;
  for (const [k, v] of [
    ['Factuurnummer:', '2024-0912'],
    ['Factuurdatum:', '03-06-2024'],
    ['Vervaldatum:', '17-06-2024'],
    ['Klantnummer:', 'DGK-0231'],
  ] as const) {
    put(w, k, { x: 340, font: 'bold' });
    put(w, v, { rightAt: A4[0] - MARGIN });
    w.y -= 14.5;
  }
  w.y = Math.min(w.y, afterAddress) - 16;
  itemsTable(
    w,
    items,
    { description: 'Omschrijving', quantity: 'Aantal', unitPrice: 'Prijs €', rate: 'BTW', amount: 'Bedrag €' },
    'nl',
  );
  totalsLine(w, 'Subtotaal excl. BTW', formatMoney(net, 'nl'));
  totalsLine(w, `BTW 9% over ${formatMoney(base(9), 'nl')}`, formatMoney(vat9, 'nl'));
  totalsLine(w, `BTW 21% over ${formatMoney(base(21), 'nl')}`, formatMoney(vat21, 'nl'));
  totalsLine(w, 'Totaal te betalen', `€ ${formatMoney(total, 'nl')}`, true);
  gap(w, 16);
  paragraph(
    w,
    'Wij verzoeken u het totaalbedrag binnen 14 dagen, uiterlijk op 17-06-2024, over te maken op onderstaande rekening, onder vermelding van factuurnummer 2024-0912.',
  );
  line(w, `IBAN ${groupIban(account)} · BIC MOLNNL2R · t.n.v. Molenwerf Groothandel B.V.`);
  footer(w, (p, n) => `Molenwerf Groothandel B.V. · factuur 2024-0912 · pagina ${p} van ${n}`);
  await save(w, 'factuur-nl-eur.pdf');
}

// ----------------------------------------------------------------- contracts

function clause(w: Writer, heading: string, ...paragraphs: string[]): void {
  ensureSpace(w, 40);
  line(w, heading, { font: 'bold', size: 10.5 });
  for (const p of paragraphs) paragraph(w, p);
  gap(w, 2);
}

function signatureBlock(w: Writer, parties: readonly { name: string; signatory: string; title: string }[]): void {
  ensureSpace(w, 110);
  gap(w, 10);
  line(w, 'IN WITNESS WHEREOF, the parties have executed this Agreement as of the Effective Date.');
  gap(w, 14);
  const top = w.y;
  parties.forEach((party, i) => {
    w.y = top;
    const x = MARGIN + i * 250;
    line(w, `For ${party.name}`, { x, font: 'bold', size: 9 });
    gap(w, 22);
    line(w, '______________________________', { x });
    line(w, `Name: ${party.signatory}`, { x, size: 9 });
    line(w, `Title: ${party.title}`, { x, size: 9 });
  });
}

async function contractNda(): Promise<void> {
  const w = await newWriter({
    title: 'Mutual Non-Disclosure Agreement - Brightwater Robotics / Kestrel Biolabs',
    author: 'Brightwater Robotics Ltd',
    subject: 'Contract',
    keywords: ['contract', 'nda', 'en'],
  });
  line(w, 'MUTUAL NON-DISCLOSURE AGREEMENT', { size: 15, font: 'bold' });
  gap(w, 6);
  paragraph(
    w,
    'This Mutual Non-Disclosure Agreement (the "Agreement") is entered into as of 1 July 2024 (the "Effective Date") by and between:',
  );
  paragraph(
    w,
    '(1) Brightwater Robotics Ltd, a company incorporated in England and Wales under company number 09876543, whose registered office is at 14 Tanner\'s Yard, Bristol BS1 9XX, United Kingdom ("Brightwater"); and',
    { indent: 12 },
  );
  paragraph(
    w,
    '(2) Kestrel Biolabs GmbH, a company registered with the local court of Mannheim under HRB 998877, whose registered office is at Am Sonnenhang 5, 69120 Heidelberg, Germany ("Kestrel"),',
    { indent: 12 },
  );
  paragraph(w, 'each a "Party" and together the "Parties".');
  clause(
    w,
    '1. Purpose',
    'The Parties wish to exchange information for the purpose of evaluating a possible collaboration on automated sample handling for laboratory robotics (the "Purpose").',
  );
  clause(
    w,
    '2. Confidential Information',
    '"Confidential Information" means all technical, commercial and financial information disclosed by one Party (the "Discloser") to the other (the "Recipient") in connection with the Purpose, whether in writing, orally or by inspection, that is marked as confidential or would reasonably be understood to be confidential. It does not include information that is or becomes public through no fault of the Recipient, was lawfully known to the Recipient before disclosure, is independently developed, or is received from a third party without a duty of confidence.',
  );
  clause(
    w,
    '3. Obligations',
    'The Recipient shall use the Confidential Information only for the Purpose, keep it secret using at least reasonable care, and disclose it only to its employees and professional advisers who need to know it for the Purpose and are bound by obligations of confidence no less protective than this Agreement.',
  );
  clause(
    w,
    '4. Term and Termination',
    'This Agreement commences on the Effective Date and continues for a term of two (2) years, unless terminated earlier. Either Party may terminate this Agreement at any time by giving thirty (30) days\' written notice to the other Party. This Agreement does not renew automatically.',
    'The obligations in clause 3 survive expiry or termination for five (5) years.',
  );
  clause(
    w,
    '5. Return of Information',
    'On written request, and in any case on termination, the Recipient shall promptly return or destroy all Confidential Information of the Discloser, except copies retained under automatic back-up procedures or to comply with law.',
  );
  clause(
    w,
    '6. Notices',
    'Notices under this Agreement must be in writing and sent by courier or by email to the addresses above or to legal@brightwater-robotics.example and vertraege@kestrel-biolabs.example respectively.',
  );
  clause(
    w,
    '7. Governing Law and Jurisdiction',
    'This Agreement and any dispute arising out of it are governed by the laws of England and Wales. The courts of England and Wales have exclusive jurisdiction.',
  );
  signatureBlock(w, [
    { name: 'Brightwater Robotics Ltd', signatory: 'Olivia Marsh', title: 'Chief Executive Officer' },
    { name: 'Kestrel Biolabs GmbH', signatory: 'Dr. Jonas Ebert', title: 'Geschäftsführer' },
  ]);
  footer(w, (p, n) => `Mutual NDA - Brightwater / Kestrel - Page ${p} of ${n}`);
  await save(w, 'contract-nda.pdf');
}

async function contractServices(): Promise<void> {
  const monthlyFee = 750_000;
  const annualFee = 12 * monthlyFee;
  assertEqual(annualFee, 9_000_000, 'annual fee');
  const w = await newWriter({
    title: 'Master Services Agreement - Copperleaf Cloud Services / Tidewater Home Goods',
    author: 'Copperleaf Cloud Services, Inc.',
    subject: 'Contract',
    keywords: ['contract', 'services', 'en'],
  });
  line(w, 'MASTER SERVICES AGREEMENT', { size: 15, font: 'bold' });
  line(w, 'Agreement No. MSA-2025-014', { size: 9 });
  gap(w, 6);
  paragraph(
    w,
    'This Master Services Agreement (the "Agreement") is made and entered into effective as of January 15, 2025 (the "Effective Date") between Copperleaf Cloud Services, Inc., a Delaware corporation with offices at 2200 Meridian Parkway, Suite 150, Austin, TX 78758 ("Provider"), and Tidewater Home Goods, Inc., a Maine corporation with offices at 88 Harbor View Road, Portland, ME 04101 ("Customer").',
  );
  clause(
    w,
    '1. Services',
    'Provider shall provide managed hosting, 24x7 monitoring and incident response for Customer\'s e-commerce platform as described in Statement of Work No. 1 (the "Services"), with the service levels in Schedule A.',
  );
  clause(
    w,
    '2. Term',
    'This Agreement begins on the Effective Date and continues for an initial term of twelve (12) months (the "Initial Term").',
    'Thereafter, this Agreement shall automatically renew for successive renewal terms of twelve (12) months each (each a "Renewal Term"), unless either party gives the other written notice of non-renewal at least sixty (60) days before the end of the then-current term.',
  );
  clause(
    w,
    '3. Fees and Payment',
    `Customer shall pay Provider a fixed monthly fee of USD ${formatMoney(monthlyFee, 'en')} (USD ${formatMoney(annualFee, 'en')} per year), invoiced monthly in advance. Invoices are payable within thirty (30) days of the invoice date. Undisputed amounts not paid when due bear interest at 1.0% per month. Fees are exclusive of applicable taxes.`,
    'Provider may increase the fees for any Renewal Term by giving at least ninety (90) days\' written notice before that Renewal Term begins; any increase shall not exceed five percent (5%).',
  );
  clause(
    w,
    '4. Termination',
    'Either party may terminate this Agreement for convenience by giving ninety (90) days\' written notice to the other party. Either party may terminate this Agreement immediately on written notice if the other party materially breaches it and fails to cure the breach within thirty (30) days after receiving notice of it.',
  );
  clause(
    w,
    '5. Confidentiality',
    'Each party shall protect the other party\'s confidential information with at least the care it uses for its own, and for no less than three (3) years after termination.',
  );
  clause(
    w,
    '6. Limitation of Liability',
    'Except for breach of confidentiality or a party\'s indemnification obligations, each party\'s total liability under this Agreement shall not exceed the fees paid or payable by Customer in the twelve (12) months preceding the event giving rise to the claim.',
  );
  clause(
    w,
    '7. Notices',
    'All notices must be in writing and delivered by hand, by nationally recognised courier, or by email with confirmation of receipt, to the addresses set out above (Provider: legal@copperleaf-cloud.example; Customer: contracts@tidewater-home.example).',
  );
  clause(
    w,
    '8. Governing Law',
    'This Agreement is governed by the laws of the State of Texas, without regard to its conflict of laws rules. The state and federal courts located in Travis County, Texas, have exclusive jurisdiction.',
  );
  clause(
    w,
    '9. Entire Agreement',
    'This Agreement, together with its Schedules and Statements of Work, is the entire agreement between the parties about its subject matter and supersedes all prior proposals and understandings. Amendments must be in writing and signed by both parties.',
  );
  signatureBlock(w, [
    { name: 'Copperleaf Cloud Services, Inc.', signatory: 'Marcus Delgado', title: 'VP, Customer Operations' },
    { name: 'Tidewater Home Goods, Inc.', signatory: 'Hannah Okafor', title: 'Chief Financial Officer' },
  ]);
  footer(w, (p, n) => `MSA-2025-014 - Copperleaf / Tidewater - Page ${p} of ${n}`);
  await save(w, 'contract-services.pdf');
}

mkdirSync(OUT_DIR, { recursive: true });
await invoiceEnglishUsd();
await invoiceGermanEur();
await invoiceDutchEur();
await contractNda();
await contractServices();
