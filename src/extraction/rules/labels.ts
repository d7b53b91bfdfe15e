/**
 * Field labels for invoices in English, German, French and Dutch.
 *
 * Each label is a regex source (matched case-insensitively, Unicode-aware, on
 * word boundaries) and a strength: 'strong' labels name the field without doubt
 * ("Invoice number", "Rechnungsdatum", "Total TTC"); 'weak' ones are generic
 * ("Date", "Total", "BTW") and often also appear in table headers. Strength
 * feeds the confidence score.
 *
 * "block" labels name things that look like our fields but are not ("Order date",
 * "Customer number", "incl. VAT", "Your VAT number"): they are matched so that
 * a generic label inside them ("date", "VAT") is not taken for a field.
 */
export type InvoiceLabelField =
  | 'invoiceNumber'
  | 'issueDate'
  | 'dueDate'
  | 'subtotal'
  | 'taxTotal'
  | 'total'
  | 'vendorTaxId'
  | 'iban'
  | 'bic'
  | 'purchaseOrder'
  | 'paymentTerms'
  | 'customerName'
  | 'vendorName'
  | 'invoiceNumberWeak'
  | 'block';

export interface LabelDef {
  field: InvoiceLabelField;
  strength: 'strong' | 'weak';
  source: string;
}

const S = 'strong' as const;
const W = 'weak' as const;
const no = '(?:number|no\\.?|nr\\.?|num(?:ber|\\.)?|n[°º]\\.?|#|id)';

