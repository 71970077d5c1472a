/**
 * What consumers a zone's NATS user can leave on the two KV streams (issue #14, item 7), on a real
 * nats-server with the generated authorization: no durable on KV_causeway-global by any subject form; on
 * KV_causeway-zones only the named form on its own prefix is open, where the server does accept a durable
 * (the body decides), and global's sweep deletes it, as it deletes an ephemeral asking for a long inactive
 * threshold; the sync's own watches work and their consumers are gone soon after the zone disconnects.
 */
import { type ConsumerInfo, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerViolation, MAX_CONSUMER_INACTIVE_THRESHOLD_MS, sweepConsumers } from './consumer-sweep.js';
import { GLOBAL_BUCKET, ZONES_BUCKET } from './keys.js';
import { type GeneratedNatsConfig, generateNatsConfig } from './nats-config.js';
import { type NatsServer, startNatsServer } from './testing/nats-server.js';
import { WATCH_INACTIVE_THRESHOLD_MS, watchBucket } from './watch.js';

const GS = 'KV_causeway-global';
const ZS = 'KV_causeway-zones';
const NS = 1_000_000;

type Outcome = { created: ConsumerInfo } | { apiError: { err_code: number; description: string } } | { permissionViolation: string };

/** Sends a consumer-create request as is and says what came of it. */
async function create(nc: NatsConnection, subject: string, stream: string, config: Record<string, unknown>): Promise<Outcome> {
  try {
    const r = await nc.request(subject, JSON.stringify({ stream_name: stream, config }), { timeout: 5000 });
    const body = r.json<{ error?: { err_code: number; description: string } } & ConsumerInfo>();
    return body.error ? { apiError: body.error } : { created: body };
  } catch (e) {
    for (let cur: unknown = e, i = 0; cur && i < 5; cur = (cur as { cause?: unknown }).cause, i++) {
      if ((cur as Error).name === 'PermissionViolationError') return { permissionViolation: (cur as unknown as { subject: string }).subject };
    }
    throw e;
  }
}

/** A push consumer's config as a client could send it (deliver to the zone's own inbox). */
const pushConfig = (filter: string, extra: Record<string, unknown> = {}) => ({
  deliver_subject: `_INBOX_cw_zone_zone-1.probe.${Math.random().toString(36).slice(2)}`,
  deliver_policy: 'last_per_subject',
  ack_policy: 'none',
  filter_subject: filter,
  ...extra,
});

