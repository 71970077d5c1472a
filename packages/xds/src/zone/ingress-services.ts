/**
 * What this zone's ZoneIngresses offer other zones (`availableServices`): computed from the zone's view
 * and written to the ZoneIngress in the store, which sync publishes to global, which relays every zone's
 * ZoneIngress to the other zones (their mesh contexts read it).
 *
 * It is the zone's own output: no context of this zone reads the available services of its own
 * ZoneIngresses. So the write is recorded in the mirror as derived, and its echo in the change feed does
 * not start another regeneration pass.
 */
import { meshMtlsEnabled, PROTOCOL_TAG, type Resource, SERVICE_TAG, ZONE_LABEL, ZONE_TAG, type ZoneIngressSpec, jsonEqual } from '@causeway/core';
import type { ResourceStore } from '@causeway/store';
import type { Logger } from 'pino';
import { proxyZone, type ZoneView } from '../context.js';
import type { StoreMirror } from './mirror.js';

export type AvailableServices = NonNullable<ZoneIngressSpec['availableServices']>;

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * What this zone's ZoneIngress offers to other zones: its mesh services (with instance counts) and,
 * for meshes that route through zone egress, the ExternalServices tagged with this zone.
 */
export function computeAvailableServices(view: ZoneView): AvailableServices {
  const out: AvailableServices = [];
  for (const m of [...view.meshes].sort(byName)) {
    const mesh = m.name;
    const counts = new Map<string, { tags: Record<string, string>; instances: number }>();
    for (const dp of view.dataplanes) {
      if (dp.mesh !== mesh) continue;
      for (const ib of dp.spec.networking.inbound ?? []) {
        const service = ib.tags[SERVICE_TAG];
        if (!service) continue;
        const c = counts.get(service) ?? { tags: { [SERVICE_TAG]: service, ...(ib.tags[PROTOCOL_TAG] ? { [PROTOCOL_TAG]: ib.tags[PROTOCOL_TAG] } : {}) }, instances: 0 };
        if (ib.health?.ready !== false) c.instances++;
        counts.set(service, c);
      }
    }
    for (const [, c] of [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) out.push({ tags: c.tags, instances: c.instances, mesh });
    if (meshMtlsEnabled(m.spec) && m.spec.routing?.zoneEgress === true) {
      const seen = new Set<string>();
      for (const es of [...view.externalServices].sort(byName)) {
        if (es.mesh !== mesh || es.spec.tags[ZONE_TAG] !== view.zone) continue;
        const service = es.spec.tags[SERVICE_TAG] as string;
        if (seen.has(service)) continue;
        seen.add(service);
        out.push({ tags: { [SERVICE_TAG]: service, [ZONE_TAG]: view.zone }, instances: 1, mesh, externalService: true });
      }
    }
  }
  return out;
}

/** A ZoneIngress of this zone (not a copy sync relayed from another zone). */
function ownIngress(zi: Resource<'ZoneIngress'>, zone: string): boolean {
  return zi.labels[ZONE_LABEL] === undefined && proxyZone(zi, zone) === zone;
}

export class IngressServices {
  constructor(
    private readonly opts: { store: ResourceStore; mirror: StoreMirror; zone: string; logger: Logger },
  ) {}

  /** What this zone offers now (for a ZoneIngress that registers). */
  current(): AvailableServices {
    return computeAvailableServices(this.opts.mirror.view());
  }

  /** Writes the available services into every ZoneIngress of this zone that does not have them yet. */
  async publish(): Promise<void> {
    const { mirror, zone } = this.opts;
    const view = mirror.view();
    const own = view.zoneIngresses.filter((zi) => ownIngress(zi, zone));
    if (own.length === 0) return; // the common case: nothing to compute
    const available = computeAvailableServices(view);
    for (const zi of own) {
      if (jsonEqual(zi.spec.availableServices ?? [], available)) continue;
      try {
        const { resource } = await this.opts.store.upsert({ ...zi, spec: { ...zi.spec, zone, availableServices: available } });
        mirror.record(resource, { derived: true });
      } catch (e) {
        this.opts.logger.warn({ ingress: zi.name, err: (e as Error).message }, 'could not update the ZoneIngress available services');
      }
    }
  }
}
