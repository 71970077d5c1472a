/**
 * The path an ExternalService call takes from each zone, derived from the data the API serves — the same
 * rules the zone control planes' generators follow (packages/xds: generate/sidecar.ts, generate/egress.ts,
 * context.ts), so the GUI draws what the proxies are configured to do:
 *
 * - ExternalServices are grouped by `kuma.io/service`: a call goes to the group, not to one resource.
 * - The mesh has a zone egress when mTLS is on AND `routing.zoneEgress: true` (without mTLS the flag has no
 *   effect). Then every call leaves through the caller zone's ZoneEgress (none running: the call fails,
 *   it never bypasses it). That egress originates to the group's ExternalServices of its own zone or of no
 *   zone (`kuma.io/zone` absent); when there are none, it passes the still-encrypted stream (SNI
 *   `<service>{mesh=<mesh>}`) to the ZoneIngress of each zone that owns one, which hands it to that zone's
 *   ZoneEgress, which terminates mTLS, checks the MeshTrafficPermissions and originates to the address.
 * - Without a zone egress the caller's sidecar originates to every ExternalService of the group itself
 *   (with `localityAwareLoadBalancing`, those of its own zone first, the others as failover).
 */
import { type ExternalService, type MeshSpec, PROTOCOL_TAG, SERVICE_TAG, ZONE_TAG } from './types.js';

export interface ZoneState {
  name: string;
  /** undefined: not known from this control plane. */
  online?: boolean;
}

export interface ProxyRef {
  name: string;
  zone: string;
}

export interface PathTopology {
  /** The zones paths are drawn from: every zone global knows, or the zone itself on a zone control plane. */
  zones: ZoneState[];
  /** ZoneIngresses of every zone (a zone control plane knows the other zones' ones: global relays them). */
  ingresses: ProxyRef[];
  /** ZoneEgresses (a zone control plane knows only its own). */
  egresses: ProxyRef[];
  /** Set on a zone control plane: the zone the data comes from (other zones' ZoneEgresses are not visible there). */
  viewFrom?: string;
}

export interface PathInput {
  mesh: string;
  meshSpec: MeshSpec;
  /** Every ExternalService of the mesh whose `kuma.io/service` is the service (the group). */
  externalServices: ExternalService[];
  topology: PathTopology;
}

export type HopKind = 'sidecar' | 'zone-egress' | 'zone-ingress' | 'external';
/** ok: running; missing: none runs (the call fails); offline: its zone control plane is offline (proxies keep their last config); unknown: not visible from here. */
export type HopStatus = 'ok' | 'missing' | 'offline' | 'unknown';

export interface Hop {
  kind: HopKind;
  zone?: string;
  /** What it is: `sidecar`, `ZoneEgress`, `ZoneIngress`, or the address. */
  label: string;
  title: string;
  /** What the hop does with the call. */
  role: string;
  /** Proxies (names) or addresses behind the hop. */
  members: string[];
  status: HopStatus;
}

export interface Link {
  /** Short text drawn on the arrow. */
  label: string;
  /** Whether the bytes on this link are encrypted. */
  encrypted: boolean;
}

export interface Route {
  /** The zone that owns the ExternalServices this route reaches through (cross-zone routes). */
  via?: string;
  hops: Hop[];
  /** links[i] joins hops[i] and hops[i + 1]. */
  links: Link[];
}

export type Verdict = 'ok' | 'degraded' | 'broken';

export interface ZonePath {
  from: string;
  fromOnline?: boolean;
  routes: Route[];
  verdict: Verdict;
  /** Why the call fails or may fail. */
  problems: string[];
  notes: string[];
}

export interface ResolvedPaths {
  service: string;
  mode: 'zone-egress' | 'direct';
  sni: string;
  /** `every zone`, or the zones named by `kuma.io/zone` tags. */
  offeredIn: 'every zone' | string[];
  notes: string[];
  paths: ZonePath[];
}

