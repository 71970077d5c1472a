/**
 * `causeway import`'s converter: Istio ServiceEntry / VirtualService / DestinationRule and Gloo Mesh
 * ExternalService / ExternalEndpoint documents -> Causeway ExternalService, MeshTimeout and MeshRetry,
 * plus a note for everything that did not map (or maps with a difference), naming the source document
 * and field. Pure: no I/O. Every resource it returns passed Causeway's own validation.
 */
import { type AnyResource, fromUniversal } from '@causeway/core';
import { type ImportNote, type InputDocument, isObj, type Obj, ServiceRegistry, SourceRef } from './common.js';
import { type GlooEndpoint, importGlooExternalService, readExternalEndpoint } from './gloo.js';
import { importDestinationRule, importServiceEntry, importVirtualService } from './istio.js';
import { PolicyBuilder } from './policies.js';

export interface ImportOptions {
  /** Mesh of every resource made. */
  mesh: string;
}

export interface ImportedResource {
  resource: AnyResource;
  /** The source objects it was made from: `ServiceEntry "currency-api" (003.yaml: document 1 (line 1))`. */
  from: string[];
}

export interface ImportResult {
  resources: ImportedResource[];
  notes: ImportNote[];
  /** Source objects read (documents, and the items of `kind: List` documents). */
  objects: number;
  /** Of those, the ones of a kind the importer reads. */
  recognised: number;
}

const ISTIO_GROUP = 'networking.istio.io/';
const GLOO_GROUP = 'networking.gloo.solo.io/';
const ISTIO_KINDS = ['ServiceEntry', 'VirtualService', 'DestinationRule'];
const GLOO_KINDS = ['ExternalService', 'ExternalEndpoint'];
const READS = 'causeway import reads Istio ServiceEntry, VirtualService and DestinationRule (networking.istio.io) and Gloo Mesh ExternalService and ExternalEndpoint (networking.gloo.solo.io)';

interface SourceObject {
  ref: SourceRef;
  group: 'istio' | 'gloo';
  spec: Obj;
  labels: Record<string, string>;
}

const describe = (ref: SourceRef) => `${ref.object} (${ref.where()})`;

/** The objects of one document: itself, or the items of a `kind: List`. */
function objectsOf(doc: InputDocument): { value: unknown; prefix: string }[] {
  const v = doc.value;
  if (isObj(v) && v.kind === 'List' && Array.isArray(v.items)) return v.items.map((item, i) => ({ value: item, prefix: `items[${i}].` }));
  return [{ value: doc.value, prefix: '' }];
}

export function convertDocuments(docs: InputDocument[], opts: ImportOptions): ImportResult {
  const notes: ImportNote[] = [];
  const objects: SourceObject[] = [];
  let count = 0;
  for (const doc of docs) {
    for (const { value, prefix } of objectsOf(doc)) {
      count++;
      const meta = isObj(value) && isObj(value.metadata) ? value.metadata : {};
      const name = typeof meta.name === 'string' && meta.name !== '' ? meta.name : '(no name)';
      const namespace = typeof meta.namespace === 'string' ? meta.namespace : undefined;
      const kind = isObj(value) && typeof value.kind === 'string' ? value.kind : isObj(value) && typeof value.type === 'string' ? value.type : 'document';
      const ref = new SourceRef(doc, prefix, kind, name, namespace, notes);
      if (!isObj(value)) {
        ref.notMapped('', `not a map: ${READS}`);
        continue;
      }
      const apiVersion = typeof value.apiVersion === 'string' ? value.apiVersion : '';
      if (value.kind === undefined && typeof value.type === 'string') {
        ref.notMapped('', 'already a Causeway (Kuma universal) resource: apply it with causeway apply -f');
        continue;
      }
      const group = apiVersion.startsWith(ISTIO_GROUP) && ISTIO_KINDS.includes(kind) ? 'istio' : apiVersion.startsWith(GLOO_GROUP) && GLOO_KINDS.includes(kind) ? 'gloo' : undefined;
      if (!group) {
        ref.notMapped('', `${kind}${apiVersion ? ` (${apiVersion})` : ''} is not imported: ${READS}`);
        continue;
      }
      if (name === '(no name)') ref.note('metadata.name', 'no name: the policies made from it are named "no-name"');
      if (!isObj(value.spec)) {
        ref.notMapped('spec', 'no spec (a map): nothing to import');
        continue;
      }
      const labels: Record<string, string> = {};
      if (isObj(meta.labels)) for (const [k, v] of Object.entries(meta.labels)) labels[k] = String(v);
      objects.push({ ref, group, spec: value.spec, labels });
    }
  }

  const registry = new ServiceRegistry();
  const policies = new PolicyBuilder();
  const of = (group: SourceObject['group'], kind: string) => objects.filter((o) => o.group === group && o.ref.kind === kind);

  // Addresses first, then the services (in input order), then what configures them.
  const endpoints: GlooEndpoint[] = [];
  for (const o of of('gloo', 'ExternalEndpoint')) {
    const ep = readExternalEndpoint(o.ref, o.spec, o.labels);
    if (ep) endpoints.push(ep);
  }
  const services = [];
  for (const o of objects) {
    if (o.group === 'istio' && o.ref.kind === 'ServiceEntry') services.push(...importServiceEntry(o.ref, o.spec, opts.mesh, registry));
    if (o.group === 'gloo' && o.ref.kind === 'ExternalService') services.push(...importGlooExternalService(o.ref, o.spec, opts.mesh, registry, endpoints));
  }
  for (const ep of endpoints)
    if (!ep.used) ep.ref.notMapped('', 'no ExternalService of the input selects it (by its labels): an ExternalEndpoint is imported as an address of the ExternalServices that select it');
  for (const o of of('istio', 'DestinationRule')) importDestinationRule(o.ref, o.spec, registry, policies);
  for (const o of of('istio', 'VirtualService')) importVirtualService(o.ref, o.spec, registry, policies);

  const made: { doc: Obj; from: string[]; origin: SourceRef }[] = [];
  for (const svc of services)
    for (const doc of svc.externalServices) made.push({ doc, from: [describe(svc.origin), ...(svc.tlsFrom && svc.tlsRef !== svc.origin ? [svc.tlsFrom] : [])], origin: svc.origin });
  for (const p of policies.build(opts.mesh)) made.push({ doc: p.doc, from: [describe(p.origin)], origin: p.origin });

  // Causeway's own validation has the last word: what it refuses is a note, not output.
  const resources: ImportedResource[] = [];
  for (const m of made) {
    const { resource, errors } = fromUniversal(m.doc);
    if (resource) resources.push({ resource, from: m.from });
    else
      m.origin.notMapped(
        '',
        `the ${String(m.doc.type)} "${String(m.doc.name)}" made from it is not valid in Causeway: ${errors.map((e) => `${e.field}: ${e.reason}`).join('; ')}`,
      );
  }
  return { resources, notes, objects: count, recognised: objects.length };
}
