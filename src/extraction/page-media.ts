import type { TierName } from '../../schemas/index.ts';
import type { Logger } from '../logger.ts';
import { cutPdfPages } from '../pdf/cut-pages.ts';
import { renderPages } from '../pdf/render-pages.ts';
import type { ModelTier, PageImage, PageText, PagesPdf } from './model-tier.ts';
import { mediaPlan } from './media-plan.ts';

/**
 * What a tier is shown besides the text layer of a page range:
 *   - to a tier that reads PDFs natively: the range cut from the original as a
 *     PDF, for scanned pages (the model reads the scan itself) and for every
 *     call of the deep tier (escalations: layout and tables matter there);
 *   - otherwise, to a tier that reads images: the scanned pages rendered as PNG;
 *   - nothing for a text-only call on the fast tier (its text layer suffices).
 * A PDF that cannot be cut (damaged, hostile) falls back to rendered images.
 */
export async function pageMedia(
  tier: ModelTier,
  tierName: TierName,
  pages: readonly PageText[],
  original: () => Promise<Uint8Array | null>,
  options: { log?: Logger; heartbeat?: <T>(work: () => Promise<T>) => Promise<T> } = {},
): Promise<{ images: PageImage[]; pdf?: PagesPdf }> {
  const beat = options.heartbeat ?? (<T>(work: () => Promise<T>) => work());
  const plan = mediaPlan(tier, tierName, pages);
  const scanned = pages.filter((p) => p.imageOnly).map((p) => p.pageNumber);
  const wantsPdf = plan.pdfPages.length > 0;
  // A PDF that cannot be cut falls back to the scanned pages as images.
  const wantsImages = tier.readsImages && scanned.length > 0;
  if (!wantsPdf && !wantsImages) return { images: [] };
  const bytes = await original();
  if (!bytes) return { images: [] };
  if (wantsPdf) {
    const pageNumbers = plan.pdfPages;
    try {
      return { images: [], pdf: { data: await beat(() => cutPdfPages(bytes, pageNumbers)), pageNumbers } };
    } catch (error) {
      options.log?.warn('could not cut the PDF pages; sending rendered images instead', {
        pages: pageNumbers.join(','),
        error: error instanceof Error ? error.message.slice(0, 200) : String(error),
      });
    }
  }
  if (!wantsImages) return { images: [] };
  return { images: await beat(() => renderPages(bytes, scanned, { maxSide: 1024 })) };
}
