/**
 * The traffic policies: the plugin contract and its helpers (plugin.ts, match.ts), the plugins (one
 * folder each, listed in plugins.ts) and the registry derived from them (registry.ts).
 */
export * from './match.js';
export * from './plugin.js';
export * from './registry.js';
export * from './plugins.js';
