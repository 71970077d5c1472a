/** Helpers of this package's tests (not built into dist). */
import { openStore, type ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApi } from '../server.js';

/** A fresh PGlite store runs initdb in WebAssembly: seconds when idle, far longer on a loaded 2-core machine. */
export const STORE_START_TIMEOUT = 120_000;

/** The API of a global or zone control plane on a fresh in-memory store, ready for `app.inject`. */
export async function startTestApi(mode: 'global' | 'zone', adminToken: string): Promise<{ app: FastifyInstance; store: ResourceStore }> {
  const store = await openStore();
  const app = await buildApi({
    store,
    mode,
    ...(mode === 'zone' ? { zone: 'zone-1' } : {}),
    adminToken,
    logger: pino({ level: 'silent' }),
    version: '0.0.0-test',
    instanceId: 'test',
  });
  await app.ready();
  return { app, store };
}
