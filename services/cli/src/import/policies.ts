/**
 * MeshTimeout and MeshRetry from the sources that set timeouts and retries (a VirtualService, a
 * DestinationRule): one policy per source and type, for every caller (`targetRef: {kind: Mesh}`), with one
 * `to[]` entry per service (`{kind: MeshService, name: <kuma.io/service>}`).
 */
import { type ImportedService, type Obj, resourceNameFor, type SourceRef } from './common.js';

type PolicyType = 'MeshTimeout' | 'MeshRetry';

interface Pending {
  type: PolicyType;
  ref: SourceRef;
  /** service -> default */
  entries: Map<string, Obj>;
}

/** Merges b into a (nested maps merged, other values replaced). */
function merge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = typeof prev === 'object' && prev !== null && !Array.isArray(prev) && typeof v === 'object' && v !== null && !Array.isArray(v) ? merge(prev as Obj, v as Obj) : v;
  }
  return out;
}

export interface BuiltPolicy {
  doc: Obj;
  origin: SourceRef;
}

export class PolicyBuilder {
  private readonly pending: Pending[] = [];

  private add(type: PolicyType, ref: SourceRef, svc: ImportedService, conf: Obj): void {
    let p = this.pending.find((x) => x.type === type && x.ref === ref);
    if (!p) {
      p = { type, ref, entries: new Map() };
      this.pending.push(p);
    }
    p.entries.set(svc.service, merge(p.entries.get(svc.service) ?? {}, conf));
  }

  timeout(ref: SourceRef, svc: ImportedService, conf: Obj): void {
    this.add('MeshTimeout', ref, svc, conf);
  }

  retry(ref: SourceRef, svc: ImportedService, conf: Obj): void {
    this.add('MeshRetry', ref, svc, conf);
  }

  /**
   * The policies, named after their source (`currency-timeout`); when two sources of one type share a
   * name, the later one gets its kind, then its namespace, then a number appended.
   */
  build(mesh: string): BuiltPolicy[] {
    const used = new Map<PolicyType, Set<string>>();
    return this.pending.map((p) => {
      const names = used.get(p.type) ?? new Set<string>();
      used.set(p.type, names);
      const base = resourceNameFor(p.ref.name);
      const candidates = [base, resourceNameFor(`${base}-${p.ref.kind.toLowerCase()}`), ...(p.ref.namespace ? [resourceNameFor(`${base}-${p.ref.namespace}`)] : [])];
      let name = candidates.find((c) => !names.has(c));
      for (let i = 2; name === undefined; i++) if (!names.has(`${base}-${i}`)) name = `${base}-${i}`;
      names.add(name);
      const to = [...p.entries].map(([service, conf]) => ({ targetRef: { kind: 'MeshService', name: service }, default: conf }));
      return { doc: { type: p.type, mesh, name, spec: { targetRef: { kind: 'Mesh' }, to } }, origin: p.ref };
    });
  }
}
