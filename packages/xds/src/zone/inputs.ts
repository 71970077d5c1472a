/**
 * What a proxy's config is made from: per proxy type, the hash of its inputs (a proxy whose hash did not
 * change is not regenerated) and the generator call that makes its resources.
 */
import { asType, type Resource } from '@causeway/core';
import { dataplaneIdentityUris, zoneEgressSpiffeId } from '@causeway/envoy';
import type { Logger } from 'pino';
import { hashOf, type MeshContext } from '../context.js';
import type { ResourceSet } from '../generate/common.js';
import { generateEgress } from '../generate/egress.js';
import { generateIngress } from '../generate/ingress.js';
import { generateSidecar, type Identity } from '../generate/sidecar.js';
import { egressPolicyHash, sidecarPolicyHash } from '../policies/index.js';
import type { Certificates } from './certificates.js';
import type { ProxyState } from './proxies.js';

export interface ProxyInputs {
  inputHash: string;
  make: () => ResourceSet;
}

/**
 * The input hash of a sidecar: the mesh without its policies, plus the policies that can change this
 * proxy (a policy change regenerates only the proxies it selects), its own spec and certificate.
 */
export function sidecarInputHash(ctx: MeshContext, dp: Resource<'Dataplane'>, identity: Identity | undefined, proxyless: boolean): string {
  return `${ctx.baseHash}:${sidecarPolicyHash(ctx, dp)}:${ownInputHash(dp.spec, identity?.certPem ?? '', proxyless)}`;
}

/**
 * The hash of what is a proxy's own (its spec, certificate, proxyless flag), kept per spec object: a pass
 * after a change elsewhere does not serialize and hash every proxy's spec and certificate again.
 */
const ownHashes = new WeakMap<object, { certPem: string; proxyless: boolean; hash: string }>();
function ownInputHash(spec: object, certPem: string, proxyless: boolean): string {
  const known = ownHashes.get(spec);
  if (known && known.certPem === certPem && known.proxyless === proxyless) return known.hash;
  const hash = hashOf([spec, certPem, proxyless]);
  ownHashes.set(spec, { certPem, proxyless, hash });
  return hash;
}

/**
 * The inputs of proxy `p` under the current mesh contexts, its workload certificates issued (or renewed)
 * on the way; undefined when it cannot be generated yet (its mesh or the mesh CA is not here).
 */
export async function proxyInputs(p: ProxyState, contexts: Map<string, MeshContext>, certificates: Certificates, log: Logger): Promise<ProxyInputs | undefined> {
  if (p.type === 'Dataplane') {
    const ctx = contexts.get(p.mesh as string);
    if (!ctx) {
      log.warn({ proxy: p.key }, `mesh "${p.mesh}" does not exist in this zone (yet): no config`);
      return undefined;
    }
    const dp = asType(p.resource, 'Dataplane');
    let identity: Identity | undefined;
    if (ctx.mtls) {
      const uris = dataplaneIdentityUris(ctx.mesh, dp.spec);
      identity = await certificates.identity(p, ctx.mesh, uris, p.key);
      if (!identity || !ctx.caPem) {
        log.warn({ proxy: p.key }, `mesh "${ctx.mesh}" has mTLS but its CA has not reached this zone yet: waiting`);
        return undefined;
      }
    }
    return {
      inputHash: sidecarInputHash(ctx, dp, identity, p.proxyless),
      make: () => generateSidecar({ ctx, dataplane: dp, ...(identity ? { identity } : {}), proxyless: p.proxyless }),
    };
  }
  const ctxHashes = [...contexts.values()].map((c) => c.baseHash);
  if (p.type === 'ZoneIngress') {
    return { inputHash: hashOf([ctxHashes, p.resource.spec]), make: () => generateIngress({ contexts, ingress: asType(p.resource, 'ZoneIngress') }) };
  }
  const identities = new Map<string, Identity>();
  for (const ctx of contexts.values()) {
    if (!ctx.mtls) continue;
    const id = await certificates.identity(p, ctx.mesh, [zoneEgressSpiffeId(ctx.mesh)], `${p.key}/${ctx.mesh}`);
    if (id) identities.set(ctx.mesh, id);
  }
  return {
    inputHash: hashOf([ctxHashes, egressPolicyHash(contexts), p.resource.spec, [...identities.values()].map((i) => i.certPem)]),
    make: () => generateEgress({ contexts, egress: asType(p.resource, 'ZoneEgress'), identities }),
  };
}
