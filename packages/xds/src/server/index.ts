export * from './cache.js';
export * from './ads.js';
