export * from './config.js';
export * from './shutdown.js';
