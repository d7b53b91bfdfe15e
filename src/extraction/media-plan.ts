import type { TierName } from '../../schemas/index.ts';
import type { ModelTier } from './model-tier.ts';

/** Which pages of a call go to the model as PDF pages, and which as rendered images. */
export interface MediaPlan {
  pdfPages: number[];
  imagePages: number[];
}

/**
 * What a tier is shown besides the text layer of a page range (pageMedia sends
 * it; the budget estimates it): to a tier that reads PDFs natively, the whole
 * range as a PDF when it has scanned pages or the call is the deep tier's;
 * otherwise, to a tier that reads images, the scanned pages as images; else
 * nothing. Pure, so the estimate and the call cannot disagree.
 */
export function mediaPlan(
  tier: Pick<ModelTier, 'readsPdf' | 'readsImages'>,
  tierName: TierName,
  pages: readonly { pageNumber: number; imageOnly: boolean }[],
): MediaPlan {
  const scanned = pages.filter((p) => p.imageOnly).map((p) => p.pageNumber);
  if (tier.readsPdf === true && (scanned.length > 0 || tierName === 'pro')) return { pdfPages: pages.map((p) => p.pageNumber), imagePages: [] };
  if (tier.readsImages && scanned.length > 0) return { pdfPages: [], imagePages: scanned };
  return { pdfPages: [], imagePages: [] };
}
