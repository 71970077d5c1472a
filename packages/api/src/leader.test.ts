import { type LeaderStatus, openStore, type ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './server.js';
import { STORE_START_TIMEOUT } from './testing/index.js';

describe('GET /leader', () => {
  let store: ResourceStore;
  const apps: FastifyInstance[] = [];
  let status: LeaderStatus = { leader: false, holder: 'other-replica', since: '2026-01-01T00:00:00.000Z', expires: '2026-01-01T00:00:10.000Z' };
  beforeAll(async () => {
    store = await openStore();
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    await store.close();
  });
  const api = async (leader?: () => LeaderStatus) => {
    const app = await buildApi({ store, mode: 'global', adminToken: 'admin-token-of-the-test', logger: pino({ level: 'silent' }), version: '0.0.0-test', instanceId: 'me', ...(leader ? { leader } : {}) });
    apps.push(app);
    return app;
  };

  it('shows the lease as this replica last saw it, without a token, as it changes', async () => {
    const app = await api(() => status);
    const res = await app.inject({ url: '/leader' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(status);
    status = { leader: true, holder: 'me', since: '2026-01-01T00:00:11.000Z', expires: '2026-01-01T00:00:21.000Z' };
    expect((await app.inject({ url: '/leader' })).json()).toEqual({ leader: true, holder: 'me', since: '2026-01-01T00:00:11.000Z', expires: '2026-01-01T00:00:21.000Z' });
  });

  it('says this process leads itself when it runs no lease', async () => {
    const app = await api();
    expect((await app.inject({ url: '/leader' })).json()).toEqual({ leader: true, holder: 'me', since: null, expires: null });
  });
});
