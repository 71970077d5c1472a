import { Writable } from 'node:stream';
import { openStore, type ResourceStore } from '@causeway/store';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from './server.js';
import { STORE_START_TIMEOUT } from './testing/index.js';

describe('request logs', () => {
  const lines: { msg?: string; req?: { url?: string }; res?: { statusCode?: number } }[] = [];
  let app: FastifyInstance;
  let store: ResourceStore;
  beforeAll(async () => {
    store = await openStore();
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n')) if (l.trim() !== '') lines.push(JSON.parse(l));
        done();
      },
    });
    app = await buildApi({ store, mode: 'global', adminToken: 'admin', logger: pino({ level: 'info' }, sink), version: '0.0.0-test', instanceId: 'test' });
    await app.ready();
  }, STORE_START_TIMEOUT);
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('leaves out the requests of probes and scrapes (/ready, /metrics), keeps the others', async () => {
    expect((await app.inject({ url: '/ready' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/meshes' })).statusCode).toBe(200);
    await new Promise((r) => setImmediate(r));
    const urls = lines.filter((l) => l.msg === 'incoming request').map((l) => l.req?.url);
    expect(urls).toEqual(['/meshes']);
    expect(lines.filter((l) => l.msg === 'request completed')).toHaveLength(1);
  });
});
