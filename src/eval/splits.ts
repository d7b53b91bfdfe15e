/**
 * Fixed, documented splits of a labelled set into a part the rules may be tuned
 * on ("tune") and a part they are only reported on ("held-out").
 *
 * A document's half is decided by its name alone: the first byte of
 * SHA-256(name) — even → tune, odd → held-out. It depends on no order, no
 * random seed and no other document, so adding a document never moves another
 * one, and anyone can recompute it (`sha256sum` of the file name as written in
 * the set, e.g. the Kleister `in.tsv` file name).
 */
import { createHash } from 'node:crypto';

export const SPLITS = ['all', 'tune', 'held-out'] as const;
export type Split = (typeof SPLITS)[number];

export function halfOf(name: string): 'tune' | 'held-out' {
  const first = createHash('sha256').update(name, 'utf8').digest()[0]!;
  return first % 2 === 0 ? 'tune' : 'held-out';
}

/** The documents of one half (`all`: every document). */
export function selectSplit<T extends { name: string }>(docs: readonly T[], split: Split): T[] {
  if (split === 'all') return [...docs];
  return docs.filter((d) => halfOf(d.name) === split);
}
