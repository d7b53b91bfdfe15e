/**
 * Document classification by keyword and structure scoring, in English, German,
 * French and Dutch. Cheap, local and explainable: it decides which extractor
 * (invoice or contract) a document goes to, or that it is neither.
 *
 * Each kind has weighted cues; a cue counts once per document (presence), with
 * a small bonus for repetition, so a long contract does not out-score an invoice
 * by sheer length. Structure adds to the score: many money amounts and a
 * total/VAT line for invoices; numbered clauses and "shall" for contracts.
 * Scores are squashed to [0, 1). A document whose best score is under the
 * threshold is "other".
 */
import type { PageText } from '../extraction/model-tier.ts';

export interface Classification {
  kind: 'invoice' | 'contract' | 'other';
  confidence: number;
  scores: { invoice: number; contract: number };
}

type Cue = readonly [RegExp, number];

const INVOICE_CUES: readonly Cue[] = [
  [/\b(?:invoice|tax invoice|rechnung|facture|factuur|receipt|quittung|re[çc]u|kwitantie|bill)\b/i, 3],
  [/\b(?:invoice\s*(?:number|no|#|date)|rechnungs(?:nummer|nr|datum)|facture\s*n|num[ée]ro\s*de\s*facture|factuur(?:nummer|datum))/i, 3],
  [/\b(?:subtotal|sub-total|sous-total|zwischensumme|subtotaal|net amount|nettobetrag|total\s*ht|exclusief\s*btw|excl\.?\s*(?:vat|btw))\b/i, 2],
  [/\b(?:vat|tva|mwst|ust|btw|gst|sales tax)\b/i, 1.5],
  [/\b(?:total|totaal|gesamt(?:betrag)?|montant|amount due|balance due|grand total|ttc|te betalen|zu zahlen|net [àa] payer)\b/i, 2],
  [/\b(?:qty|quantity|menge|anzahl|aantal|quantit[ée]|unit price|prix unitaire|einzelpreis|stukprijs|prijs per stuk|rate)\b/i, 1.5],
  [/\b(?:iban|bic|swift|bank account|bankverbindung|rekeningnummer)\b/i, 1],
  [/\b(?:due date|payment terms|f[äa]llig|zahlungsziel|[ée]ch[ée]ance|vervaldatum|betalingstermijn|date limite de paiement)\b/i, 1.5],
  [/\b(?:bill to|ship to|billing address|rechnungsadresse|adresse de facturation|factuuradres|sold by)\b/i, 1],
  [/\b(?:payment|paiement|zahlung|betaling|paid|bezahlt|pay[ée])\b/i, 0.5],
];

const CONTRACT_CUES: readonly Cue[] = [
  [/\b(?:agreement|contract|vertrag|vereinbarung|contrat|convention|overeenkomst)\b/i, 3],
  [/\b(?:by and between|between|by and among|zwischen|entre|tussen)\b[^.]{0,300}\band\b/i, 1],
  [/\b(?:whereas|recitals|now,? therefore|in witness whereof|witnesseth|pr[ée]ambule|pr[äa]ambel|overwegende)\b/i, 3],
  [/\b(?:hereby|hereto|hereof|hereunder|hereinafter|herein)\b/i, 2],
  [/\b(?:governed by|governing law|laws of the state of|jurisdiction|gerichtsstand|anwendbares recht|droit applicable|toepasselijk recht)\b/i, 3],
  [/\b(?:confidential information|non-disclosure|nondisclosure|confidentiality|geheimhaltung|vertraulich|confidentialit[ée]|geheimhouding)\b/i, 2],
  [/\b(?:the parties|each party|either party|die parteien|les parties|partijen)\b/i, 2],
  [/\b(?:terminat(?:e|ion)|k[üu]ndigung|r[ée]siliation|opzegging|beëindiging)\b/i, 1],
  [/\b(?:indemnif|liabilit|haftung|responsabilit[ée]|aansprakelijkheid)/i, 1],
  [/\b(?:signature|signed|unterschrift|sign[ée]|handtekening|by:\s*_+|name:\s*title:)/i, 1],
  [/\beffective date\b|\bdated as of\b|\bentered into\b/i, 2],
];

const THRESHOLD = 0.45;

function score(text: string, cues: readonly Cue[]): number {
  let s = 0;
  for (const [re, w] of cues) {
    const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
    const n = Math.min(20, (text.match(g) ?? []).length);
    if (n > 0) s += w * (1 + Math.log10(n) / 2);
  }
  return s;
}

/** Squash a raw score to [0, 1): 0 → 0, 10 → 0.63, 20 → 0.86. */
function squash(x: number): number {
  return 1 - Math.exp(-Math.max(0, x) / 10);
}

export function classifyDocument(pages: readonly PageText[]): Classification {
  const text = pages
    .filter((p) => !p.imageOnly)
    .map((p) => p.text)
    .join('\n');
  if (text.trim().length === 0) return { kind: 'other', confidence: 0.5, scores: { invoice: 0, contract: 0 } };
  // (confidence for "other" grows with how far below the threshold the best score is)

  let inv = score(text, INVOICE_CUES);
  let con = score(text, CONTRACT_CUES);

  // Structure: money amounts per 1000 characters (invoices are dense in them).
  const amounts = (text.match(/(?:[€$£₹]\s?\d|\d[.,]\d{2}(?!\d)\s?(?:€|EUR|USD|\$)?)/g) ?? []).length;
  const density = (amounts / Math.max(1, text.length)) * 1000;
  inv += Math.min(6, density * 1.5);
  // Long running prose with "shall" and numbered sections: contracts.
  const shall = (text.match(/\b(?:shall|will not|agrees? to|verpflichtet sich|s['’]engage|verplicht zich)\b/gi) ?? []).length;
  con += Math.min(5, shall / 4);
  const sections = (text.match(/(?:^|\n)\s*(?:\d{1,2}\.|Section\s+\d|Article\s+\d|§\s*\d|Artikel\s+\d)/g) ?? []).length;
  con += Math.min(3, sections / 3);
  // A contract mentions amounts too; an invoice with a few "terms and conditions" is still an invoice.
  // Make the two kinds compete: the lead decides.
  const invoice = squash(inv);
  const contract = squash(con);
  const best = Math.max(invoice, contract);
  if (best < THRESHOLD) {
    return { kind: 'other', confidence: r2(Math.min(0.95, 0.5 + (THRESHOLD - best))), scores: { invoice: r2(invoice), contract: r2(contract) } };
  }
  const kind = invoice >= contract ? 'invoice' : 'contract';
  const margin = Math.abs(invoice - contract);
  // Confidence grows with both the winning score and the lead over the other kind.
  const confidence = Math.min(0.95, 0.5 + margin * 0.6 + (best - THRESHOLD) * 0.4);
  return { kind, confidence: r2(confidence), scores: { invoice: r2(invoice), contract: r2(contract) } };
}

function r2(x: number): number {
  return Math.round(x * 100) / 100;
}
