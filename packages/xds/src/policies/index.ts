/**
 * How the generators and the zone controller apply the policy plugins (registry.ts). The plugins, their
 * contract and helpers are in @causeway/core, one folder per policy (`src/policies/<name>/`).
 */
export * from './registry.js';
