/**
 * Change ids for \`patched()\`: a workflow change that may meet runs already in
 * flight is taken only by runs that reach it after the change (see
 * test/histories/README.md). Constants, so the id is spelled once.
 */

/** The exact e-invoice tier runs first and claims an XML e-invoice or a PDF that carries one. */
export const EINVOICE_EXACT_TIER = 'einvoice-exact-tier';
