export * from './cache.js';
export * from './ads.js';
export * from './zone.js';
