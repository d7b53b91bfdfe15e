import type { RouteModule } from '../types.ts';
import { healthRoutes } from './health.ts';
import { metricsRoutes } from './metrics.ts';

/**
 * Every route module of the API, mounted in this order. Each module lives in
 * its own file in this folder and registers its own routes.
 */
export const ROUTES: readonly RouteModule[] = [
  healthRoutes,
  metricsRoutes,
];
