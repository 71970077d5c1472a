/**
 * VIP allocation for builtin DNS: `<service>.mesh` and every ExternalService's real host name get an
 * address from a loopback range (default 127.241.0.0/16).
 *
 * Stability without extra state: the address is derived from a hash of the name (FNV-1a over
 * `<mesh>/<name>`) into the range; names that hash to a taken slot probe linearly. Names are placed
 * in order of the time they were first seen (`since`: the creation time of the oldest resource that
 * introduces the name, which the zone's store keeps across restarts), then by name, so a name that
 * appears later never takes the address of an existing one, and a restart reproduces the same map.
 */
import { fnv1a } from './hash.js';

export interface VipName {
  name: string;
  /** RFC 3339 time the name first appeared (creation time of its oldest resource); '' when unknown. */
  since: string;
}

export interface VipRange {
  base: number;
  size: number;
}

export const DEFAULT_VIP_CIDR = '127.241.0.0/16';

export function parseCidr(cidr: string): VipRange {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) throw new Error(`"${cidr}" is not an IPv4 CIDR`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits < 8 || bits > 30) throw new Error(`"${cidr}" is not a usable IPv4 CIDR (prefix /8 to /30)`);
  const ip = ((octets[0] as number) << 24) | ((octets[1] as number) << 16) | ((octets[2] as number) << 8) | (octets[3] as number);
  const size = 2 ** (32 - bits);
  const base = (ip >>> 0) - ((ip >>> 0) % size);
  return { base, size };
}

function ipText(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Allocates one address per name (host part 0 and the broadcast address are never used). */
export function allocateVips(mesh: string, names: readonly VipName[], cidr: string = DEFAULT_VIP_CIDR): Map<string, string> {
  const { base, size } = parseCidr(cidr);
  const usable = size - 2;
  const unique = new Map<string, string>();
  for (const n of names) {
    const prev = unique.get(n.name);
    if (prev === undefined || (n.since !== '' && (prev === '' || n.since < prev))) unique.set(n.name, n.since);
  }
  const ordered = [...unique.entries()].sort(([an, as], [bn, bs]) => (as !== bs ? (as === '' ? 1 : bs === '' ? -1 : as < bs ? -1 : 1) : an < bn ? -1 : an > bn ? 1 : 0));
  if (ordered.length > usable) throw new Error(`${ordered.length} names do not fit in ${cidr}`);
  const taken = new Set<number>();
  const out = new Map<string, string>();
  for (const [name] of ordered) {
    let slot = fnv1a(`${mesh}/${name}`) % usable;
    while (taken.has(slot)) slot = (slot + 1) % usable;
    taken.add(slot);
    out.set(name, ipText(base + 1 + slot));
  }
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}
