export * from './api.js';
export * from './plugin.js';