export function meshMtlsEnabled(spec: MeshSpec): boolean {
  const enabled = spec.mtls?.enabledBackend;
  return typeof enabled === 'string' && enabled !== '' && (spec.mtls?.backends ?? []).some((b) => b?.name === enabled);
}

/** The SNI of mesh traffic to a service (packages/envoy names.ts `meshSni` with no extra tags). */
export const meshSni = (service: string, mesh: string): string => `${service}{mesh=${mesh}}`;

/** The protocol the proxies use for an ExternalService (`https` means tcp + TLS). */
export function externalProtocol(es: ExternalService): string {
  const p = es.tags[PROTOCOL_TAG] ?? 'tcp';
  return p === 'https' ? 'tcp' : p;
}

function originLabel(list: ExternalService[]): Link {
  const tls = list.some((e) => e.networking.tls?.enabled);
  const protocol = list[0] ? externalProtocol(list[0]) : 'tcp';
  if (tls) {
    const sni = list.find((e) => e.networking.tls?.enabled)?.networking.tls?.sni;
    return { label: sni === '' ? `TLS origination (no SNI), ${protocol}` : `TLS origination${sni ? ` (SNI ${sni})` : ''}, ${protocol}`, encrypted: true };
  }
  return { label: `plain ${protocol}`, encrypted: false };
}

function externalHop(list: ExternalService[], role: string): Hop {
  return {
    kind: 'external',
    label: list.length === 1 ? (list[0]?.networking.address ?? '') : `${list.length} addresses`,
    title: list.length === 1 ? (list[0]?.networking.address ?? '') : `${list.length} addresses`,
    role,
    members: list.map((e) => `${e.networking.address} (${e.name}${e.tags[ZONE_TAG] ? `, zone ${e.tags[ZONE_TAG]}` : ''})`),
    status: 'ok',
  };
}

function zoneOnline(topology: PathTopology, zone: string): boolean | undefined {
  return topology.zones.find((z) => z.name === zone)?.online;
}

function proxyHop(kind: 'zone-egress' | 'zone-ingress', zone: string, topology: PathTopology, role: string): Hop {
  const list = (kind === 'zone-egress' ? topology.egresses : topology.ingresses).filter((p) => p.zone === zone).map((p) => p.name);
  const label = kind === 'zone-egress' ? 'ZoneEgress' : 'ZoneIngress';
  const title = `${label} (${zone})`;
  let status: HopStatus;
  if (list.length === 0) status = kind === 'zone-egress' && topology.viewFrom !== undefined && topology.viewFrom !== zone ? 'unknown' : 'missing';
  else status = zoneOnline(topology, zone) === false ? 'offline' : 'ok';
  return { kind, zone, label, title, role, members: list, status };
}

function verdictOf(hops: Hop[]): Verdict {
  if (hops.some((h) => h.status === 'missing')) return 'broken';
  if (hops.some((h) => h.status === 'offline' || h.status === 'unknown')) return 'degraded';
  return 'ok';
}

function problemsOf(route: Route): string[] {
  const out: string[] = [];
  for (const h of route.hops) {
    if (h.status === 'missing') out.push(`no ${h.kind === 'zone-egress' ? 'ZoneEgress' : 'ZoneIngress'} runs in ${h.zone}: calls fail (they never bypass it)`);
    if (h.status === 'offline') out.push(`${h.zone}'s control plane is offline: its proxies keep their last configuration`);
  }
  return out;
}

function notesOf(route: Route): string[] {
  return route.hops.filter((h) => h.status === 'unknown').map((h) => `${h.title} is not visible from this zone's control plane: the global GUI shows it`);
}

/** The zones an ExternalService group is offered in: its `kuma.io/zone` tags, or every zone when one has none. */
export function offeredIn(list: ExternalService[]): 'every zone' | string[] {
  if (list.length === 0 || list.some((e) => !e.tags[ZONE_TAG])) return 'every zone';
  return [...new Set(list.map((e) => e.tags[ZONE_TAG] as string))].sort();
}

