export { type Config, configSchema, loadConfig, USAGE } from './config.js';
export { type ControlPlane, startControlPlane, VERSION } from './run.js';
export { createLogger } from './logger.js';
