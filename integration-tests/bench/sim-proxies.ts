/**
 * A proxy worker of the pipeline benchmark (a child process of `pipeline.ts`, talking over Node's IPC
 * channel: `sim-protocol.ts`). It runs the simulated proxies it is given, each one causeway-dp's own ADS
 * client (`XdsClient`, delta or state of the world, its own gRPC channel, token and node) feeding a
 * `SimProxy` sink, and reports:
 * - when each proxy has first applied what it needs to serve (`configured`);
 * - for each watch the parent registers (a Cluster held or gone, a marker in the inbound RBAC, any update
 *   since a time), when each proxy in scope first satisfied it (`reached`, batched every 20 ms);
 * - on request, the bytes and number of ADS responses received, ACKs, NACKs, reconnects, its CPU and RSS,
 *   its garbage collection pauses and its longest event-loop delay since the last marking request.
 *
 * Bytes: the client decodes responses with the shared Envoy package definition of @causeway/envoy; this
 * worker wraps that definition's response deserializers (both ADS methods) before any client exists, so
 * every serialized response is counted as it arrives. One worker serves one zone: its counters are that
 * zone's (or part of them).
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { XdsClient } from '@causeway/dataplane';
import { envoyPackageDefinition } from '@causeway/envoy';
import pino from 'pino';
import type { FromWorker, ToWorker, WatchTest, WorkerStats } from './sim-protocol.js';
import { SimProxy } from './sim-proxy.js';

if (!process.send) throw new Error('sim-proxies.ts is a worker of pipeline.ts: it needs the IPC channel (child_process.fork)');
const send = (m: FromWorker): void => {
  process.send?.(m);
};
const now = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------------
// Bytes received: count every serialized response before the client decodes it.

const received = { bytes: 0, responses: 0, lastResponseAt: 0 };
const ads = envoyPackageDefinition()['envoy.service.discovery.v3.AggregatedDiscoveryService'] as unknown as Record<string, { responseDeserialize: (b: Buffer) => unknown }>;
for (const method of ['StreamAggregatedResources', 'DeltaAggregatedResources']) {
  const m = ads[method];
  if (!m) throw new Error(`the Envoy protos have no AggregatedDiscoveryService.${method}`);
  const decode = m.responseDeserialize;
  m.responseDeserialize = (b: Buffer) => {
    received.bytes += b.length;
    received.responses++;
    received.lastResponseAt = now();
    return decode(b);
  };
}

// ---------------------------------------------------------------------------------------------------
// Proxies and watches

interface Watch {
  id: number;
  test: WatchTest;
  scope: ReadonlySet<SimProxy>;
  done: Set<SimProxy>;
  pending: number[];
}

const log = pino({ name: 'sim-proxies', level: process.env.SIM_PROXIES_LOG_LEVEL ?? 'error' }, pino.destination(2));
const proxies: SimProxy[] = [];
const clients: XdsClient[] = [];
const configuredSent = new Set<SimProxy>();
const watches = new Map<number, Watch>();
let flushScheduled = false;

function satisfies(p: SimProxy, test: WatchTest): boolean {
  if (test.kind === 'cluster') return p.hasCluster(test.name) === test.present;
  if (test.kind === 'inbound-rbac') return p.inboundRbac.includes(test.marker) === test.present;
  return p.lastUpdateAt >= test.since;
}

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setTimeout(flush, 20);
}

function flush(): void {
  flushScheduled = false;
  for (const w of watches.values()) {
    if (w.pending.length === 0) continue;
    send({ type: 'reached', id: w.id, times: w.pending });
    w.pending = [];
  }
}

function onApplied(p: SimProxy, _kind: string, at: number): void {
  if (!configuredSent.has(p) && p.configured) {
    configuredSent.add(p);
    send({ type: 'configured', name: p.name, at });
  }
  for (const w of watches.values()) {
    if (w.done.has(p) || !w.scope.has(p) || !satisfies(p, w.test)) continue;
    w.done.add(p);
    w.pending.push(at);
    scheduleFlush();
  }
}

// Pauses: garbage collection and event-loop delay, which hold up every proxy of this worker at once.
const gc = { ms: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gc.ms += e.duration;
    gc.maxMs = Math.max(gc.maxMs, e.duration);
  }
}).observe({ entryTypes: ['gc'] });
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

function stats(mark: boolean): WorkerStats {
  const cpu = process.cpuUsage();
  const pauses = { gcMs: gc.ms, gcMaxMs: gc.maxMs, loopMaxMs: loop.max / 1e6 };
  if (mark) {
    gc.maxMs = 0;
    loop.reset();
  }
  const nacks = clients.flatMap((c) => (c.status.lastNack ? [`${c.status.target}: ${c.status.lastNack.type} ${c.status.lastNack.message}`] : []));
  return {
    ...received,
    acks: clients.reduce((n, c) => n + c.status.acks, 0),
    nacks: clients.reduce((n, c) => n + c.status.nacks, 0),
    firstNacks: nacks.slice(0, 5),
    reconnects: clients.reduce((n, c) => n + c.status.reconnects, 0),
    connected: clients.filter((c) => c.status.connected).length,
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssMb: process.memoryUsage.rss() / 1024 / 1024,
    ...pauses,
  };
}

process.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'start': {
      const cas = new Map<string, Buffer>();
      for (const plan of m.proxies) {
        const ca = cas.get(plan.caFile) ?? readFileSync(plan.caFile);
        cas.set(plan.caFile, ca);
        const proxy = new SimProxy(plan.name, plan.kind, onApplied);
        const client = new XdsClient({
          target: plan.target,
          ca,
          token: plan.token,
          node: plan.node,
          proxy,
          protocol: m.protocol,
          backoff: m.backoff,
          log: log.child({ proxy: plan.name }),
        });
        proxies.push(proxy);
        clients.push(client);
      }
      for (const c of clients) c.start();
      send({ type: 'started', proxies: proxies.length });
      break;
    }
    case 'watch': {
      const scope = new Set(proxies.filter((p) => m.scope === 'all' || (m.scope === 'sidecars') === (p.kind === 'sidecar')));
      const w: Watch = { id: m.id, test: m.test, scope, done: new Set(), pending: [] };
      const at = now();
      for (const p of scope)
        if (satisfies(p, m.test)) {
          w.done.add(p);
          w.pending.push(at);
        }
      watches.set(m.id, w);
      send({ type: 'watching', id: m.id, scope: scope.size, already: w.done.size });
      scheduleFlush();
      break;
    }
    case 'unwatch':
      watches.delete(m.id);
      break;
    case 'stats':
      send({ type: 'stats', id: m.id, ...stats(m.mark === true) });
      break;
    case 'stop':
      for (const c of clients) c.stop();
      setTimeout(() => process.exit(0), 50);
      break;
  }
});
process.on('disconnect', () => {
  for (const c of clients) c.stop();
  process.exit(0);
});
send({ type: 'ready' });
