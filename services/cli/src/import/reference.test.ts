/**
 * The public examples Causeway is built from (`../shared/reference/`, see its README), converted verbatim:
 * - 002 (Istio blog "Consuming External Web Services"): a ServiceEntry for HTTPS with its VirtualService
 *   (TLS from the app), and a ServiceEntry + DestinationRule for TLS origination by the sidecar;
 * - 003 ("External Services"): a ServiceEntry with HTTP and HTTPS ports and a VirtualService with a
 *   3 s timeout;
 * - 001 (Gloo Mesh's ExternalService / ExternalEndpoint overview) describes its examples in prose only:
 *   `testdata/gloo-001-*.yaml` writes them as Gloo Mesh documents.
 * The YAML lives in `testdata/` (copied with its source named); when the reference folder is present, the
 * copies are checked against it, so they stay verbatim.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeResources, parseDocuments } from '@causeway/core';
import { describe, expect, it } from 'vitest';
import { formatNote } from './common.js';
import { renderYaml, summary } from './command.js';
import { convertDocuments } from './convert.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const TESTDATA = fileURLToPath(new URL('./testdata/', import.meta.url));
const REFERENCE = join(ROOT, '../shared/reference');

function testdata(name: string): string {
  return readFileSync(join(TESTDATA, name), 'utf8');
}

/** A testdata file without its leading comment lines (the source citation). */
function body(name: string): string {
  const lines = testdata(name).split('\n');
  let i = 0;
  while (lines[i]?.startsWith('#')) i++;
  return lines.slice(i).join('\n');
}

function convertFile(name: string, mesh = 'default') {
  const text = testdata(name);
  const docs = parseDocuments(text, { source: name }).map((d) => ({ source: name, index: d.index, line: d.line, value: d.value, lineOf: d.lineOf }));
  const result = convertDocuments(docs, { mesh });
  return { result, yaml: renderYaml(result.resources), notes: result.notes.map(formatNote) };
}

/** The YAML of each `kubectl apply -f - <<EOF ... EOF` in a page, dedented as the page renders it. */
function heredocs(text: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/<<EOF\s*$/.test(lines[i] as string)) continue;
    const block: string[] = [];
    for (i++; i < lines.length && !/^\s*EOF\s*$/.test(lines[i] as string); i++) block.push(lines[i] as string);
    const indent = Math.min(...block.filter((l) => l.trim() !== '').map((l) => (/^ */.exec(l) as RegExpExecArray)[0].length));
    out.push(`${block.map((l) => l.slice(indent)).join('\n')}\n`);
  }
  return out;
}

function referenceFile(prefix: string): string | undefined {
  if (!existsSync(REFERENCE)) return undefined;
  const name = readdirSync(REFERENCE).find((f) => f.startsWith(prefix));
  return name ? readFileSync(join(REFERENCE, name), 'utf8') : undefined;
}

