/**
 * Gloo Mesh (networking.gloo.solo.io/v2):
 * - ExternalService: each host x port -> one service (`kuma.io/service: <host>-<port>`, the same name an
 *   Istio ServiceEntry of that host:port gets), one ExternalService per address: the ExternalEndpoints
 *   its `selector` picks (each at its port matching `targetPort`, else the port's name or number), else
 *   the host itself at `targetPort.number` or `number`. `addresses` (IPs instead of hosts): one service per
 *   IP. `clientsideTls` -> `networking.tls` (without a `mode`: SIMPLE; on an HTTPS or TLS port the
 *   application then sends plain traffic and the sidecar originates TLS, so HTTPS becomes `http`).
 * - ExternalEndpoint: an address for the ExternalServices that select it by its labels.
 */
import { isIP } from 'node:net';
import {
  applyClientTls,
  hostPort,
  hostProblem,
  type ImportedService,
  isObj,
  list,
  requiredPorts,
  normalizeHost,
  type Obj,
  obj,
  portNumber,
  portProtocol,
  registerService,
  type ServiceRegistry,
  type SourceRef,
  setProtocol,
  str,
  strList,
} from './common.js';

const ES_FIELDS = ['hosts', 'addresses', 'ports', 'selector', 'subjectAltNames'] as const;
const ES_PORT_FIELDS = ['name', 'number', 'protocol', 'targetPort', 'clientsideTls', 'egressGatewayRoutes'] as const;
const EP_FIELDS = ['address', 'ports', 'locality'] as const;

/** An ExternalEndpoint of the input. */
export interface GlooEndpoint {
  ref: SourceRef;
  labels: Record<string, string>;
  address: string;
  ports: { name?: string; number: number }[];
  hasLocality: boolean;
  used: boolean;
}

export function readExternalEndpoint(ref: SourceRef, spec: Obj, labels: Record<string, string>): GlooEndpoint | undefined {
  ref.unknownFields(spec, 'spec', EP_FIELDS);
  const address = str(ref, spec.address, 'spec.address');
  if (address === undefined || address === '') {
    ref.notMapped('spec.address', 'no address');
    return undefined;
  }
  if (address.startsWith('unix://')) {
    ref.notMapped('spec.address', 'a Unix domain socket: Causeway ExternalServices reach host:port addresses');
    return undefined;
  }
  const problem = hostProblem(address);
  if (problem) {
    ref.notMapped('spec.address', problem);
    return undefined;
  }
  const ports: GlooEndpoint['ports'] = [];
  list(ref, spec.ports, 'spec.ports').forEach((p, i) => {
    const port = obj(ref, p, `spec.ports[${i}]`);
    if (!port) return;
    const number = portNumber(ref, port.number, `spec.ports[${i}].number`);
    const name = str(ref, port.name, `spec.ports[${i}].name`);
    if (number !== undefined) ports.push({ number, ...(name !== undefined ? { name } : {}) });
  });
  return { ref, labels, address, ports, hasLocality: spec.locality !== undefined, used: false };
}

/** The port of an endpoint for a service port: by targetPort (name or number), else by the port's name or number, else its only port. */
function endpointPort(ep: GlooEndpoint, port: { name?: string; number: number; target?: { name?: string; number?: number } }): number | undefined {
  if (port.target?.name !== undefined) return ep.ports.find((p) => p.name === port.target?.name)?.number;
  if (port.target?.number !== undefined) return ep.ports.find((p) => p.number === port.target?.number)?.number ?? port.target.number;
  return (
    (port.name !== undefined ? ep.ports.find((p) => p.name === port.name)?.number : undefined) ??
    ep.ports.find((p) => p.number === port.number)?.number ??
    (ep.ports.length === 1 ? ep.ports[0]?.number : undefined) ??
    port.number
  );
}

