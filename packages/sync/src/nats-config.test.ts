import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import bcrypt from 'bcryptjs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InspectRequester, InspectResponder } from './inspect.js';
import { GLOBAL_BUCKET, ZONES_BUCKET } from './keys.js';
import { type GeneratedNatsConfig, generateNatsConfig, generatePassword, inboxPrefixFor, zonePermissions } from './nats-config.js';
import { type NatsServer, startNatsServer } from './testing/nats-server.js';
import { watchBucket } from './watch.js';

/** The PermissionViolationError somewhere in an error's cause chain. */
function permissionError(e: unknown): { operation: string; subject: string } | undefined {
  for (let cur = e, i = 0; cur && i < 5; cur = (cur as { cause?: unknown }).cause, i++) {
    if ((cur as Error).name === 'PermissionViolationError') return cur as unknown as { operation: string; subject: string };
  }
  return undefined;
}

async function refusal(p: Promise<unknown>): Promise<{ operation: string; subject: string }> {
  try {
    await p;
  } catch (e) {
    const pe = permissionError(e);
    if (pe) return pe;
    throw e;
  }
  throw new Error('expected a permissions violation, but the operation succeeded');
}

describe('generateNatsConfig', () => {
  it('renders one user for global and one per zone, with hashed passwords by default', () => {
    const g = generateNatsConfig({ zones: ['zone-1', 'zone-2'], globalPassword: 'g-secret', zonePasswords: { 'zone-1': 'z1-secret' }, bcryptCost: 4 });
    expect(g.config).toMatch(/^authorization \{$/m);
    expect(g.config).toContain('user: "causeway-global"');
    expect(g.config).toContain('user: "causeway-zone-zone-1"');
    expect(g.config).toContain('user: "causeway-zone-zone-2"');
    expect(g.config).not.toContain('g-secret');
    expect(g.config).not.toContain('z1-secret');
    expect(g.global).toEqual({ user: 'causeway-global', password: 'g-secret', inboxPrefix: '_INBOX_cw_global' });
    expect(g.zones['zone-1']?.password).toBe('z1-secret');
    expect(g.zones['zone-2']?.password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const hash = g.config.match(/user: "causeway-zone-zone-1"\n\s+password: "([^"]+)"/)?.[1] ?? '';
    expect(bcrypt.compareSync('z1-secret', hash)).toBe(true);
    // Each zone's block allows its own prefix only.
    expect(g.config).toContain('"$KV.causeway-zones.zone-1.>"');
    expect(zonePermissions('zone-1').publish.filter((s) => s.includes('zone-2'))).toEqual([]);
    expect(zonePermissions('zone-1').subscribe).toEqual(['_INBOX_cw_zone_zone-1.>', 'causeway.inspect.zone-1']);
    expect(g.config).toContain('allow_responses: true');
  });

  it('can leave passwords in clear, and generates fresh ones each time', () => {
    const a = generateNatsConfig({ zones: ['z'], hashPasswords: false });
    const b = generateNatsConfig({ zones: ['z'] , hashPasswords: false});
    expect(a.config).toContain(`password: "${a.zones.z?.password}"`);
    expect(a.zones.z?.password).not.toBe(b.zones.z?.password);
  });

  it('refuses bad and duplicate zone names, and passwords for unknown zones', () => {
    expect(() => generateNatsConfig({ zones: ['Zone_1'] })).toThrow(/lower-case DNS label/);
    expect(() => generateNatsConfig({ zones: ['a.b'] })).toThrow(/lower-case DNS label/);
    expect(() => generateNatsConfig({ zones: ['z', 'z'] })).toThrow(/twice/);
    expect(() => generateNatsConfig({ zones: ['z'], zonePasswords: { y: 'p' } })).toThrow(/not in the zone list/);
  });
});

describe('the generated authorization on a real nats-server', () => {
  let server: NatsServer;
  let gen: GeneratedNatsConfig;
  const conns: NatsConnection[] = [];
  const as = async (who: 'global' | 'zone-1' | 'zone-2', password?: string) => {
    const cred = who === 'global' ? gen.global : gen.zones[who];
    if (!cred) throw new Error(who);
    const nc = await connect({ servers: server.url, user: cred.user, pass: password ?? cred.password, inboxPrefix: cred.inboxPrefix, maxReconnectAttempts: 0 });
    conns.push(nc);
    return nc;
  };

  beforeAll(async () => {
    gen = generateNatsConfig({ zones: ['zone-1', 'zone-2'], bcryptCost: 4 });
    server = await startNatsServer({ config: gen.config });
    const g = await as('global');
    const kvm = new Kvm(jetstream(g));
    const gkv = await kvm.create(GLOBAL_BUCKET, { history: 1 });
    await kvm.create(ZONES_BUCKET, { history: 1 });
    await gkv.put('Mesh._.default', '{"type":"Mesh","name":"default"}');
  }, 30_000);

  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await server?.dispose();
  });

  it('refuses a wrong password', async () => {
    await expect(as('zone-1', 'wrong')).rejects.toThrow(/Authorization Violation/i);
  });

  it('lets a zone read causeway-global and write and replay its own prefix of causeway-zones', async () => {
    const z = await as('zone-1');
    const js = jetstream(z);
    const kvm = new Kvm(js);
    const zones = await kvm.open(ZONES_BUCKET);
    await zones.put('zone-1.Dataplane.default.web-1', '{}');
    await zones.delete('zone-1.Dataplane.default.web-1');
    await zones.put('zone-1.Dataplane.default.web-2', '{}');
    const seen: string[] = [];
    const own = await watchBucket({ js, bucket: ZONES_BUCKET, keys: 'zone-1.>', onChange: (c) => seen.push(`${c.key} ${c.op}`) });
    await own.replayed;
    await own.stop();
    expect(seen).toEqual(['zone-1.Dataplane.default.web-1 DEL', 'zone-1.Dataplane.default.web-2 PUT']);
    const global: string[] = [];
    const w = await watchBucket({ js, bucket: GLOBAL_BUCKET, keys: '>', onChange: (c) => global.push(c.key) });
    await w.replayed;
    await w.stop();
    expect(global).toContain('Mesh._.default');
  });

  it("refuses zone-1's write under zone-2's prefix (NATS permissions)", async () => {
    const z = await as('zone-1');
    const zones = await new Kvm(jetstream(z)).open(ZONES_BUCKET);
    const err = await refusal(zones.put('zone-2.Dataplane.default.web-1', '{}'));
    expect(err).toMatchObject({ operation: 'publish', subject: '$KV.causeway-zones.zone-2.Dataplane.default.web-1' });
    const del = await refusal(zones.delete('zone-2.ZoneInsight._.zone-2'));
    expect(del.subject).toBe('$KV.causeway-zones.zone-2.ZoneInsight._.zone-2');
    // zone-2 itself may.
    const z2 = await as('zone-2');
    await expect((await new Kvm(jetstream(z2)).open(ZONES_BUCKET)).put('zone-2.Dataplane.default.web-1', '{}')).resolves.toBeGreaterThan(0);
  });

  it('refuses a zone writing causeway-global, reading another zone, or managing streams', async () => {
    const z = await as('zone-1');
    const js = jetstream(z);
    const kvm = new Kvm(js);
    const global = await kvm.open(GLOBAL_BUCKET);
    expect((await refusal(global.put('Mesh._.evil', '{}'))).subject).toBe('$KV.causeway-global.Mesh._.evil');
    const read = await refusal(watchBucket({ js, bucket: ZONES_BUCKET, keys: 'zone-2.>', onChange: () => {} }));
    expect(read.subject).toMatch(/^\$JS\.API\.CONSUMER\.CREATE\.KV_causeway-zones\..+\.\$KV\.causeway-zones\.zone-2\.>$/);
    const all = await refusal(watchBucket({ js, bucket: ZONES_BUCKET, keys: '>', onChange: () => {} }));
    // The whole bucket: the unnamed (legacy) form, which a zone may send only on KV_causeway-global.
    expect(all.subject).toBe('$JS.API.CONSUMER.CREATE.KV_causeway-zones');
    const purge = await refusal(global.destroy());
    expect(purge.subject).toBe('$JS.API.STREAM.DELETE.KV_causeway-global');
  });

  it("refuses a zone subscribing outside its inbox (it cannot read global's or another zone's replies)", async () => {
    const z = await as('zone-1');
    for (const subject of [`${inboxPrefixFor('global')}.>`, `${inboxPrefixFor({ zone: 'zone-2' })}.>`, '>', '$KV.causeway-zones.>']) {
      const sub = z.subscribe(subject);
      const closed = await Promise.race([sub.closed, new Promise((r) => setTimeout(() => r('still open'), 2000))]);
      expect(permissionError(closed), subject).toMatchObject({ operation: 'subscription' });
    }
  });
});

