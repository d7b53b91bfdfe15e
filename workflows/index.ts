export { extractDocument, reviewSignal, reviewUpdate } from './extract-document.ts';
export type { ExtractDocumentInput, ExtractDocumentResult } from './extract-document.ts';
export { deliverWebhook } from './deliver-webhook.ts';
export type { DeliverWebhookInput } from './deliver-webhook.ts';
