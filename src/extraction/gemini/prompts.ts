/**
 * The prompts, as versioned files in ./prompts, read once at module load.
 *
 * - `<kind>.v1.md` is the system instruction for that kind;
 * - `escalation.v1.md` is the wording added when a request carries focusFields
 *   ({{fields}} is replaced by the field list);
 * - `repair.v1.md` is the follow-up sent after an unusable answer
 *   ({{problem}} is replaced by what was wrong).
 *
 * A kind's prompt version is "<kind>.v1"; its hash is the sha256 (hex) of the
 * three files that shape the conversation, in that order, each followed by a
 * NUL byte: `<kind>.v1.md`, `escalation.v1.md`, `repair.v1.md`. Changing any
 * wording changes the hash stored with every extraction attempt. Bump the
 * version (new files) for deliberate prompt changes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ExtractableKind } from '../../../schemas/index.ts';

export const PROMPT_DIR = path.join(import.meta.dirname, 'prompts');
const VERSION = 'v1';

export interface KindPrompt {
  /** "invoice.v1" */
  version: string;
  /** sha256 hex of the kind file, the escalation file and the repair file (see above). */
  hash: string;
  /** The system instruction. */
  system: string;
  /** Template with {{fields}}. */
  escalation: string;
  /** Template with {{problem}}. */
  repair: string;
}

function read(name: string): string {
  const text = readFileSync(path.join(PROMPT_DIR, name), 'utf8');
  if (text.trim() === '') throw new Error(`prompt file ${name} is empty`);
  return text;
}

function load(kind: ExtractableKind): KindPrompt {
  const system = read(`${kind}.${VERSION}.md`);
  const escalation = read(`escalation.${VERSION}.md`);
  const repair = read(`repair.${VERSION}.md`);
  if (!escalation.includes('{{fields}}')) throw new Error(`escalation.${VERSION}.md lacks the {{fields}} placeholder`);
  if (!repair.includes('{{problem}}')) throw new Error(`repair.${VERSION}.md lacks the {{problem}} placeholder`);
  const hash = createHash('sha256');
  for (const part of [system, escalation, repair]) hash.update(part, 'utf8').update('\0');
  return { version: `${kind}.${VERSION}`, hash: hash.digest('hex'), system: system.trim(), escalation: escalation.trim(), repair: repair.trim() };
}

export const PROMPTS: Readonly<Record<ExtractableKind, KindPrompt>> = {
  invoice: load('invoice'),
  contract: load('contract'),
};

export function escalationText(prompt: KindPrompt, fields: readonly string[]): string {
  return prompt.escalation.replace('{{fields}}', fields.map((f) => `"${f}"`).join(', '));
}

export function repairText(prompt: KindPrompt, problem: string): string {
  return prompt.repair.replace('{{problem}}', problem);
}

/** The classification prompt (for scanned documents, which have no text to classify). */
export const CLASSIFY_PROMPT = (() => {
  const system = read(`classify.${VERSION}.md`);
  return { version: `classify.${VERSION}`, hash: createHash('sha256').update(system, 'utf8').digest('hex'), system: system.trim() };
})();

/** The second, independent reading of the required fields (second-reader.ts): short, values only. */
export const SECOND_READING_PROMPT = (() => {
  const system = read(`second-reading.${VERSION}.md`);
  return { version: `second-reading.${VERSION}`, hash: createHash('sha256').update(system, 'utf8').digest('hex'), system: system.trim() };
})();
