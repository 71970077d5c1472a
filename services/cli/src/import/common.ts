/**
 * What the importers share: the input documents, the notes they leave ("not mapped: <what> (<why>)"),
 * reading untyped YAML values, the services they declare (one per host:port), names, protocols and TLS.
 *
 * Everything here is pure: documents in, universal-format resources (plain objects) and notes out.
 */
import { isIP } from 'node:net';
import { isHostname, parseDuration, SERVICE_TAG } from '@causeway/core';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One parsed input document (as `parseDocuments` gives it), with the file it came from. */
export interface InputDocument {
  source: string;
  /** 1-based index in its file. */
  index: number;
  /** Line where the document starts. */
  line: number;
  value: unknown;
  /** Line of a field path (`spec.ports[0].number`), or of its closest parent present. */
  lineOf?(field: string): number;
}

export type NoteKind = 'not mapped' | 'note';

/**
 * Something of the input that did not make it into the output (`not mapped`), or that did but behaves
 * differently in Causeway (`note`). `field` is the path in the source document (`spec.exportTo`); ''
 * means the whole document.
 */
export interface ImportNote {
  kind: NoteKind;
  /** `file: document N (line L)` */
  where: string;
  /** `ServiceEntry "currency-api"` */
  object: string;
  field: string;
  reason: string;
}

/** `not mapped: 003.yaml: document 1 (line 9): ServiceEntry "currency-api" spec.exportTo (why)` */
export function formatNote(n: ImportNote): string {
  return `${n.kind}: ${n.where}: ${n.object}${n.field ? ` ${n.field}` : ''} (${n.reason})`;
}

/**
 * One source object (a document, or an item of a `kind: List`): where it is, what it is, and its notes.
 * A note with the same field and reason is recorded once, however many services it concerns.
 */
export class SourceRef {
  private readonly seen = new Set<string>();

  constructor(
    readonly doc: InputDocument,
    /** Path of the object inside the document: '' or `items[3].` */
    readonly prefix: string,
    readonly kind: string,
    readonly name: string,
    readonly namespace: string | undefined,
    private readonly notes: ImportNote[],
  ) {}

  /** `ServiceEntry "currency-api"` (with its namespace when it has one). */
  get object(): string {
    return `${this.kind} "${this.namespace ? `${this.namespace}/` : ''}${this.name}"`;
  }

  /** `003.yaml: document 1 (line 9)` for a field, or the object's own line. */
  where(field = ''): string {
    const path = `${this.prefix}${field}`.replace(/\.$/, '');
    const line = path && this.doc.lineOf ? this.doc.lineOf(path) : this.doc.line;
    return `${this.doc.source}: document ${this.doc.index} (line ${line})`;
  }

