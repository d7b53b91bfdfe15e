import { XMLParser } from 'fast-xml-parser';

/**
 * Safe XML reading for e-invoices: XML that arrives from strangers.
 *
 * - No DTDs at all: a document type declaration (and with it every custom
 *   entity, the billion-laughs bomb, external entities/XXE) is refused before
 *   the parser sees the text. EN 16931 syntaxes never use one.
 * - Size and nesting depth are capped (the parser stops at `maxDepth` open tags).
 * - Well-formedness is checked by the parser (fast-xml-parser, validation on).
 *
 * The tree keeps namespace prefixes as written; `XmlNode` helpers match
 * elements by local name and build the element path of each value, which is
 * the evidence a value read from XML carries.
 */

export const XML_LIMITS = {
  /** An e-invoice is rarely above 1 MB; attachments embedded as base64 can be large. */
  maxBytes: 20 * 1024 * 1024,
  /** Deepest nesting of elements (UBL/CII invoices need about 10). */
  maxDepth: 64,
} as const;

/** Why an XML text was refused; `code` is stable, `message` is for people. */
export class XmlRefusedError extends Error {
  readonly code: 'too_large' | 'dtd' | 'malformed' | 'too_deep' | 'encoding';
  constructor(code: XmlRefusedError['code'], message: string) {
    super(message);
    this.name = 'XmlRefusedError';
    this.code = code;
  }
}

/** An element: its qualified name as written, its attributes, children and text, and its path. */
export interface XmlElement {
  /** Qualified name as written, e.g. "ram:ID". */
  name: string;
  /** Local name, e.g. "ID". */
  local: string;
  /** Namespace prefix as written ('' when none). */
  prefix: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text content of this element (not of its children), trimmed. */
  text: string;
  /** Absolute element path, e.g. "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:ID"; [n] (1-based) where a name repeats. */
  path: string;
}

/** Decodes XML bytes: a UTF-8/UTF-16 BOM, or the declared encoding (UTF-8 when none). */
export function decodeXml(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return new TextDecoder('utf-8').decode(bytes.subarray(3));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 200));
  const declared = /^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1]?.toLowerCase();
  const encoding = declared ?? 'utf-8';
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    throw new XmlRefusedError('encoding', `the XML is not valid ${encoding} text`);
  }
}

/** True when the text contains a document type declaration or an entity declaration. */
export function hasDtd(text: string): boolean {
  return /<!\s*(DOCTYPE|ENTITY)/i.test(text);
}

/**
 * Parses XML bytes into an element tree, refusing what is unsafe or malformed
 * (XmlRefusedError with a reason a person can act on).
 */
export function parseXml(bytes: Uint8Array, limits: { maxBytes?: number; maxDepth?: number } = {}): XmlElement {
  const maxBytes = limits.maxBytes ?? XML_LIMITS.maxBytes;
  const maxDepth = limits.maxDepth ?? XML_LIMITS.maxDepth;
  if (bytes.length > maxBytes) {
    throw new XmlRefusedError('too_large', `the XML is ${bytes.length} bytes; at most ${maxBytes} are read`);
  }
  const text = decodeXml(bytes);
  if (hasDtd(text)) {
    throw new XmlRefusedError(
      'dtd',
      'the XML declares a DTD or entities (<!DOCTYPE>/<!ENTITY>); refused, since e-invoices never need one and it can hide entity bombs or external-entity reads',
    );
  }
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    attributesGroupName: ':@',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    commentPropName: false,
    processEntities: { enabled: true, maxEntityCount: 0, maxTotalExpansions: 10_000 },
    maxNestedTags: maxDepth,
  });
  let ordered: unknown;
  try {
    ordered = parser.parse(text, true);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/nest/i.test(message)) throw new XmlRefusedError('too_deep', `the XML nests elements deeper than ${maxDepth} levels`);
    throw new XmlRefusedError('malformed', `the XML is not well-formed: ${message.replace(/\s+/g, ' ').slice(0, 200)}`);
  }
  const roots = toElements(ordered as OrderedNode[], '', 1, maxDepth);
  if (roots.length !== 1) throw new XmlRefusedError('malformed', 'the XML has no single root element');
  return roots[0]!;
}

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

function toElements(nodes: OrderedNode[], parentPath: string, depth: number, maxDepth: number): XmlElement[] {
  if (depth > maxDepth) throw new XmlRefusedError('too_deep', `the XML nests elements deeper than ${maxDepth} levels`);
  const elements = nodes.filter((n) => elementName(n) !== null);
  const totals = new Map<string, number>();
  for (const n of elements) totals.set(elementName(n)!, (totals.get(elementName(n)!) ?? 0) + 1);
  const seen = new Map<string, number>();
  return elements.map((n) => {
    const name = elementName(n)!;
    const index = (seen.get(name) ?? 0) + 1;
    seen.set(name, index);
    const path = `${parentPath}/${name}${(totals.get(name) ?? 1) > 1 ? `[${index}]` : ''}`;
    const content = (n[name] as OrderedNode[] | undefined) ?? [];
    const text = content
      .filter((c) => '#text' in c)
      .map((c) => String(c['#text']))
      .join('')
      .trim();
    const colon = name.indexOf(':');
    return {
      name,
      local: colon < 0 ? name : name.slice(colon + 1),
      prefix: colon < 0 ? '' : name.slice(0, colon),
      attributes: { ...(n[':@'] ?? {}) },
      children: toElements(content, path, depth + 1, maxDepth),
      text,
      path,
    };
  });
}

function elementName(node: OrderedNode): string | null {
  for (const key of Object.keys(node)) if (key !== ':@' && key !== '#text' && !key.startsWith('?')) return key;
  return null;
}

/** The namespace URI bound to `prefix` on `element` (declarations on the root are where invoices put them). */
export function namespaceOf(root: XmlElement, prefix: string): string | null {
  const attribute = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
  return root.attributes[attribute] ?? null;
}

/** Children with the given local name. */
export function children(element: XmlElement | null | undefined, local: string): XmlElement[] {
  return element ? element.children.filter((c) => c.local === local) : [];
}

/** The first child with the given local name, or null. */
export function child(element: XmlElement | null | undefined, local: string): XmlElement | null {
  return element?.children.find((c) => c.local === local) ?? null;
}

/** Follows a path of local names (first match at each step). */
export function descend(element: XmlElement | null | undefined, ...locals: string[]): XmlElement | null {
  let current: XmlElement | null = element ?? null;
  for (const local of locals) current = child(current, local);
  return current;
}
