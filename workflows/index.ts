export { extractDocument, reviewSignal, reviewUpdate } from './extract-document.ts';
export type { ExtractDocumentInput, ExtractDocumentResult } from './extract-document.ts';