async function eventually(fn: () => Promise<void>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`${what}: not true after ${timeoutMs} ms: ${(e as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("a zone's consumers on the KV streams (real nats-server, generated authorization)", () => {
  let server: NatsServer;
  let gen: GeneratedNatsConfig;
  let g: NatsConnection;
  const conns: NatsConnection[] = [];
  const as = async (who: 'zone-1' | 'zone-2') => {
    const cred = gen.zones[who];
    if (!cred) throw new Error(who);
    const nc = await connect({ servers: server.url, user: cred.user, pass: cred.password, inboxPrefix: cred.inboxPrefix, maxReconnectAttempts: 0 });
    conns.push(nc);
    return nc;
  };
  /** The consumers of a stream, as global lists them. */
  const consumers = async (stream: string): Promise<ConsumerInfo[]> => {
    const jsm = await jetstreamManager(g);
    const out: ConsumerInfo[] = [];
    for await (const ci of jsm.consumers.list(stream)) out.push(ci);
    return out;
  };
  const durables = async (stream: string) => (await consumers(stream)).filter((c) => c.config.durable_name).map((c) => c.name);
  const ofZone1 = async (stream: string) => (await consumers(stream)).filter((c) => c.config.deliver_subject?.startsWith('_INBOX_cw_zone_zone-1.'));

  beforeAll(async () => {
    gen = generateNatsConfig({ zones: ['zone-1', 'zone-2'], bcryptCost: 4 });
    server = await startNatsServer({ config: gen.config });
    g = await connect({ servers: server.url, user: gen.global.user, pass: gen.global.password, inboxPrefix: gen.global.inboxPrefix, maxReconnectAttempts: 0 });
    const kvm = new Kvm(jetstream(g));
    await (await kvm.create(GLOBAL_BUCKET, { history: 1 })).put('Mesh._.default', '{}');
    await kvm.create(ZONES_BUCKET, { history: 1 });
    await (await new Kvm(jetstream(await as('zone-1'))).open(ZONES_BUCKET)).put('zone-1.Dataplane.default.web-1', '{}');
    await (await new Kvm(jetstream(await as('zone-2'))).open(ZONES_BUCKET)).put('zone-2.Dataplane.default.web-1', '{}');
  }, 30_000);

  afterAll(async () => {
    await Promise.all([g, ...conns].map((c) => c?.close().catch(() => {})));
    await server?.dispose();
  });

  it('refuses a durable consumer on KV_causeway-global by every subject form', async () => {
    const z = await as('zone-1');
    const filter = '$KV.causeway-global.>';
    expect(await create(z, `$JS.API.CONSUMER.DURABLE.CREATE.${GS}.d1`, GS, pushConfig(filter, { durable_name: 'd1' }))).toEqual({
      permissionViolation: `$JS.API.CONSUMER.DURABLE.CREATE.${GS}.d1`,
    });
    // The only form a zone may send there: the server refuses a durable name on it.
    expect(await create(z, `$JS.API.CONSUMER.CREATE.${GS}`, GS, pushConfig(filter, { durable_name: 'd2' }))).toEqual({
      apiError: expect.objectContaining({ err_code: 10020, description: 'consumer expected to be ephemeral but a durable name was set in request' }),
    });
    // Named forms (on which the server would accept durable_name = name) are not allowed at all.
    expect(await create(z, `$JS.API.CONSUMER.CREATE.${GS}.d3`, GS, pushConfig(filter, { durable_name: 'd3' }))).toEqual({ permissionViolation: `$JS.API.CONSUMER.CREATE.${GS}.d3` });
    expect(await create(z, `$JS.API.CONSUMER.CREATE.${GS}.d4.${filter}`, GS, pushConfig(filter, { durable_name: 'd4' }))).toEqual({
      permissionViolation: `$JS.API.CONSUMER.CREATE.${GS}.d4.${filter}`,
    });
    expect(await create(z, `$JS.API.CONSUMER.CREATE.${GS}.e5.${filter}`, GS, pushConfig(filter, { name: 'e5' }))).toEqual({ permissionViolation: `$JS.API.CONSUMER.CREATE.${GS}.e5.${filter}` });
    expect(await durables(GS)).toEqual([]);
  });

  it('on KV_causeway-zones leaves a zone only the named form on its own prefix; a durable made there is deleted by the sweep', async () => {
    const z = await as('zone-1');
    const own = '$KV.causeway-zones.zone-1.>';
    const refused: [string, string][] = [
      [`$JS.API.CONSUMER.DURABLE.CREATE.${ZS}.d1`, own],
      [`$JS.API.CONSUMER.CREATE.${ZS}`, own],
      [`$JS.API.CONSUMER.CREATE.${ZS}.d1`, own],
      [`$JS.API.CONSUMER.CREATE.${ZS}.d1.$KV.causeway-zones.>`, '$KV.causeway-zones.>'],
      [`$JS.API.CONSUMER.CREATE.${ZS}.d1.$KV.causeway-zones.zone-2.>`, '$KV.causeway-zones.zone-2.>'],
    ];
    for (const [subject, filter] of refused) {
      expect(await create(z, subject, ZS, pushConfig(filter, { durable_name: 'd1' })), subject).toEqual({ permissionViolation: subject });
    }
    // The body decides durability and the server accepts durable_name = <name> on this form: a durable on
    // the zone's own prefix is created...
    const made = await create(z, `$JS.API.CONSUMER.CREATE.${ZS}.d6.${own}`, ZS, pushConfig(own, { durable_name: 'd6' }));
    expect(made).toMatchObject({ created: { name: 'd6', config: { durable_name: 'd6', filter_subject: own } } });
    // ...and so is an ephemeral on KV_causeway-global asking to outlive the zone by a year.
    const year = 365 * 24 * 3600 * 1000 * NS;
    const long = await create(z, `$JS.API.CONSUMER.CREATE.${GS}`, GS, pushConfig('$KV.causeway-global.>', { inactive_threshold: year }));
    expect(long).toMatchObject({ created: { config: { inactive_threshold: year } } });
    const longName = 'created' in long ? long.created.name : '';
    expect(await durables(ZS)).toEqual(['d6']);

    // Global's sweep deletes both (nothing else would).
    const swept = await sweepConsumers(jetstream(g));
    expect(swept.map((c) => [c.stream, c.name]).sort()).toEqual([
      [GS, longName],
      [ZS, 'd6'],
    ]);
    expect(swept.find((c) => c.name === 'd6')?.reason).toMatch(/^durable/);
    expect(swept.find((c) => c.name === longName)?.reason).toMatch(/^inactive threshold/);
    expect(await durables(ZS)).toEqual([]);
    expect((await consumers(GS)).map((c) => c.name)).not.toContain(longName);
  });

  it("keeps the sync's own watches working; their ephemeral consumers are gone once the zone disconnects", async () => {
    const z = await as('zone-1');
    const js = jetstream(z);
    const globalKeys: string[] = [];
    const w = await watchBucket({ js, bucket: GLOBAL_BUCKET, keys: '>', onChange: (c) => globalKeys.push(c.key) });
    await w.replayed;
    expect(globalKeys).toEqual(['Mesh._.default']);
    const ownKeys: string[] = [];
    const own = await watchBucket({ js, bucket: ZONES_BUCKET, keys: 'zone-1.>', onChange: (c) => ownKeys.push(c.key) });
    await own.replayed;
    expect(ownKeys).toEqual(['zone-1.Dataplane.default.web-1']);
    // Live updates arrive.
    await (await new Kvm(jetstream(g)).open(GLOBAL_BUCKET)).put('Mesh._.other', '{}');
    await (await new Kvm(js).open(ZONES_BUCKET)).put('zone-1.Dataplane.default.web-2', '{}');
    await eventually(async () => expect([globalKeys, ownKeys]).toEqual([['Mesh._.default', 'Mesh._.other'], ['zone-1.Dataplane.default.web-1', 'zone-1.Dataplane.default.web-2']]), 'live updates', 5000);

    // One consumer on each stream, ephemeral, in memory, with the 10 s inactive threshold; the sweep leaves them.
    for (const stream of [GS, ZS]) {
      const mine = await ofZone1(stream);
      expect(mine, stream).toHaveLength(1);
      expect(mine[0]?.config).toMatchObject({ inactive_threshold: WATCH_INACTIVE_THRESHOLD_MS * NS, mem_storage: true });
      expect(mine[0]?.config.durable_name).toBeUndefined();
      expect(consumerViolation(mine[0] as ConsumerInfo)).toBeUndefined();
    }
    expect(await sweepConsumers(jetstream(g))).toEqual([]);

    // The zone goes away without stopping anything: the server deletes its consumers after the threshold.
    const gone = Date.now();
    await z.close();
    await eventually(
      async () => {
        expect(await ofZone1(GS)).toEqual([]);
        expect(await ofZone1(ZS)).toEqual([]);
      },
      "zone-1's consumers deleted",
      WATCH_INACTIVE_THRESHOLD_MS + 10_000,
    );
    // Not before the threshold: the consumers did outlive the connection, but only by that much.
    expect(Date.now() - gone).toBeGreaterThanOrEqual(WATCH_INACTIVE_THRESHOLD_MS - 1000);
  }, 60_000);

  it('tells which consumers may stay on a sync stream', () => {
    const ci = (config: Record<string, unknown>) => ({ name: 'c', config }) as unknown as ConsumerInfo;
    expect(consumerViolation(ci({ inactive_threshold: 5 * NS }))).toBeUndefined();
    expect(consumerViolation(ci({ inactive_threshold: MAX_CONSUMER_INACTIVE_THRESHOLD_MS * NS }))).toBeUndefined();
    expect(consumerViolation(ci({ inactive_threshold: (MAX_CONSUMER_INACTIVE_THRESHOLD_MS + 1) * NS }))).toMatch(/^inactive threshold/);
    expect(consumerViolation(ci({}))).toBe('no inactive threshold');
    expect(consumerViolation(ci({ durable_name: 'd', inactive_threshold: 5 * NS }))).toBe('durable ("d")');
  });
});
