export { buildApi, type ApiOptions } from './server.js';
export { hasAdminToken } from './auth.js';
export { dataplaneOnline, zoneOnline } from './inspect.js';
export { parseListQuery, type Mode } from './resources.js';
export type { MetricSource } from './metrics.js';
