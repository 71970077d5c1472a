/**
 * Workload certificates: one per proxy identity (`spiffe://<mesh>/<service>` for each inbound service of
 * a Dataplane, `spiffe://<mesh>/zone-egress` for a ZoneEgress), issued by the mesh CA, cached, and
 * rotated before expiry: a certificate is renewed once less than `renewFraction` (default 1/5) of its
 * lifetime (`dpCert.rotation.expiration`, default 24h) remains, or when the mesh CA changed.
 */
import { createHash } from 'node:crypto';
import { type MeshSpec, parseDuration } from '@causeway/core';
import { enabledBackend } from './ca.js';
import { issueCertificate, type KeyPairPem } from './x509.js';

export const DEFAULT_DP_CERT_EXPIRATION = '24h';

export interface WorkloadCertificate extends KeyPairPem {
  uris: string[];
  /** When it was issued (notBefore is backdated a minute for clock skew). */
  issuedAt: Date;
  notBefore: Date;
  notAfter: Date;
  /** How many times this identity's certificate was issued (1 = first issue). */
  generation: number;
}

export function dpCertLifetimeMs(spec: MeshSpec): number {
  const text = enabledBackend(spec)?.dpCert?.rotation?.expiration ?? DEFAULT_DP_CERT_EXPIRATION;
  return parseDuration(text, { days: true }) ?? 86_400_000;
}

interface Entry {
  cert: WorkloadCertificate;
  caHash: string;
  inflight?: Promise<WorkloadCertificate>;
}

export class WorkloadCertificates {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => Date;
  private readonly renewFraction: number;

  constructor(opts: { now?: () => Date; renewFraction?: number } = {}) {
    this.now = opts.now ?? (() => new Date());
    this.renewFraction = opts.renewFraction ?? 0.2;
  }

  private static caHash(ca: KeyPairPem): string {
    return createHash('sha256').update(ca.certPem).digest('hex');
  }

  /** Whether the cached certificate of `key` must be renewed at `now`. */
  needsRenewal(key: string, at: Date = this.now()): boolean {
    const e = this.entries.get(key);
    if (!e) return true;
    const life = e.cert.notAfter.getTime() - e.cert.issuedAt.getTime();
    return e.cert.notAfter.getTime() - at.getTime() < life * this.renewFraction;
  }

  /** The earliest time a cached certificate becomes due for renewal (undefined: none cached). */
  nextRenewal(): Date | undefined {
    let min: number | undefined;
    for (const e of this.entries.values()) {
      const life = e.cert.notAfter.getTime() - e.cert.issuedAt.getTime();
      const due = e.cert.notAfter.getTime() - life * this.renewFraction;
      if (min === undefined || due < min) min = due;
    }
    return min === undefined ? undefined : new Date(min);
  }

  /** Keys whose certificates are due for renewal now. */
  due(at: Date = this.now()): string[] {
    return [...this.entries.keys()].filter((k) => this.needsRenewal(k, at));
  }

  /** The current certificate for `key` (e.g. `Dataplane/default/web-1`), issuing or renewing it when needed. */
  async get(key: string, ca: KeyPairPem, opts: { uris: string[]; lifetimeMs: number }): Promise<WorkloadCertificate> {
    const caHash = WorkloadCertificates.caHash(ca);
    const e = this.entries.get(key);
    const same = e && e.caHash === caHash && e.cert.uris.join(',') === [...opts.uris].sort().join(',');
    if (e && same && !this.needsRenewal(key)) return e.cert;
    if (e?.inflight) return e.inflight;
    const generation = (e?.cert.generation ?? 0) + 1;
    const issue = (async () => {
      const now = this.now();
      const uris = [...opts.uris].sort();
      // Backdated a minute for clock skew between the control plane and the peers.
      const notBefore = new Date(now.getTime() - 60_000);
      const notAfter = new Date(now.getTime() + opts.lifetimeMs);
      const kp = await issueCertificate(ca, { commonName: uris[0] ?? key, uris, notBefore, notAfter, usage: 'both' });
      const cert: WorkloadCertificate = { ...kp, uris, issuedAt: now, notBefore, notAfter, generation };
      this.entries.set(key, { cert, caHash });
      return cert;
    })();
    if (e) e.inflight = issue;
    else {
      const placeholder = { cert: { certPem: '', keyPem: '', uris: [], issuedAt: new Date(0), notBefore: new Date(0), notAfter: new Date(0), generation: 0 }, caHash: '', inflight: issue };
      this.entries.set(key, placeholder);
    }
    try {
      return await issue;
    } catch (err) {
      if (this.entries.get(key)?.inflight === issue) {
        if (e) {
          delete e.inflight;
          this.entries.set(key, e);
        } else this.entries.delete(key);
      }
      throw err;
    }
  }

  /** Forgets a proxy's certificate (the proxy is gone). */
  forget(key: string): void {
    this.entries.delete(key);
  }
}