export function importGlooExternalService(ref: SourceRef, spec: Obj, mesh: string, registry: ServiceRegistry, endpoints: GlooEndpoint[]): ImportedService[] {
  ref.unknownFields(spec, 'spec', ES_FIELDS);
  const hosts = strList(ref, spec.hosts, 'spec.hosts');
  const ips = strList(ref, spec.addresses, 'spec.addresses');
  if (spec.subjectAltNames !== undefined)
    ref.notMapped('spec.subjectAltNames', 'Causeway checks a server certificate against the SNI (or the address host), not against a list of names');

  // Selected endpoints (an empty selector selects none).
  let selected: GlooEndpoint[] = [];
  const selector = obj(ref, spec.selector, 'spec.selector');
  if (selector && Object.keys(selector).length > 0) {
    selected = endpoints.filter((ep) => Object.entries(selector).every(([k, v]) => ep.labels[k] === String(v)));
    if (selected.length === 0)
      ref.note('spec.selector', 'no ExternalEndpoint of the input has these labels: the hosts are called by their DNS names (as Gloo Mesh does when none is selected)');
    for (const ep of selected) {
      ep.used = true;
      if (ep.hasLocality)
        ep.ref.notMapped('spec.locality', 'Causeway ExternalServices have no locality (a kuma.io/zone tag limits one to a zone)');
    }
  }

  // The names the applications call: hosts, or the IPs of `addresses`.
  const targets: { host: string; field: string }[] = [];
  hosts.forEach((h, i) => {
    const problem = hostProblem(h);
    if (problem) ref.notMapped(`spec.hosts[${i}]`, problem);
    else targets.push({ host: normalizeHost(h), field: `spec.hosts[${i}]` });
  });
  ips.forEach((a, i) => {
    const [ip, prefix] = a.split('/');
    const full = isIP(ip ?? '') === 4 ? '32' : '128';
    if (isIP(ip ?? '') === 0) ref.notMapped(`spec.addresses[${i}]`, `${JSON.stringify(a)} is not an IP address`);
    else if (prefix !== undefined && prefix !== full) ref.notMapped(`spec.addresses[${i}]`, 'a CIDR range is not one address: a Causeway ExternalService needs one host:port');
    else targets.push({ host: ip as string, field: `spec.addresses[${i}]` });
  });
  if (targets.length === 0) {
    ref.notMapped('spec', 'no hosts or addresses: nothing to import');
    return [];
  }

  const ports = requiredPorts(ref, spec.ports);
  if (ports.length === 0) return [];
  const out: ImportedService[] = [];
  for (const target of targets) {
    ports.forEach((p, pi) => {
      const field = `spec.ports[${pi}]`;
      const port = obj(ref, p, field);
      if (!port) return;
      ref.unknownFields(port, field, ES_PORT_FIELDS);
      if (port.egressGatewayRoutes !== undefined)
        ref.notMapped(
          `${field}.egressGatewayRoutes`,
          "Causeway sends ExternalService traffic through the zone's ZoneEgress when the Mesh sets routing.zoneEgress: true (mesh-wide, not per ExternalService)",
        );
      const number = portNumber(ref, port.number, `${field}.number`);
      if (number === undefined) return;
      const name = str(ref, port.name, `${field}.name`);
      let protocol = portProtocol(ref, str(ref, port.protocol, `${field}.protocol`), name, field);
      if (!protocol) return;
      const tp = obj(ref, port.targetPort, `${field}.targetPort`);
      const tport = tp
        ? {
            ...(str(ref, tp.name, `${field}.targetPort.name`) !== undefined ? { name: tp.name as string } : {}),
            ...(portNumber(ref, tp.number, `${field}.targetPort.number`) !== undefined ? { number: Number(tp.number) } : {}),
          }
        : undefined;
      const addresses: string[] = [];
      if (selected.length > 0) {
        for (const ep of selected) {
          const n = endpointPort(ep, { ...(name !== undefined ? { name } : {}), number, ...(tport ? { target: tport } : {}) });
          if (n === undefined) ep.ref.notMapped('spec.ports', `has no port named ${JSON.stringify(tport?.name)} (${ref.object} ${field}.targetPort): left out of that port's ExternalServices`);
          else addresses.push(hostPort(ep.address, n));
        }
      } else {
        if (tport?.name !== undefined && tport.number === undefined)
          ref.notMapped(`${field}.targetPort.name`, `a port name needs ExternalEndpoints to look it up: ${target.host} is called at port ${number}`);
        addresses.push(hostPort(target.host, tport?.number ?? number));
      }
      if (addresses.length === 0) return;
      // clientsideTls: the sidecar originates TLS, so the application's side of an HTTPS/TLS port is plain.
      const tls = port.clientsideTls;
      const originates = isObj(tls) && !['DISABLE', 'ISTIO_MUTUAL'].includes(String(tls.mode ?? 'SIMPLE').toUpperCase());
      if (originates && protocol.appTls) protocol = { source: protocol.source, kuma: protocol.source === 'HTTPS' ? 'http' : 'tcp', appTls: false };
      const svc = registerService(registry, ref, `${field}.number`, mesh, target.host, number, protocol, addresses);
      if (!svc) return;
      if (selected.length > 0 && isIP(target.host) === 0)
        ref.note(
          target.field,
          `the ExternalServices of ${target.host}:${number} point at the selected ExternalEndpoints, so the builtin DNS does not answer ${target.host}: applications call ${svc.service}.mesh (port 80) or a Dataplane outbound for kuma.io/service ${svc.service}`,
        );
      if (selected.length === 0 && tport?.number !== undefined && tport.number !== number)
        ref.note(
          `${field}.targetPort`,
          `the ExternalService's address is ${target.host}:${tport.number}, and the sidecar listens for ${target.host} on that port: applications call ${target.host}:${tport.number} (or ${svc.service}.mesh, port 80)`,
        );
      if (tls !== undefined) {
        applyClientTls(ref, tls, `${field}.clientsideTls`, svc, { defaultMode: 'SIMPLE', systemCas: false });
        setProtocol(svc, svc.protocol.kuma);
      }
      out.push(svc);
    });
  }
  return out;
}
