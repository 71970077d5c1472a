/**
 * What a proxy says it is: its Dataplane / ZoneIngress / ZoneEgress from the node metadata
 * (`dataplane.resource`, universal YAML or JSON, within PROXY_METADATA_LIMITS), or a Dataplane applied
 * beforehand named by the node id `<mesh>.<name>`. Read only after the proxy's token was verified.
 */
import { CausewayError, formatBytes, fromUniversal, parseSingleDocument, PROXY_METADATA_LIMITS, type Resource, shapeError } from '@causeway/core';
import { nodeId } from '@causeway/envoy';
import * as grpc from '@grpc/grpc-js';
import { AdsError, type ConnectInfo } from '../server/ads.js';

export interface ProxyClaim {
  resource: Resource;
  proxyless: boolean;
}

/**
 * The proxy's resource and whether it is proxyless (`causeway.proxyless`); INVALID_ARGUMENT when the
 * metadata is too large, does not parse, is not a valid Dataplane / ZoneIngress / ZoneEgress, or does
 * not match the node id. `dataplanes` lists the applied Dataplanes (for a node that sent no resource).
 */
export function parseNodeMetadata(info: ConnectInfo, dataplanes: () => Resource<'Dataplane'>[]): ProxyClaim {
  const md = info.node.metadata ?? {};
  const raw = md['dataplane.resource'];
  let doc: unknown;
  if (typeof raw === 'string') {
    if (raw.length > PROXY_METADATA_LIMITS.maxTextBytes)
      throw new AdsError(
        grpc.status.INVALID_ARGUMENT,
        `node metadata "dataplane.resource" is ${formatBytes(raw.length)}; the limit is ${formatBytes(PROXY_METADATA_LIMITS.maxTextBytes)}`,
      );
    try {
      doc = parseSingleDocument(raw, { source: 'node metadata "dataplane.resource"', limits: PROXY_METADATA_LIMITS });
    } catch (e) {
      // The message names the document line and, for a limit, the limit (depth, values, aliases, size).
      const fields = e instanceof CausewayError ? e.fields.map((f) => `${f.field}: ${f.reason}`).join('; ') : '';
      throw new AdsError(grpc.status.INVALID_ARGUMENT, `${(e as Error).message.split('\n')[0]}${fields ? ` (${fields})` : ''}`);
    }
  } else if (raw && typeof raw === 'object') {
    const shape = shapeError(raw, PROXY_METADATA_LIMITS, 'dataplane.resource');
    if (shape) throw new AdsError(grpc.status.INVALID_ARGUMENT, `node metadata: ${shape.fields.map((f) => `${f.field}: ${f.reason}`).join('; ')}`);
    doc = raw;
  } else {
    // No resource sent: a Dataplane applied beforehand, found by the node id `<mesh>.<name>`.
    const id = info.node.id ?? '';
    const found = dataplanes().find((d) => `${d.mesh}.${d.name}` === id);
    if (!found) throw new AdsError(grpc.status.INVALID_ARGUMENT, `node "${id}" sent no "dataplane.resource" metadata and no Dataplane "${id}" (<mesh>.<name>) exists`);
    doc = { type: 'Dataplane', mesh: found.mesh, name: found.name, ...(found.spec as object) };
  }
  const { resource, errors } = fromUniversal(doc);
  if (!resource)
    throw new AdsError(grpc.status.INVALID_ARGUMENT, `invalid "dataplane.resource": ${errors.map((e) => `${e.field || 'resource'}: ${e.reason}`).join('; ')}`);
  if (resource.type !== 'Dataplane' && resource.type !== 'ZoneIngress' && resource.type !== 'ZoneEgress')
    throw new AdsError(grpc.status.INVALID_ARGUMENT, `"dataplane.resource" must be a Dataplane, ZoneIngress or ZoneEgress, not ${resource.type}`);
  const expectedId = nodeId(resource.type, resource.name, resource.mesh);
  if (info.node.id && info.node.id !== expectedId) throw new AdsError(grpc.status.INVALID_ARGUMENT, `node id "${info.node.id}" does not match the resource (expected "${expectedId}")`);
  return { resource, proxyless: md['causeway.proxyless'] === true || md['causeway.proxyless'] === 'true' };
}
