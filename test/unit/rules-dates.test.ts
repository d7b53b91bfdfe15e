import { describe, expect, it } from 'vitest';
import { detectDateOrder, findDates, parseDate } from '../../src/extraction/rules/dates.ts';

describe('parseDate', () => {
  it.each([
    ['2024-03-01', '2024-03-01'],
    ['01/03/2024', '2024-03-01'],
    ['01.03.2024', '2024-03-01'],
    ['1-3-2024', '2024-03-01'],
    ['March 1, 2024', '2024-03-01'],
    ['Mar. 1, 2024', '2024-03-01'],
    ['1st March 2024', '2024-03-01'],
    ['1st day of March, 2024', '2024-03-01'],
    ['1 mars 2024', '2024-03-01'],
    ['1er mars 2024', '2024-03-01'],
    ['02 Juillet 2015', '2015-07-02'],
    ['1. März 2024', '2024-03-01'],
    ['7. Mai 2014', '2014-05-07'],
    ['1 maart 2024', '2024-03-01'],
    ['19 april 2014', '2014-04-19'],
    ['August 3 , 2014', '2014-08-03'],
    ['15 déc. 2023', '2023-12-15'],
    ['01.05.14', '2014-05-01'],
    ['13/02/2024', '2024-02-13'],
    ['02/13/2024', '2024-02-13'],
  ])('%s -> %s', (input, expected) => {
    expect(parseDate(input)).toBe(expected);
  });

  it('uses the requested order only for ambiguous numeric dates', () => {
    expect(parseDate('03/04/2024', { order: 'dmy' })).toBe('2024-04-03');
    expect(parseDate('03/04/2024', { order: 'mdy' })).toBe('2024-03-04');
    // '.' is day-first whatever the order.
    expect(parseDate('03.04.2024', { order: 'mdy' })).toBe('2024-04-03');
    // unambiguous dates ignore the order
    expect(parseDate('25/12/2024', { order: 'mdy' })).toBe('2024-12-25');
  });

  it.each(['garbage', '', '31/02/2024', '2024-13-01', '32.01.2024', 'March 32, 2024', '12345', 'Total 12.50', '1 2 3'])(
    'returns null for %j',
    (input) => {
      expect(parseDate(input)).toBeNull();
    },
  );

  it('flags ambiguous numeric dates', () => {
    const [d] = findDates('Date: 03/04/2024');
    expect(d?.ambiguous).toBe(true);
    expect(findDates('Date: 13/04/2024')[0]?.ambiguous).toBe(false);
    expect(findDates('Datum: 03.04.2024')[0]?.ambiguous).toBe(false);
  });

  it('finds several dates in running text with positions', () => {
    const text = 'Invoice Date: 20-10-2015 and due on November 3, 2015.';
    const ds = findDates(text);
    expect(ds.map((d) => d.iso)).toEqual(['2015-10-20', '2015-11-03']);
    for (const d of ds) expect(text.slice(d.index, d.index + d.raw.length)).toBe(d.raw);
  });
});

describe('detectDateOrder', () => {
  it('follows unambiguous dates in the document', () => {
    expect(detectDateOrder('Order 03/20/2023, due 04/04/2023')).toBe('mdy');
    expect(detectDateOrder('Commande 20/03/2023, échéance 04/04/2023')).toBe('dmy');
  });
  it('falls back to locale cues', () => {
    expect(detectDateOrder('Scranton PA 18503 United States, total $ 12.00, 03/04/2023')).toBe('mdy');
    expect(detectDateOrder('Totaal € 12,00 op 03/04/2023')).toBe('dmy');
  });
});