export const INVOICE_LABELS: readonly LabelDef[] = [
  // Invoice number
  { field: 'invoiceNumber', strength: S, source: `(?:tax\\s*)?invoice\\s*${no}` },
  { field: 'invoiceNumber', strength: S, source: `rechnungs?\\s*-?\\s*(?:nummer|nr\\.?|no\\.?)|rechnungsnummer|(?:handels|schluss|teil|abschlags|sammel|proforma)?rechnung\\s*(?:\\(\\d{3}\\)\\s*)?(?:nr\\.?|#)` },
  { field: 'invoiceNumber', strength: S, source: `facture\\s*(?:n[°ºo]\\.?|num[ée]ro)|num[ée]ro\\s*de\\s*(?:la\\s*)?facture|n[°º]\\s*(?:de\\s*)?facture` },
  { field: 'invoiceNumber', strength: S, source: `factuur\\s*-?\\s*(?:nummer|nr\\.?|no\\.?)|factuurnummer|factuurnr\\.?` },
  { field: 'invoiceNumber', strength: S, source: `(?:bill|receipt)\\s*${no}` },
  { field: 'invoiceNumberWeak', strength: W, source: `document\\s*(?:number|no\\.?)|belegnummer|beleg-?nr\\.?` },
  // Issue date
  { field: 'issueDate', strength: S, source: `invoice\\s*date|date\\s*of\\s*(?:the\\s*)?invoice|date\\s*of\\s*issue|issue\\s*date|billing\\s*date|bill\\s*date|tax\\s*point\\s*date` },
  { field: 'issueDate', strength: S, source: `rechnungsdatum|datum\\s*der\\s*rechnung|ausstellungsdatum|rechnungs-?datum` },
  { field: 'issueDate', strength: S, source: `date\\s*(?:de\\s*(?:la\\s*)?)?facture|date\\s*d['’]?[ée]mission|date\\s*de\\s*facturation` },
  { field: 'issueDate', strength: S, source: `factuur\\s*-?\\s*datum|factuurdatum|datum\\s*factuur` },
  { field: 'issueDate', strength: W, source: `date|datum|dated|fecha` },
  // Due date
  { field: 'dueDate', strength: S, source: `due\\s*date|date\\s*due|payment\\s*due(?:\\s*date)?|payable\\s*by|due\\s*by|pay\\s*by` },
  { field: 'dueDate', strength: S, source: `f[äa]lligkeitsdatum|f[äa]llig\\s*(?:am|bis)|zahlbar\\s*bis|(?:[üu]berweisen|zahlen|begleichen)\\s*sie\\s*(?:den\\s*(?:rechnungs|gesamt)?betrag\\s*)?bis\\s*(?:zum|sp[äa]testens)?|zahlungsziel|zahlungstermin` },
  { field: 'dueDate', strength: S, source: `date\\s*d['’]?[ée]ch[ée]ance|[ée]ch[ée]ance|date\\s*limite\\s*de\\s*(?:paiement|r[èe]glement)|payable\\s*avant\\s*le|[àa]\\s*payer\\s*avant\\s*le` },
  { field: 'dueDate', strength: S, source: `vervaldatum|vervaldag|uiterste\\s*betaaldatum|te\\s*betalen\\s*v[oó][oó]r|betalen\\s*v[oó][oó]r` },
  // Subtotal (net, before tax)
  {
    field: 'subtotal',
    strength: S,
    source:
      `(?:sub\\s*-?\\s*)?total\\s*(?:\\(?\\s*(?:excl\\.?|excluding|exclusive\\s*of|before|net\\s*of|w/o|without)\\s*(?:vat|tax|gst|sales\\s*tax)\\s*\\)?|net|ht|hors\\s*taxes?)|net\\s*(?:amount|total)|amount\\s*(?:excl\\.?|excluding|before)\\s*(?:vat|tax)|untaxed\\s*amount|taxable\\s*(?:amount|value)`,
  },
  { field: 'subtotal', strength: S, source: `montant\\s*(?:eur\\s*|total\\s*)?(?:ht|hors\\s*taxes?)|total\\s*hors\\s*taxes?|sous-?\\s*total\\s*ht|prix\\s*total\\s*ht` },
  { field: 'subtotal', strength: S, source: `nettobetrag|netto\\s*-?\\s*(?:betrag|summe|gesamt)|summe\\s*netto|gesamt\\s*netto|rechnungsbetrag\\s*netto|zwischensumme\\s*netto` },
  { field: 'subtotal', strength: S, source: `(?:totaal\\s*|bedrag\\s*|subtotaal\\s*)?(?:excl\\.?|exclusief|zonder)\\s*btw|grondslag|netto\\s*bedrag` },
  { field: 'subtotal', strength: S, source: `(?:rechnungs)?summe\\s*ohne\\s*(?:ust|mwst|umsatzsteuer)\\.?|gesamtbetrag\\s*ohne\\s*(?:ust|mwst|umsatzsteuer)\\.?|total\\s*hors\\s*tva` },
  { field: 'subtotal', strength: W, source: `sub\\s*-?\\s*total|subtotaal|sous\\s*-?\\s*total|zwischensumme|netto` },
  // Tax
  {
    field: 'taxTotal',
    strength: S,
    source: `steuerbetrag\\s*gesamt|gesamtsteuer(?:betrag)?|(?:ust|mwst)\\.?\\s*gesamt|(?:total\\s*)?(?:vat|tax|gst|sales\\s*tax)\\s*(?:amount|total)|total\\s*(?:vat|tax|gst)|montant\\s*(?:de\\s*la\\s*|total\\s*)?tva|total\\s*tva|mwst\\.?\\s*-?\\s*betrag|ust\\.?\\s*-?\\s*betrag|umsatzsteuer|mehrwertsteuer|btw\\s*-?\\s*bedrag|bedrag\\s*btw|totaal\\s*btw`,
  },
  { field: 'taxTotal', strength: S, source: `steuerbetrag|(?:ust|mwst|tva|btw|vat)\\.?\\s*gesamt|gesamt\\s*(?:ust|mwst)\\.?|summe\\s*(?:ust|mwst)\\.?` },
  { field: 'taxTotal', strength: W, source: `vat|tax|tva|mwst\\.?|ust\\.?|btw|gst|igst|zzgl\\.?\\s*(?:mwst|ust)\\.?` },
  // Total
  {
    field: 'total',
    strength: S,
    source:
      `grand\\s*total|total\\s*amount(?:\\s*due)?|amount\\s*due|balance\\s*due|total\\s*due|total\\s*(?:to\\s*pay|payable)|amount\\s*payable|invoice\\s*total|total\\s*for\\s*this\\s*invoice|total\\s*(?:incl\\.?|including|inclusive\\s*of)\\s*(?:vat|tax|gst)`,
  },
  { field: 'total', strength: S, source: `total\\s*ttc|montant\\s*(?:eur\\s*)?ttc|net\\s*[àa]\\s*payer|somme\\s*[àa]\\s*payer|total\\s*[àa]\\s*payer|montant\\s*[àa]\\s*payer|montant\\s*total` },
  { field: 'total', strength: S, source: `bruttosumme|gesamtbruttobetrag|gesamtbetrag|rechnungsbetrag|endbetrag|zahlbetrag|zu\\s*zahlen(?:der\\s*betrag)?|gesamtsumme|bruttobetrag|(?:summe|gesamt)\\s*brutto|rechnungssumme` },
  { field: 'total', strength: S, source: `te\\s*betalen(?:\\s*bedrag)?|totaalbedrag|factuur\\s*totaal|factuurbedrag|totaal\\s*(?:incl\\.?|inclusief)\\s*btw` },
  { field: 'total', strength: W, source: `total|totaal|gesamt|summe|ttc|total\\s*facture|amount` },
  // Vendor VAT / tax id
  {
    field: 'vendorTaxId',
    strength: S,
    source:
      `vat\\s*(?:id|number|no\\.?|nr\\.?|reg(?:istration)?\\.?(?:\\s*(?:no\\.?|number))?)|vat\\s*/\\s*tin|tin|tax\\s*(?:id|number)|ust\\s*-?\\s*id\\s*-?\\s*(?:nr\\.?)?|ustid(?:nr)?\\.?|ust\\.?\\s*-?\\s*idnr\\.?|umsatzsteuer\\s*-?\\s*id(?:entifikationsnummer)?(?:\\s*-?\\s*nr\\.?)?|n[°º]\\s*(?:de\\s*)?tva(?:\\s*intra\\s*-?\\s*communautaire)?|tva\\s*intra\\s*-?\\s*communautaire|num[ée]ro\\s*de\\s*tva|btw\\s*-?\\s*(?:nummer|nr\\.?|id)|btw-?identificatienummer|gstin|gst\\s*(?:no\\.?|number|reg(?:istration)?\\.?(?:\\s*no\\.?)?)`,
  },
  // Sums of something else: surcharges, allowances, prepaid amounts, pieces.
  { field: 'block', strength: S, source: `(?:gesamtbetrag|summe|total)\\s*(?:der|aller|des|of|de\\s*la|des)?\\s*(?:zuschl[äa]ge|abschl[äa]ge|rabatte|nachl[äa]sse|surcharges?|allowances?|discounts?|remises?|charges)|erhaltene\\s*anzahlungen|bereits\\s*gezahlt|total\\s*(?:pcs|pieces|units|stk|st[üu]ck|colis|articles)\\.?` },
  // Customer-side tax ids and other look-alikes: never the vendor's.
  { field: 'block', strength: S, source: `(?:uw|your|ihre|votre|customer|client|kunden|klant)\\s*-?\\s*(?:btw|vat|ust|tva|tax)\\s*-?\\s*(?:nummer|number|no\\.?|nr\\.?|id(?:nr)?\\.?|num[ée]ro)?` },
  { field: 'block', strength: S, source: `(?:incl\\.?|inclusief|including|inkl\\.?|inclus|ohne|excl\\.?\\s*(?=%))\\s*(?:btw|vat|tax|mwst\\.?|ust\\.?|tva)|prix\\s*ttc|prijs\\s*incl\\.?\\s*btw` },
  { field: 'block', strength: S, source: `order\\s*date|date\\s*of\\s*order|orderdatum|bestelldatum|lieferdatum|leverdatum|delivery\\s*date|ship(?:ping)?\\s*date|date\\s*de\\s*(?:commande|livraison)|datum\\s*levering` },
  { field: 'block', strength: S, source: `(?:customer|client|account|kunden|klant)\\s*-?\\s*(?:number|no\\.?|nr\\.?|nummer|id|num[ée]ro)|kundennr\\.?|klantnummer|kundennummer|n[°º]\\s*client|num[ée]ro\\s*(?:de\\s*)?(?:client|dossier)|steuer\\s*-?\\s*nr\\.?|steuernummer|order\\s*(?:id|number|no\\.?)|ordernummer|kvk(?:\\s*-?\\s*nummer)?|siret|siren|rcs|cin|hrb` },
  { field: 'block', strength: S, source: `ship\\s*to|shipping\\s*address|delivery\\s*address|afleveradres|lieferadresse|lieferanschrift|adresse\\s*de\\s*livraison` },
  { field: 'block', strength: S, source: `tax\\s*\\(%\\)|tax\\s*rate|vat\\s*rate|taux\\s*(?:de\\s*)?tva|btw\\s*%|(?:mwst|ust|vat|tva|btw)\\.?\\s*-?\\s*satz|steuersatz|total\\s*(?:qty|quantity|items)|page` },
  // IBAN / BIC
  { field: 'iban', strength: S, source: `iban(?:\\s*(?:number|no\\.?|nr\\.?|code))?|bank\\s*account(?:\\s*(?:number|no\\.?))?|account\\s*(?:number|no\\.?)|kontonummer|kto\\.?\\s*-?\\s*nr\\.?|rekeningnummer|num[ée]ro\\s*de\\s*compte` },
  { field: 'bic', strength: S, source: `bic(?:\\s*/\\s*swift)?(?:\\s*code)?|swift(?:\\s*/\\s*bic)?(?:\\s*code)?|bic-code` },
  // Purchase order
  { field: 'purchaseOrder', strength: S, source: `purchase\\s*order(?:\\s*(?:number|no\\.?|#))?|p\\.?\\s*o\\.?\\s*(?:number|no\\.?|#)|bestellnummer|bestell\\s*-?\\s*nr\\.?|bon\\s*de\\s*commande|n[°º]\\s*(?:de\\s*)?commande|inkoop\\s*-?\\s*order(?:nummer)?|uw\\s*order(?:nummer)?|your\\s*order\\s*(?:number|no\\.?)` },
  // Payment terms
  { field: 'paymentTerms', strength: S, source: `payment\\s*terms|terms\\s*of\\s*payment|zahlungsbedingungen|zahlungskonditionen|conditions\\s*de\\s*(?:paiement|r[èe]glement)|modalit[ée]s\\s*de\\s*paiement|betalingsvoorwaarden|betalingstermijn|betalingscondities` },
  // Customer
  { field: 'customerName', strength: S, source: `bill(?:ed)?\\s*to|invoice\\s*to|sold\\s*to|billing\\s*address|customer\\s*name|rechnungsempf[äa]nger|rechnungsadresse|factur[ée]\\s*[àa]|adresse\\s*de\\s*facturation|factuuradres|gefactureerd\\s*aan` },
  // Vendor
  { field: 'vendorName', strength: S, source: `sold\\s*by|service\\s*provider|issued\\s*by|supplier|seller|vendor|verk[äa]ufer|lieferant|fournisseur|vendeur|leverancier` },
];

export interface LabelHit {
  field: InvoiceLabelField;
  strength: 'strong' | 'weak';
  start: number;
  end: number;
  raw: string;
}

const COMPILED = INVOICE_LABELS.map((l) => ({
  ...l,
  // No letter may follow a label; a digit may ("Facture n°562044387").
  re: new RegExp(`(?<![\\p{L}\\p{N}])(?:${l.source})(?![\\p{L}])`, 'giu'),
}));

/**
 * All label occurrences in one line, longest first when they overlap: "Exclusief
 * BTW" is a subtotal label, not the tax label "BTW"; "Order Date" blocks "Date".
 */
export function findLabels(line: string): LabelHit[] {
  const hits: LabelHit[] = [];
  for (const l of COMPILED) {
    l.re.lastIndex = 0;
    for (const m of line.matchAll(l.re)) {
      if (m[0].length === 0) continue;
      hits.push({ field: l.field, strength: l.strength, start: m.index, end: m.index + m[0].length, raw: m[0] });
    }
  }
  hits.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: LabelHit[] = [];
  for (const h of hits) {
    if (kept.some((k) => h.start < k.end && k.start < h.end)) continue;
    kept.push(h);
  }
  return kept.sort((a, b) => a.start - b.start);
}
