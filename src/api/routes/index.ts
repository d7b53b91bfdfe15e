import { consoleRoutes } from '../../console/routes.ts';
import type { RouteModule } from '../types.ts';
import { auditRoutes } from './audit.ts';
import { contractRoutes } from './contracts.ts';
import { documentRoutes } from './documents.ts';
import { invoiceRoutes } from './invoices.ts';
import { healthRoutes } from './health.ts';
import { metricsRoutes } from './metrics.ts';
import { reviewRoutes } from './review.ts';
import { runRoutes } from './runs.ts';
import { uploadRoutes } from './uploads.ts';
import { webhookRoutes } from './webhooks.ts';

/**
 * Every route module of the API, mounted in this order (the review console last). Each module lives in
 * its own file in this folder and registers its own routes.
 */
export const ROUTES: readonly RouteModule[] = [
  healthRoutes,
  metricsRoutes,
  uploadRoutes,
  documentRoutes,
  invoiceRoutes,
  contractRoutes,
  reviewRoutes,
  runRoutes,
  auditRoutes,
  webhookRoutes,
  // The review console at / (its own session auth; see src/console/).
  consoleRoutes,
];