describe('the testdata copies are the reference examples verbatim', () => {
  const ref002 = referenceFile('002_');
  const ref003 = referenceFile('003_');
  it.skipIf(ref002 === undefined)('002: both heredocs', () => {
    const blocks = heredocs(ref002 as string);
    expect(blocks).toHaveLength(2);
    expect(body('istio-002-https-passthrough.yaml')).toBe(blocks[0]);
    expect(body('istio-002-tls-origination.yaml')).toBe(blocks[1]);
  });
  it.skipIf(ref003 === undefined)('003: both YAML blocks', () => {
    const blocks = [...(ref003 as string).matchAll(/```YAML\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(blocks).toHaveLength(2);
    expect(body('istio-003-currency-api.yaml')).toBe(`${blocks[0]}---\n${blocks[1]}`);
  });
  it.skipIf(!existsSync(REFERENCE))('001 holds no YAML (its examples are prose: testdata/gloo-001-*.yaml writes them out)', () => {
    const text = referenceFile('001_') as string;
    expect(text).toContain('ExternalEndpoint');
    expect(text).not.toMatch(/apiVersion:|kind: ExternalService/);
  });
});

describe('reference examples, converted', () => {
  it('002, HTTPS from the app: ServiceEntry -> a tcp ExternalService on 443; the SNI route back to the same host needs nothing', () => {
    const { result, yaml, notes } = convertFile('istio-002-https-passthrough.yaml');
    expect(yaml).toBe(
      [
        '# from ServiceEntry "googleapis" (istio-002-https-passthrough.yaml: document 1 (line 3))',
        'type: ExternalService',
        'mesh: default',
        'name: www-googleapis-com-443',
        'tags:',
        '  kuma.io/service: www-googleapis-com-443',
        '  kuma.io/protocol: tcp',
        'networking:',
        '  address: www.googleapis.com:443',
        '',
      ].join('\n'),
    );
    expect(notes).toEqual([]);
    expect(summary(result)).toBe('imported 1 resource (1 ExternalService) from 2 of 2 objects; 0 not mapped, 0 notes');
  });

  it('002, TLS origination: ServiceEntry (HTTP on 443) + DestinationRule SIMPLE -> an http ExternalService with tls.enabled', () => {
    const { yaml, notes } = convertFile('istio-002-tls-origination.yaml');
    expect(yaml).toBe(
      [
        '# from ServiceEntry "googleapis" (istio-002-tls-origination.yaml: document 1 (line 4))',
        '# from DestinationRule "originate-tls-for-googleapis" spec.trafficPolicy.portLevelSettings[0].tls (istio-002-tls-origination.yaml: document 2 (line 29))',
        'type: ExternalService',
        'mesh: default',
        'name: www-googleapis-com-443',
        'tags:',
        '  kuma.io/service: www-googleapis-com-443',
        '  kuma.io/protocol: http',
        'networking:',
        '  address: www.googleapis.com:443',
        '  tls:',
        '    enabled: true',
        '',
      ].join('\n'),
    );
    // loadBalancer ROUND_ROBIN is what Causeway does: nothing to say about it. The missing CA is worth a line.
    expect(notes).toEqual([
      'note: istio-002-tls-origination.yaml: document 2 (line 29): DestinationRule "originate-tls-for-googleapis" spec.trafficPolicy.portLevelSettings[0].tls (no CA given: Causeway verifies the server certificate only against networking.tls.caCert (Istio uses the proxy\'s system CAs): add the CA to ExternalService "www-googleapis-com-443" to verify it)',
    ]);
  });

  it('003: ServiceEntry (HTTP 80, HTTPS 443) + VirtualService timeout 3s -> two ExternalServices and a MeshTimeout for port 80', () => {
    const { result, yaml, notes } = convertFile('istio-003-currency-api.yaml', 'shop');
    expect(yaml).toBe(
      [
        '# from ServiceEntry "currency-api" (istio-003-currency-api.yaml: document 1 (line 3))',
        'type: ExternalService',
        'mesh: shop',
        'name: www-ecb-europa-eu-80',
        'tags:',
        '  kuma.io/service: www-ecb-europa-eu-80',
        '  kuma.io/protocol: http',
        'networking:',
        '  address: www.ecb.europa.eu:80',
        '---',
        '# from ServiceEntry "currency-api" (istio-003-currency-api.yaml: document 1 (line 3))',
        'type: ExternalService',
        'mesh: shop',
        'name: www-ecb-europa-eu-443',
        'tags:',
        '  kuma.io/service: www-ecb-europa-eu-443',
        '  kuma.io/protocol: tcp',
        'networking:',
        '  address: www.ecb.europa.eu:443',
        '---',
        '# from VirtualService "currency-timeout" (istio-003-currency-api.yaml: document 2 (line 18))',
        'type: MeshTimeout',
        'mesh: shop',
        'name: currency-timeout',
        'spec:',
        '  targetRef:',
        '    kind: Mesh',
        '  to:',
        '    - targetRef:',
        '        kind: MeshService',
        '        name: www-ecb-europa-eu-80',
        '      default:',
        '        http:',
        '          requestTimeout: 3s',
        '',
      ].join('\n'),
    );
    expect(notes).toEqual([
      'note: istio-003-currency-api.yaml: document 1 (line 7): ServiceEntry "currency-api" spec.resolution (NONE (the default): Istio forwards to the address the application resolved; the Causeway sidecar resolves the host name itself (as with DNS))',
      'note: istio-003-currency-api.yaml: document 2 (line 25): VirtualService "currency-timeout" spec.http (applies to the HTTP ports only: www.ecb.europa.eu:443 is HTTPS, whose requests the sidecar does not see (Istio does not apply these routes there either))',
    ]);
    expect(summary(result)).toBe('imported 3 resources (2 ExternalServices, 1 MeshTimeout) from 2 of 2 objects; 0 not mapped, 2 notes');
  });

  it('001, routing: a host called directly (TLS originated to targetPort 443), and an internal host name in front of ExternalEndpoints', () => {
    const { result, notes } = convertFile('gloo-001-routing.yaml');
    expect(result.resources.map((r) => [r.resource.name, r.resource.spec])).toEqual([
      ['httpbin-org-80', { tags: { 'kuma.io/service': 'httpbin-org-80', 'kuma.io/protocol': 'http' }, networking: { address: 'httpbin.org:443', tls: { enabled: true } } }],
      ['inventory-db-internal-example-com-5432-1', { tags: { 'kuma.io/service': 'inventory-db-internal-example-com-5432', 'kuma.io/protocol': 'tcp' }, networking: { address: '10.10.1.5:5432' } }],
      ['inventory-db-internal-example-com-5432-2', { tags: { 'kuma.io/service': 'inventory-db-internal-example-com-5432', 'kuma.io/protocol': 'tcp' }, networking: { address: '10.20.1.5:5432' } }],
    ]);
    expect(notes).toEqual([
      'note: gloo-001-routing.yaml: document 1 (line 21): ExternalService "global/httpbin" spec.ports[0].targetPort (the ExternalService\'s address is httpbin.org:443, and the sidecar listens for httpbin.org on that port: applications call httpbin.org:443 (or httpbin-org-80.mesh, port 80))',
      'note: gloo-001-routing.yaml: document 4 (line 60): ExternalService "global/inventory-db" spec.hosts[0] (the ExternalServices of inventory-db.internal.example.com:5432 point at the selected ExternalEndpoints, so the builtin DNS does not answer inventory-db.internal.example.com: applications call inventory-db-internal-example-com-5432.mesh (port 80) or a Dataplane outbound for kuma.io/service inventory-db-internal-example-com-5432)',
    ]);
  });

  it('001, egress gateway and overlapping addresses: the gateway route and the second declaration of an address are not mapped', () => {
    const { result, notes } = convertFile('gloo-001-egress-and-overlap.yaml');
    expect(result.resources.map((r) => r.resource.name)).toEqual(['api-payments-example-com-443', 'orders-db-example-com-5432']);
    expect(notes).toEqual([
      'not mapped: gloo-001-egress-and-overlap.yaml: document 1 (line 17): ExternalService "prod/payments-api" spec.ports[0].egressGatewayRoutes (Causeway sends ExternalService traffic through the zone\'s ZoneEgress when the Mesh sets routing.zoneEgress: true (mesh-wide, not per ExternalService))',
      'not mapped: gloo-001-egress-and-overlap.yaml: document 3 (line 48): ExternalService "prod/orders-db" spec.ports[0].number (orders-db.example.com:5432 is already declared by ExternalService "staging/orders-db": skipped (a host:port is one service in a mesh; to keep both, import this one into another mesh with --mesh))',
    ]);
  });

  it.each(['istio-002-https-passthrough.yaml', 'istio-002-tls-origination.yaml', 'istio-003-currency-api.yaml', 'gloo-001-routing.yaml', 'gloo-001-egress-and-overlap.yaml'])(
    '%s: the printed YAML is what causeway apply -f reads back, resource for resource',
    (name) => {
      const { result, yaml } = convertFile(name);
      const back = decodeResources(yaml, { source: 'printed' }).map((d) => d.resource);
      expect(back).toEqual(result.resources.map((r) => r.resource));
    },
  );
});
