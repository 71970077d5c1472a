export * from './store.js';
export { openStore, type StoreOptions, DEFAULT_RETENTION } from './open.js';
export type { StoreLogger } from './logger.js';
export type { ChangeRetention } from './sql-store.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './sql-store.js';
export { CHANGES_CHANNEL } from './backend.js';
export * as schema from './schema.js';
export type { LeaseAttempt, LeaseRecord, Leases } from './leases.js';
export { DEFAULT_LEASE_TTL_MS, LeaderLease, type LeaderLeaseOptions, type LeaderStatus, startLeaderLease } from './leader-lease.js';