/** The path from every zone of the topology to an ExternalService group. */
export function resolvePaths(input: PathInput): ResolvedPaths {
  const { mesh, meshSpec, topology } = input;
  const list = [...input.externalServices].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const service = list[0]?.tags[SERVICE_TAG] ?? '';
  const mtls = meshMtlsEnabled(meshSpec);
  const zoneEgress = mtls && meshSpec.routing?.zoneEgress === true;
  const sni = meshSni(service, mesh);
  const notes: string[] = [];
  if (meshSpec.routing?.zoneEgress && !mtls) notes.push('routing.zoneEgress is set but mTLS is off: it has no effect, sidecars call the address themselves');
  if (list.length > 1) notes.push(`${list.length} ExternalServices share kuma.io/service "${service}": calls go to the group (${list.map((e) => e.name).join(', ')})`);

  const paths: ZonePath[] = topology.zones.map((zone): ZonePath => {
    const sidecar: Hop = {
      kind: 'sidecar',
      zone: zone.name,
      label: 'sidecar',
      title: `sidecar (${zone.name})`,
      role: `outbound ${service}: ${service}.mesh and the service's host name on the builtin DNS`,
      members: [],
      status: zone.online === false ? 'offline' : 'ok',
    };
    const pathNotes: string[] = [];
    let routes: Route[];
    if (!zoneEgress) {
      const preferred = meshSpec.routing?.localityAwareLoadBalancing ? list.filter((e) => e.tags[ZONE_TAG] === zone.name) : [];
      if (preferred.length > 0 && preferred.length < list.length)
        pathNotes.push(`locality-aware: ${preferred.map((e) => e.name).join(', ')} of ${zone.name} first, the others only as failover`);
      routes = [{ hops: [sidecar, externalHop(list, 'the sidecar originates to the address itself')], links: [originLabel(list)] }];
    } else {
      const egress = proxyHop('zone-egress', zone.name, topology, '');
      const here = list.filter((e) => !e.tags[ZONE_TAG] || e.tags[ZONE_TAG] === zone.name);
      const mtlsLink: Link = { label: `mTLS, SNI ${sni}`, encrypted: true };
      if (here.length > 0) {
        egress.role = 'terminates mTLS, checks MeshTrafficPermissions, originates to the address';
        routes = [{ hops: [sidecar, egress, externalHop(here, 'reached from this zone')], links: [mtlsLink, originLabel(here)] }];
      } else {
        egress.role = `passes the stream through by SNI (owned by ${offeredIn(list) === 'every zone' ? 'another zone' : (offeredIn(list) as string[]).join(', ')})`;
        const owners = [...new Set(list.map((e) => e.tags[ZONE_TAG] as string))].sort();
        routes = owners.map((owner) => {
          const owned = list.filter((e) => e.tags[ZONE_TAG] === owner);
          const ingress = proxyHop('zone-ingress', owner, topology, 'passes the stream through by SNI to its zone egress');
          const remoteEgress = proxyHop('zone-egress', owner, topology, 'terminates mTLS, checks MeshTrafficPermissions, originates to the address');
          return {
            via: owner,
            hops: [sidecar, { ...egress }, ingress, remoteEgress, externalHop(owned, `owned by ${owner}`)],
            links: [mtlsLink, { label: 'pass-through (still mTLS)', encrypted: true }, { label: 'pass-through (still mTLS)', encrypted: true }, originLabel(owned)],
          };
        });
      }
    }
    // Several owner zones: the call fails only when every route is broken.
    const verdicts = routes.map((r) => verdictOf(r.hops));
    const verdict: Verdict = verdicts.every((v) => v === 'broken') ? 'broken' : verdicts.every((v) => v === 'ok') ? 'ok' : 'degraded';
    const problems = [...new Set(routes.flatMap(problemsOf))];
    return { from: zone.name, ...(zone.online !== undefined ? { fromOnline: zone.online } : {}), routes, verdict, problems, notes: [...pathNotes, ...new Set(routes.flatMap(notesOf))] };
  });

  return { service, mode: zoneEgress ? 'zone-egress' : 'direct', sni, offeredIn: offeredIn(list), notes, paths };
}
