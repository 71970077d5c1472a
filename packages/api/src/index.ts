export { buildApi, type ApiOptions } from './server.js';
export { hasAdminToken, requireAdmin } from './auth.js';
export { listAll, dataplaneOnline, zoneOnline } from './inspect.js';
export { parseListQuery, type Mode } from './resources.js';
