/**
 * The zone heartbeat's `connectedProxies`, counted across replicas: the leader sends the heartbeat, but the
 * proxies are spread over every replica of the zone, which share the store. A Dataplane counts when its
 * DataplaneInsight has an open subscription (written by whichever replica serves it, merged across
 * replicas); a ZoneIngress or ZoneEgress of this zone counts while its resource is registered (a replica
 * deletes it after the grace period once its last stream closed). Resources copied from global (another
 * zone's ZoneIngress) are not this zone's proxies.
 */
import { dataplaneOnline } from '@causeway/api';
import { ORIGIN_LABEL } from '@causeway/core';
import { listAll, type ResourceStore } from '@causeway/store';

export async function connectedProxies(store: ResourceStore, zone: string): Promise<number> {
  const [insights, ingresses, egresses] = await Promise.all([listAll(store, 'DataplaneInsight'), listAll(store, 'ZoneIngress'), listAll(store, 'ZoneEgress')]);
  const local = (r: { labels: Record<string, string>; spec: { zone?: string | undefined } }) => r.labels[ORIGIN_LABEL] === undefined && (r.spec.zone === undefined || r.spec.zone === zone);
  return insights.filter((i) => dataplaneOnline(i)).length + ingresses.filter(local).length + egresses.filter(local).length;
}
