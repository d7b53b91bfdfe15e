import { afterEach, describe, expect, it } from 'vitest';
import { originalsInMemory } from '../../src/pdf/pdf-threads.ts';

/** Whether a promise has settled by the time pending callbacks have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setTimeout(r, 5));
  return done;
}

describe('originalsInMemory: files a worker holds for pdf.js at once', () => {
  afterEach(() => originalsInMemory.resize(2, 64 * 1024 * 1024));

  it('two small files together, a third waits for a thread slot', async () => {
    originalsInMemory.resize(2, 100);
    const a = await originalsInMemory.acquire(10);
    const b = await originalsInMemory.acquire(10);
    const c = originalsInMemory.acquire(10);
    expect(await settled(c)).toBe(false);
    a[Symbol.dispose]();
    expect(await settled(c)).toBe(true);
    b[Symbol.dispose]();
    (await c)[Symbol.dispose]();
  });

  it('two big files that together exceed the budget run one after the other', async () => {
    originalsInMemory.resize(2, 100);
    const first = await originalsInMemory.acquire(60);
    const second = originalsInMemory.acquire(60);
    expect(await settled(second)).toBe(false);
    first[Symbol.dispose]();
    expect(await settled(second)).toBe(true);
    (await second)[Symbol.dispose]();
  });

  it('a file bigger than the whole budget still runs, alone', async () => {
    originalsInMemory.resize(2, 100);
    const huge = await originalsInMemory.acquire(500);
    const small = originalsInMemory.acquire(1);
    expect(await settled(small)).toBe(false);
    huge[Symbol.dispose]();
    huge[Symbol.dispose](); // disposing twice releases once
    const s = await small;
    const other = await originalsInMemory.acquire(1); // one slot left: the double dispose freed nothing extra
    const third = originalsInMemory.acquire(1);
    expect(await settled(third)).toBe(false);
    s[Symbol.dispose]();
    other[Symbol.dispose]();
    (await third)[Symbol.dispose]();
  });

  it('waiters are served in order: a big file is not overtaken by later small ones', async () => {
    originalsInMemory.resize(2, 100);
    const a = await originalsInMemory.acquire(50);
    const big = originalsInMemory.acquire(80);
    const small = originalsInMemory.acquire(10);
    expect(await settled(big)).toBe(false);
    expect(await settled(small)).toBe(false);
    a[Symbol.dispose]();
    expect(await settled(big)).toBe(true);
    (await big)[Symbol.dispose]();
    (await small)[Symbol.dispose]();
  });
});
