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

/**
 * Every route module of the API, mounted in this order. Each module lives in
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
];
