/**
 * Workload certificates of the zone's proxies, issued by their mesh's CA (as the mirror holds it): a
 * Dataplane's SPIFFE identities, a ZoneEgress's per mesh. The renewal state (what is due, when next) is
 * what the regenerator's rotation timer follows.
 */
import { dpCertLifetimeMs, WorkloadCertificates } from '@causeway/pki';
import type { Identity } from '../generate/sidecar.js';
import type { StoreMirror } from './mirror.js';
import type { ProxyState } from './proxies.js';

export class Certificates {
  private readonly certs: WorkloadCertificates;
  /** The last certificate answered per key, with the CA and URIs it was asked with. */
  private readonly last = new Map<string, { ca: object; urisKey: string; notAfter: Date; identity: Identity }>();

  constructor(
    private readonly mirror: StoreMirror,
    now: () => Date,
  ) {
    this.certs = new WorkloadCertificates({ now });
  }

  /**
   * The certificate `certKey` of proxy `p` in `mesh` (issued, or renewed when due); undefined while the
   * mesh or its CA is not in this zone. Records the expiry and renewal count on the proxy's state.
   */
  async identity(p: ProxyState, mesh: string, uris: string[], certKey: string): Promise<Identity | undefined> {
    const m = this.mirror.get('Mesh', undefined, mesh);
    if (!m) return undefined;
    const ca = this.mirror.meshCa(m);
    if (!ca) return undefined;
    const before = this.certs.needsRenewal(certKey);
    // Asked for every proxy on every pass: while the CA (the mirror's same object), the URIs and the
    // certificate are what they were and it is not due, the answer is the last one (what `get` returns
    // then too), without hashing the CA again.
    const urisKey = uris.join(',');
    const last = this.last.get(certKey);
    if (last && !before && last.ca === ca && last.urisKey === urisKey) {
      p.certExpiry = last.notAfter;
      return last.identity;
    }
    const cert = await this.certs.get(certKey, ca, { uris, lifetimeMs: dpCertLifetimeMs(m.spec) });
    if (before) p.certRegenerations = cert.generation;
    p.certExpiry = cert.notAfter;
    const identity = { certPem: cert.certPem, keyPem: cert.keyPem };
    this.last.set(certKey, { ca, urisKey, notAfter: cert.notAfter, identity });
    return identity;
  }

  /** Keys of the certificates due for renewal now. */
  due(): string[] {
    return this.certs.due();
  }

  nextRenewal(): Date | undefined {
    return this.certs.nextRenewal();
  }

  /** Forgets the certificates of a proxy: its own (`key`) and its per-mesh ones (`key/<mesh>`). */
  forget(key: string, meshes: Iterable<string> = []): void {
    this.certs.forget(key);
    this.last.delete(key);
    for (const m of meshes) {
      this.certs.forget(`${key}/${m}`);
      this.last.delete(`${key}/${m}`);
    }
  }
}
