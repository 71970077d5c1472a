/**
 * `causeway inspect external-service NAME [-m MESH] [-o table|json|yaml]`: the traffic to one
 * ExternalService (`GET /meshes/{mesh}/external-services/{name}/stats` and `/callers`) — in total and per
 * zone (what the zone's sidecars sent, what its egresses sent) over the last 5 minutes and hour, then the
 * calling services per zone. On global it covers every zone; on a zone control plane that zone.
 */
import type { CausewayClient } from '@causeway/client';
import type { CallerStats, ExternalServiceCallers, ExternalServiceStats, WindowedStats, WindowStats } from '@causeway/core';
import { stringify } from 'yaml';
import { age, renderTable } from './format.js';
import type { OutputFormat } from './get.js';
import type { CliIo } from './io.js';

/** The spellings `inspect` takes for one ExternalService. */
export const EXTERNAL_SERVICE_VIEWS = new Set(['external-service', 'external-services', 'externalservice', 'externalservices', 'es']);

export interface InspectExternalServiceOptions {
  mesh?: string;
  output: OutputFormat;
}

/** A number with at most `digits` decimals, without trailing zeros. */
function num(v: number, digits = 3): string {
  return String(Math.round(v * 10 ** digits) / 10 ** digits);
}

function percent(v: number | null): string {
  return v === null ? '-' : `${num(v * 100, 2)}%`;
}

function ms(v: number | null): string {
  return v === null ? '-' : num(v, 1);
}

function bytesPerSecond(v: number): string {
  if (v >= 1024 * 1024) return `${num(v / 1024 / 1024, 1)} MiB/s`;
  if (v >= 1024) return `${num(v / 1024, 1)} KiB/s`;
  return `${num(v, 1)} B/s`;
}

const TRAFFIC_HEADERS = ['ZONE', 'PROXIES', 'WINDOW', 'REQUESTS', 'REQ/S', '2XX', '4XX', '5XX', 'ERROR RATE', 'P50 MS', 'P99 MS', 'IN', 'OUT', 'ACTIVE CX', 'RBAC DENIED'];

function trafficRow(zone: string, proxies: string, w: WindowStats): string[] {
  return [
    zone,
    proxies,
    w.window,
    String(w.requests),
    num(w.requestsPerSecond),
    String(w.responses['2xx']),
    String(w.responses['4xx']),
    String(w.responses['5xx']),
    percent(w.errorRate),
    ms(w.latencyMs.p50),
    ms(w.latencyMs.p99),
    bytesPerSecond(w.bytes.receivedPerSecond),
    bytesPerSecond(w.bytes.sentPerSecond),
    String(w.connections.active),
    String(w.rbacDenied),
  ];
}

const quiet = (w: WindowedStats) => w['1h'].requests === 0 && w['1h'].connections.opened === 0 && w['1h'].connections.active === 0 && w['1h'].bytes.sent === 0 && w['1h'].rbacDenied === 0;

/** The stats and callers as text tables. */
export function renderExternalServiceInsight(stats: ExternalServiceStats, callers: ExternalServiceCallers, now: number): string {
  const out: string[] = [];
  out.push(`ExternalService ${stats.externalService} (mesh ${stats.mesh}, kuma.io/service ${stats.service}), at ${stats.time}\n`);

  const sidecars: string[][] = [...trafficRows('total', '', stats.total)];
  const egresses: string[][] = [];
  for (const z of stats.zones) {
    const updated = z.updated ? ` (${age(z.updated, now)} ago)` : '';
    if (z.proxies.sidecars > 0 || !quiet(z.sidecars)) sidecars.push(...trafficRows(`${z.zone}${updated}`, String(z.proxies.sidecars), z.sidecars));
    if (z.proxies.egresses > 0 || !quiet(z.egresses)) egresses.push(...trafficRows(`${z.zone}${updated}`, String(z.proxies.egresses), z.egresses));
  }
  out.push('\nCalls by the services of each zone (at their sidecars):\n');
  out.push(renderTable(TRAFFIC_HEADERS, sidecars));
  if (egresses.length > 0) {
    out.push('\nSent by the ZoneEgresses of each zone:\n');
    out.push(renderTable(TRAFFIC_HEADERS, egresses));
  }
  if (stats.zones.every((z) => quiet(z.sidecars) && quiet(z.egresses))) out.push('\nNo traffic in the last hour.\n');

  out.push('\nCallers:\n');
  if (callers.items.length === 0) out.push('none in the last hour\n');
  else
    out.push(
      renderTable(
        ['ZONE', 'SERVICE', 'PROXIES', 'REQUESTS 5M', 'REQ/S 5M', 'REQUESTS 1H', 'REQ/S 1H', 'ERROR RATE 1H', '403 1H'],
        callers.items.map((c: CallerStats) => [
          c.zone,
          c.service,
          String(c.proxies),
          String(c['5m'].requests),
          num(c['5m'].requestsPerSecond),
          String(c['1h'].requests),
          num(c['1h'].requestsPerSecond),
          percent(c['1h'].errorRate),
          String(c['1h'].forbidden),
        ]),
      ),
    );
  return out.join('');
}

function trafficRows(zone: string, proxies: string, w: WindowedStats): string[][] {
  return [trafficRow(zone, proxies, w['5m']), trafficRow('', '', w['1h'])];
}

export async function inspectExternalServiceCommand(client: CausewayClient, name: string, opts: InspectExternalServiceOptions, io: CliIo): Promise<void> {
  const mesh = opts.mesh ?? 'default';
  const [stats, callers] = await Promise.all([client.externalServiceStats(mesh, name), client.externalServiceCallers(mesh, name)]);
  if (opts.output === 'json') io.stdout(`${JSON.stringify({ stats, callers }, null, 2)}\n`);
  else if (opts.output === 'yaml') io.stdout(stringify({ stats, callers }, { lineWidth: 0 }));
  else io.stdout(renderExternalServiceInsight(stats, callers, io.now()));
}
