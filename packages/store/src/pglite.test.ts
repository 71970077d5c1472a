/** The conformance suite against in-memory PGlite, plus what is PGlite-specific (a data directory). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CausewayError, decodeResource } from '@causeway/core';
import { describe, expect, it } from 'vitest';
import { storeConformance } from './testing/conformance.js';
import { openStore } from './open.js';

storeConformance('pglite (memory)', {
  fresh: (tuning) => openStore({ ...tuning }),
});

describe('pglite backend', () => {
  it('keeps its data in a data directory across reopening', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'causeway-store-'));
    try {
      const first = await openStore({ dataDir: dir });
      expect(first.backend).toBe('pglite');
      await first.create(decodeResource({ type: 'Mesh', name: 'default' }));
      await first.create(
        decodeResource({
          type: 'ExternalService',
          mesh: 'default',
          name: 'httpbin',
          tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' },
          networking: { address: 'httpbin.org:80' },
        }),
      );
      await first.close();

      const second = await openStore({ dataDir: dir });
      try {
        const es = await second.get('ExternalService', 'default', 'httpbin');
        expect(es?.version).toBe(1);
        expect(es?.spec).toEqual({ tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' }, networking: { address: 'httpbin.org:80' } });
        expect(await second.revision()).toBe(2);
        // the uniqueness keys survived too
        const err = await second
          .create(
            decodeResource({
              type: 'ExternalService',
              mesh: 'default',
              name: 'other',
              tags: { 'kuma.io/service': 'other' },
              networking: { address: 'httpbin.org:80' },
            }),
          )
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CausewayError);
        expect((err as CausewayError).code).toBe('CONFLICT');
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a URL that is not postgres://', async () => {
    const err = await openStore({ url: 'mysql://localhost/db' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CausewayError);
    expect((err as CausewayError).code).toBe('INVALID');
    expect((err as CausewayError).fields.map((f) => f.field)).toEqual(['url']);
  });
});
