/**
 * Label usage: on how many documents of a set each invoice label fires. A rule
 * that fires on exactly one document is suspect (it may exist for that document
 * only); one that fires on none is dead weight. Each label definition's
 * top-level alternatives are counted separately ("booking id" and "document
 * number" are different labels even if they share an entry).
 */
import { INVOICE_LABELS, type LabelDef } from '../extraction/rules/labels.ts';

export interface LabelUsage {
  field: LabelDef['field'];
  strength: LabelDef['strength'];
  /** One top-level alternative of the label's regex source. */
  alternative: string;
  /** Names of the documents whose text it matches. */
  documents: string[];
}

/** Splits a regex source on its top-level `|` (outside groups and classes). */
export function topLevelAlternatives(source: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      out.push(source.slice(start, i));
      start = i + 1;
    }
  }
  out.push(source.slice(start));
  return out;
}

export function labelUsage(docs: readonly { name: string; text: string }[]): LabelUsage[] {
  const rows: LabelUsage[] = [];
  for (const def of INVOICE_LABELS) {
    for (const alternative of topLevelAlternatives(def.source)) {
      const re = new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternative})(?![\\p{L}])`, 'iu');
      rows.push({ field: def.field, strength: def.strength, alternative, documents: docs.filter((d) => re.test(d.text)).map((d) => d.name) });
    }
  }
  return rows;
}
