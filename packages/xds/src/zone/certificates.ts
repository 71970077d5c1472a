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
    const cert = await this.certs.get(certKey, ca, { uris, lifetimeMs: dpCertLifetimeMs(m.spec) });
    if (before) p.certRegenerations = cert.generation;
    p.certExpiry = cert.notAfter;
    return { certPem: cert.certPem, keyPem: cert.keyPem };
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
    for (const m of meshes) this.certs.forget(`${key}/${m}`);
  }
}
