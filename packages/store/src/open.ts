import { CausewayError } from '@causeway/core';
import { type StoreLogger, silentLogger } from './logger.js';
import { openPgliteBackend } from './pglite.js';
import { openPostgresBackend } from './postgres.js';
import { type ChangeRetention, SqlStore } from './sql-store.js';
import type { ResourceStore } from './store.js';

export interface StoreOptions {
  /** `postgres://` or `postgresql://` URL: the Postgres backend. */
  url?: string;
  /** Without a URL: a file-backed PGlite database in this directory. Neither: in-memory PGlite. */
  dataDir?: string;
  logger?: StoreLogger;
  /** Postgres pool size (default 10). */
  poolSize?: number;
  /** Safety-net poll of the change feed while someone watches (default 5000 ms). */
  pollIntervalMs?: number;
  /** How often old change-feed rows are pruned (default every 10 minutes). */
  pruneIntervalMs?: number;
  /** What the change feed keeps (default: 1 hour and at most 100,000 rows). */
  changeRetention?: Partial<ChangeRetention>;
}

export const DEFAULT_RETENTION: ChangeRetention = { maxAgeMs: 60 * 60 * 1000, maxRows: 100_000 };

/** Opens a store, creating or migrating its tables first. */
export async function openStore(opts: StoreOptions = {}): Promise<ResourceStore> {
  const logger = opts.logger ?? silentLogger;
  let backend: Awaited<ReturnType<typeof openPgliteBackend>>;
  if (opts.url !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(opts.url))
      throw new CausewayError('INVALID', 'the store URL must start with postgres:// or postgresql://', [{ field: 'url', reason: 'must be a postgres:// URL' }]);
    backend = await openPostgresBackend({ url: opts.url, logger, ...(opts.poolSize !== undefined ? { poolSize: opts.poolSize } : {}) });
  } else {
    backend = await openPgliteBackend(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {});
  }
  const store = new SqlStore(backend, {
    logger,
    pollIntervalMs: opts.pollIntervalMs ?? 5000,
    pruneIntervalMs: opts.pruneIntervalMs ?? 10 * 60 * 1000,
    retention: { ...DEFAULT_RETENTION, ...opts.changeRetention },
  });
  await store.prune();
  logger.debug({ backend: backend.kind }, 'store opened');
  return store;
}