describe('inspecting a zone from global over NATS (inspect.ts) with the generated authorization', () => {
  let server: NatsServer;
  let gen: GeneratedNatsConfig;
  const closers: (() => Promise<unknown>)[] = [];
  const log = pino({ level: 'silent' });
  const natsOf = (who: 'global' | 'zone-1' | 'zone-2') => {
    const cred = who === 'global' ? gen.global : gen.zones[who];
    if (!cred) throw new Error(who);
    return { servers: server.url, user: cred.user, password: cred.password, reconnectWaitMs: 200 };
  };
  beforeAll(async () => {
    gen = generateNatsConfig({ zones: ['zone-1', 'zone-2'], bcryptCost: 4 });
    server = await startNatsServer({ config: gen.config });
  }, 30_000);
  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    await server?.dispose();
  });

  it('global asks a zone, the replica that can answers; no answer in time and unknown paths are told apart', async () => {
    const asked: string[] = [];
    // Two replicas of zone-1: one has web-1's dump, the other stays silent.
    for (const has of [false, true]) {
      const r = new InspectResponder({
        nats: natsOf('zone-1'),
        zone: 'zone-1',
        logger: log,
        handle: async (req) => {
          asked.push(req.url);
          return has && req.url.includes('/web-1/') ? { status: 200, contentType: 'application/json', body: '{"configs":[]}' } : undefined;
        },
      });
      closers.push(() => r.close());
    }
    const g = new InspectRequester({ nats: natsOf('global'), logger: log, timeoutMs: 1000 });
    closers.push(() => g.close());
    const answer = await eventuallyAnswer(() => g.ask('zone-1', { url: '/meshes/default/dataplanes/web-1/xds' }));
    expect(answer).toEqual({ status: 200, contentType: 'application/json', body: '{"configs":[]}' });
    expect(await g.ask('zone-1', { url: '/meshes/default/dataplanes/nobody/xds' })).toBe('no-answer');
    // A zone without responders.
    expect(await g.ask('zone-2', { url: '/meshes/default/dataplanes/web-1/xds' })).toBe('no-answer');
    // Only proxy reads are answered: anything else of the zone's API is refused by the zone.
    const refused = await g.ask('zone-1', { url: '/meshes/default/external-services' });
    expect(refused).toMatchObject({ status: 400 });
    expect(asked.every((u) => u.includes('/dataplanes/'))).toBe(true);
  });

  it('a zone may neither ask another zone nor listen to its questions', async () => {
    const z2 = await connect({ servers: server.url, user: gen.zones['zone-2']?.user, pass: gen.zones['zone-2']?.password, inboxPrefix: gen.zones['zone-2']?.inboxPrefix, maxReconnectAttempts: 0 });
    closers.push(() => z2.close());
    const sub = z2.subscribe('causeway.inspect.zone-1');
    const closed = await Promise.race([sub.closed, new Promise((r) => setTimeout(() => r('still open'), 2000))]);
    expect(permissionError(closed)).toMatchObject({ operation: 'subscription' });
    const asked = await refusal(z2.request('causeway.inspect.zone-1', '{"url":"/meshes/default/dataplanes/web-1/xds"}', { timeout: 2000 }));
    expect(asked).toMatchObject({ operation: 'publish', subject: 'causeway.inspect.zone-1' });
  });
});

/** The first answer that is not 'unreachable' (the requester's connection comes up in the background). */
async function eventuallyAnswer<T>(ask: () => Promise<T | 'unreachable' | 'no-answer'>): Promise<T | 'no-answer'> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await ask();
    if (r !== 'unreachable' && r !== 'no-answer') return r;
    if (Date.now() > deadline) return r === 'unreachable' ? 'no-answer' : r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('generatePassword', () => {
  it('gives 32 letters and digits, never a leading dash, and differs each time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const p = generatePassword();
      expect(p).toMatch(/^[A-Za-z0-9]{32}$/);
      seen.add(p);
    }
    expect(seen.size).toBe(500);
  });
});