  private add(kind: NoteKind, field: string, reason: string): void {
    const key = `${kind}\u0000${field}\u0000${reason}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.notes.push({ kind, where: this.where(field), object: this.object, field, reason });
  }

  notMapped(field: string, reason: string): void {
    this.add('not mapped', field, reason);
  }

  note(field: string, reason: string): void {
    this.add('note', field, reason);
  }

  /** Notes every key of `value` not in `known` (nothing is dropped silently). */
  unknownFields(value: Obj, path: string, known: readonly string[]): void {
    for (const k of Object.keys(value)) if (!known.includes(k)) this.notMapped(`${path}.${k}`, `not a field this importer knows for ${this.kind}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Reading untyped values: a wrong type is a note naming the field, never an exception.

export function str(ref: SourceRef, v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  ref.notMapped(field, 'must be a string');
  return undefined;
}

export function list(ref: SourceRef, v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v;
  ref.notMapped(field, 'must be a list');
  return [];
}

/** A source's `spec.ports` as a list; none is reported as not mapped (an ExternalService needs host:port). */
export function requiredPorts(ref: SourceRef, ports: unknown): unknown[] {
  const out = list(ref, ports, 'spec.ports');
  if (out.length === 0) ref.notMapped('spec.ports', 'no ports: an ExternalService needs host:port');
  return out;
}

export function obj(ref: SourceRef, v: unknown, field: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (isObj(v)) return v;
  ref.notMapped(field, 'must be a map');
  return undefined;
}

export function strList(ref: SourceRef, v: unknown, field: string): string[] {
  const out: string[] = [];
  list(ref, v, field).forEach((x, i) => {
    const s = str(ref, x, `${field}[${i}]`);
    if (s !== undefined) out.push(s);
  });
  return out;
}

export function portNumber(ref: SourceRef, v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535) return n;
  ref.notMapped(field, `${JSON.stringify(v)} is not a port number (1-65535)`);
  return undefined;
}

/**
 * An Istio duration (`3s`, `1.5s`, `100ms`, `1m`) as Causeway takes it; undefined (with a note) when it
 * is not one.
 */
export function duration(ref: SourceRef, v: unknown, field: string): string | undefined {
  const s = typeof v === 'number' ? `${v}s` : str(ref, v, field);
  if (s === undefined) return undefined;
  if (parseDuration(s) === undefined) {
    ref.notMapped(field, `${JSON.stringify(s)} is not a duration Causeway reads (examples: "3s", "500ms", "1m30s")`);
    return undefined;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------
// Names.

/** A resource name from a host (or IP) and port: `www.ecb.europa.eu`, 80 -> `www-ecb-europa-eu-80`. */
export function serviceNameFor(host: string, port: number): string {
  const base = host
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${base || 'external'}-${port}`;
}

/** A Kubernetes object name as a Causeway resource name (they are already valid, almost always). */
export function resourceNameFor(name: string): string {
  const n = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '')
    .slice(0, 253);
  return n || 'imported';
}

/** Host names as the importers compare them: lower case, no trailing dot. */
export function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** `host:port` as an ExternalService address (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Why a host cannot be an ExternalService address, or undefined when it can. */
export function hostProblem(host: string): string | undefined {
  if (host.includes('*')) return 'a wildcard host is not one address: a Causeway ExternalService needs one host:port (declare each host you call)';
  if (isIP(host) === 0 && !isHostname(host)) return `${JSON.stringify(host)} is not a DNS name or IP address`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Protocols.

/** Protocols of Istio ServiceEntry / Gloo Mesh ExternalService ports. */
const HTTP_LIKE: Record<string, 'http' | 'http2' | 'grpc'> = { HTTP: 'http', HTTP2: 'http2', GRPC: 'grpc', 'GRPC-WEB': 'grpc' };
const TLS_FROM_APP = new Set(['HTTPS', 'TLS']);
const TCP_LIKE = new Set(['TCP', 'MONGO', 'MYSQL', 'REDIS']);

export interface PortProtocol {
  /** As written (upper case), or inferred from the port name. */
  source: string;
  /** `kuma.io/protocol` when the sidecar does not originate TLS. */
  kuma: 'http' | 'http2' | 'grpc' | 'tcp';
  /** The application speaks TLS itself (HTTPS, TLS). */
  appTls: boolean;
}

/**
 * A port's protocol: `protocol`, else Istio's naming convention (`http-web` is HTTP), else TCP. UDP and
 * unknown protocols are undefined (with a note).
 */
export function portProtocol(ref: SourceRef, protocol: string | undefined, name: string | undefined, field: string): PortProtocol | undefined {
  let p = protocol?.toUpperCase();
  if (p === undefined) {
    const prefix = name?.split('-')[0]?.toUpperCase();
    if (prefix && (prefix in HTTP_LIKE || TLS_FROM_APP.has(prefix) || TCP_LIKE.has(prefix))) p = prefix;
    else {
      ref.note(`${field}.protocol`, 'no protocol (and no protocol prefix in the port name): taken as TCP; if it carries HTTP, set kuma.io/protocol: http for timeouts and retries');
      p = 'TCP';
    }
  }
  const kuma = HTTP_LIKE[p];
  if (kuma) return { source: p, kuma, appTls: false };
  if (TLS_FROM_APP.has(p)) return { source: p, kuma: 'tcp', appTls: true };
  if (TCP_LIKE.has(p)) {
    if (p !== 'TCP') ref.note(`${field}.protocol`, `Causeway has no ${p} protocol: carried as TCP (kuma.io/protocol: tcp)`);
    return { source: p, kuma: 'tcp', appTls: false };
  }
  ref.notMapped(`${field}.protocol`, `protocol ${p} is not supported by Causeway ExternalServices (tcp, http, http2, grpc): port skipped`);
  return undefined;
}

export const isHttpLike = (p: string): boolean => p === 'http' || p === 'http2' || p === 'grpc';

// ---------------------------------------------------------------------------------------------------
// The services the input declares: one per host:port, each one ExternalService per address.

export interface ImportedService {
  /** Lower-case host (or IP) the applications call. */
  host: string;
  port: number;
  /** `kuma.io/service` (and the name of its ExternalService when it has one address). */
  service: string;
  protocol: PortProtocol;
  /** The ExternalService documents (universal format), one per address. */
  externalServices: Obj[];
  origin: SourceRef;
  /** Which source configured networking.tls, once one has (and where). */
  tlsFrom?: string;
  tlsRef?: SourceRef;
}

export class ServiceRegistry {
  private readonly byHost = new Map<string, ImportedService[]>();
  private readonly names = new Set<string>();

  /** `base`, or `base-2`, `base-3`, ... when another service or ExternalService has that name already. */
  allocate(base: string): string {
    let name = base;
    for (let i = 2; this.names.has(name); i++) name = `${base}-${i}`;
    this.names.add(name);
    return name;
  }

  add(s: ImportedService): void {
    const list = this.byHost.get(s.host) ?? [];
    list.push(s);
    this.byHost.set(s.host, list);
  }

  find(host: string, port: number): ImportedService | undefined {
    return this.byHost.get(normalizeHost(host))?.find((s) => s.port === port);
  }

  ofHost(host: string): ImportedService[] {
    return this.byHost.get(normalizeHost(host)) ?? [];
  }

  all(): ImportedService[] {
    return [...this.byHost.values()].flat();
  }
}

/**
 * Registers the service of `host:port` with one ExternalService per address; undefined (and a note at
 * `field`) when another source declared that host:port first.
 */
export function registerService(
  registry: ServiceRegistry,
  ref: SourceRef,
  field: string,
  mesh: string,
  host: string,
  port: number,
  protocol: PortProtocol,
  addresses: string[],
): ImportedService | undefined {
  const existing = registry.find(host, port);
  if (existing) {
    ref.notMapped(field, `${host}:${port} is already declared by ${existing.origin.object}: skipped (a host:port is one service in a mesh; to keep both, import this one into another mesh with --mesh)`);
    return undefined;
  }
  const service = registry.allocate(serviceNameFor(host, port));
  const docs = addresses.map((a, i) => externalServiceDoc(mesh, addresses.length === 1 ? service : registry.allocate(`${service}-${i + 1}`), service, protocol.kuma, a));
  const svc: ImportedService = { host, port, service, protocol, externalServices: docs, origin: ref };
  registry.add(svc);
  return svc;
}

/** An ExternalService document of a service. */
export function externalServiceDoc(mesh: string, name: string, service: string, protocol: string, address: string): Obj {
  return {
    type: 'ExternalService',
    mesh,
    name,
    tags: { [SERVICE_TAG]: service, 'kuma.io/protocol': protocol },
    networking: { address },
  };
}

// ---------------------------------------------------------------------------------------------------
// TLS origination: Istio's ClientTLSSettings (DestinationRule `tls`, Gloo Mesh `clientsideTls`).

const CLIENT_TLS_FIELDS = ['mode', 'sni', 'caCertificates', 'clientCertificate', 'privateKey', 'credentialName', 'subjectAltNames', 'insecureSkipVerify', 'caCrl'] as const;

export interface ClientTlsDialect {
  /** The mode when none is written (Istio: DISABLE; Gloo Mesh's `clientsideTls` asks for origination: SIMPLE). */
  defaultMode: 'DISABLE' | 'SIMPLE';
  /** Without a CA, the source verifies the server with the proxy's system CAs (Istio) or not at all (Gloo Mesh). */
  systemCas: boolean;
}

/** Sets `networking.tls` on a service's ExternalServices from ClientTLSSettings at `field`. */
export function applyClientTls(ref: SourceRef, tlsValue: unknown, field: string, svc: ImportedService, dialect: ClientTlsDialect): void {
  const { defaultMode } = dialect;
  const tls = obj(ref, tlsValue, field);
  if (!tls) return;
  ref.unknownFields(tls, field, CLIENT_TLS_FIELDS);
  const mode = (str(ref, tls.mode, `${field}.mode`) ?? defaultMode).toUpperCase();
  const names = svc.externalServices.map((d) => `"${d.name as string}"`).join(', ');
  if (svc.tlsFrom) {
    ref.notMapped(field, `TLS of ${svc.host}:${svc.port} is already set by ${svc.tlsFrom}`);
    return;
  }
  if (mode === 'ISTIO_MUTUAL') {
    ref.notMapped(`${field}.mode`, "ISTIO_MUTUAL is the mesh's own mTLS; an external host does not hold a mesh certificate, so no TLS is originated");
    return;
  }
  if (mode !== 'DISABLE' && mode !== 'SIMPLE' && mode !== 'MUTUAL') {
    ref.notMapped(`${field}.mode`, `unknown TLS mode ${JSON.stringify(mode)} (DISABLE, SIMPLE, MUTUAL)`);
    return;
  }
  svc.tlsFrom = `${ref.object} ${field} (${ref.where(field)})`;
  svc.tlsRef = ref;
  if (mode === 'DISABLE') {
    for (const d of svc.externalServices) (d.networking as Obj).tls = { enabled: false };
    return;
  }
  const out: Obj = { enabled: true };
  const sni = str(ref, tls.sni, `${field}.sni`);
  if (sni !== undefined) {
    if (sni === '' || isHostname(sni)) out.sni = sni;
    else ref.notMapped(`${field}.sni`, `${JSON.stringify(sni)} is not a DNS name`);
  }
  for (const d of svc.externalServices) (d.networking as Obj).tls = { ...out };

  if (svc.protocol.appTls)
    ref.note(
      field,
      `port ${svc.port} is ${svc.protocol.source}: the application already speaks TLS, and the sidecar originates TLS again over it (as Istio does); if the application sends plain HTTP, declare the port as HTTP`,
    );
  if (tls.caCertificates !== undefined)
    ref.notMapped(`${field}.caCertificates`, `a file on the Istio proxy: give the CA to ExternalService ${names} as networking.tls.caCert (inline, inlineString or secret)`);
  if (tls.credentialName !== undefined)
    ref.notMapped(
      `${field}.credentialName`,
      `a Kubernetes Secret: create Causeway Secrets from its ca.crt / tls.crt / tls.key and refer to them in networking.tls.caCert / clientCert / clientKey of ExternalService ${names}`,
    );
  if (tls.clientCertificate !== undefined || tls.privateKey !== undefined)
    ref.notMapped(
      tls.clientCertificate !== undefined ? `${field}.clientCertificate` : `${field}.privateKey`,
      `files on the Istio proxy: create Secrets with the client certificate and key and set networking.tls.clientCert: {secret: NAME} and clientKey: {secret: NAME} on ExternalService ${names}`,
    );
  if (mode === 'MUTUAL' && tls.clientCertificate === undefined && tls.credentialName === undefined)
    ref.notMapped(
      `${field}.mode`,
      `MUTUAL needs a client certificate and key: create Secrets with them and set networking.tls.clientCert: {secret: NAME} and clientKey: {secret: NAME} on ExternalService ${names} (until then no client certificate is sent)`,
    );
  if (tls.subjectAltNames !== undefined)
    ref.notMapped(`${field}.subjectAltNames`, 'Causeway checks the server certificate against the SNI (or the address host), not against a list of names');
  if (tls.caCrl !== undefined) ref.notMapped(`${field}.caCrl`, 'Causeway ExternalServices take no certificate revocation list');
  if (dialect.systemCas && tls.caCertificates === undefined && tls.credentialName === undefined && tls.insecureSkipVerify !== true)
    ref.note(
      field,
      `no CA given: Causeway verifies the server certificate only against networking.tls.caCert (Istio uses the proxy's system CAs): add the CA to ExternalService ${names} to verify it`,
    );
}

/** The `kuma.io/protocol` of a service whose sidecar originates TLS (`tls.enabled`). */
export function setProtocol(svc: ImportedService, protocol: string): void {
  for (const d of svc.externalServices) (d.tags as Obj)['kuma.io/protocol'] = protocol;
}
