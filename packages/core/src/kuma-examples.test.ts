/**
 * Acceptance: every universal YAML example of Kuma's ExternalService documentation decodes and
 * validates (testdata/*.yaml, verbatim), and the TLS data-source rules around them hold.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { descriptorOf } from './descriptors.js';
import { CausewayError } from './errors.js';
import type { ExternalServiceSpec } from './resources/external-service.js';
import type { DataplaneSpec } from './resources/dataplane.js';
import { decodeResources } from './yaml.js';

const fixture = (name: string) => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');
const CA_PEM = fixture('ca.pem');
const CLIENT_PEM = fixture('client.pem');
const CLIENT_KEY_PEM = fixture('client-key.pem');
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The docs' `caCert.inline` value: a truncated placeholder, not a certificate. */
const PLACEHOLDER = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t...';
const HTTPS_EXAMPLE = fixture('external-service-https.yaml');
const HTTPS_WITH_REAL_CA = HTTPS_EXAMPLE.replace(PLACEHOLDER, b64(CA_PEM));

function decodeError(text: string): CausewayError {
  try {
    decodeResources(text);
  } catch (e) {
    if (e instanceof CausewayError) return e;
    throw e;
  }
  throw new Error('expected the text to be refused');
}

describe("Kuma's ExternalService examples", () => {
  it('the HTTPS example applied verbatim is refused on networking.tls.caCert only (placeholder CA)', () => {
    const err = decodeError(HTTPS_EXAMPLE);
    expect(err.code).toBe('INVALID');
    expect(err.fields.map((f) => f.field)).toEqual(['networking.tls.caCert']);
    expect(err.fields[0]?.reason).toMatch(/base64/);
    expect(err.fields[0]?.reason).toMatch(/\(line 13\)$/);
    expect(err.message).toContain('document 1');
    expect(err.toApiError().invalid_parameters).toEqual([{ field: 'networking.tls.caCert', reason: err.fields[0]?.reason }]);
  });

  it('the HTTPS example with a real base64 CA in place of the placeholder validates', () => {
    expect(HTTPS_WITH_REAL_CA).not.toContain(PLACEHOLDER);
    const [doc, ...rest] = decodeResources(HTTPS_WITH_REAL_CA);
    expect(rest).toEqual([]);
    expect(doc?.index).toBe(1);
    const r = doc!.resource;
    expect(r).toMatchObject({ type: 'ExternalService', mesh: 'default', name: 'httpbin', labels: {}, version: 0 });
    const spec = r.spec as ExternalServiceSpec;
    expect(spec.tags).toEqual({ 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http' });
    expect(spec.networking.address).toBe('httpbin.org:443');
    expect(spec.networking.tls).toEqual({
      enabled: true,
      allowRenegotiation: false,
      sni: 'httpbin.org',
      caCert: { inline: b64(CA_PEM) },
      clientCert: { secret: 'clientCert' },
      clientKey: { secret: 'clientKey' },
    });
  });

  it('the HTTPS example references its clientCert/clientKey Secrets (checked by the store, not here)', () => {
    const spec = decodeResources(HTTPS_WITH_REAL_CA)[0]!.resource.spec as ExternalServiceSpec;
    expect(descriptorOf('ExternalService').references(spec)).toEqual([
      { type: 'Secret', name: 'clientCert', field: 'networking.tls.clientCert' },
      { type: 'Secret', name: 'clientKey', field: 'networking.tls.clientKey' },
    ]);
  });

  it('the Dataplane redis-dp example validates', () => {
    const [doc] = decodeResources(fixture('dataplane-redis-dp.yaml'));
    expect(doc?.resource).toMatchObject({ type: 'Dataplane', mesh: 'default', name: 'redis-dp' });
    const spec = doc!.resource.spec as DataplaneSpec;
    expect(spec.networking).toEqual({
      address: '127.0.0.1',
      inbound: [{ port: 9000, tags: { 'kuma.io/service': 'redis' } }],
      outbound: [{ port: 10000, tags: { 'kuma.io/service': 'httpbin' } }],
    });
  });

  it('the zone-1 / zone-2 pair decodes as two documents', () => {
    const docs = decodeResources(fixture('external-service-zones.yaml'));
    expect(docs.map((d) => [d.index, d.line, d.resource.name])).toEqual([
      [1, 1, 'httpbin-for-zone-1'],
      [2, 11, 'httpbin-for-zone-2'],
    ]);
    expect(docs.map((d) => (d.resource.spec as ExternalServiceSpec).tags['kuma.io/zone'])).toEqual(['zone-1', 'zone-2']);
    expect(docs.map((d) => (d.resource.spec as ExternalServiceSpec).networking.address)).toEqual(['zone-1.httpbin.org:80', 'zone-2.httpbin.org:80']);
  });

  it('the tcp + tls.enabled: false example validates', () => {
    const [doc] = decodeResources(fixture('external-service-tcp-tls-disabled.yaml'));
    expect(doc?.resource.name).toBe('example');
    expect(doc?.resource.spec).toEqual({
      tags: { 'kuma.io/service': 'example', 'kuma.io/protocol': 'tcp' },
      networking: { address: 'example.com:443', tls: { enabled: false } },
    });
  });

  it('the zone-2-only example (one-space indentation) validates', () => {
    const [doc] = decodeResources(fixture('external-service-zone-2-only.yaml'));
    expect(doc?.resource.name).toBe('httpbin-only-in-zone-2');
    expect(doc?.resource.spec).toEqual({
      tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http', 'kuma.io/zone': 'zone-2' },
      networking: { address: 'httpbin.org:80' },
    });
  });
});

describe('ExternalService TLS data sources', () => {
  /** The HTTPS example with its `tls:` block replaced. */
  function withTls(tls: string): string {
    const head = HTTPS_EXAMPLE.slice(0, HTTPS_EXAMPLE.indexOf('  tls:'));
    return `${head}  tls:\n${tls
      .split('\n')
      .map((l) => (l === '' ? l : `    ${l}`))
      .join('\n')}\n`;
  }
  const indentBlock = (pem: string) =>
    pem
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n');
  const fieldsOf = (text: string) => decodeError(text).fields.map((f) => f.field);

  it('sni: "" is valid and kept as an empty string (send no SNI)', () => {
    const [doc] = decodeResources(withTls(`enabled: true\nsni: ""\ncaCert:\n  inline: ${b64(CA_PEM)}`));
    expect((doc!.resource.spec as ExternalServiceSpec).networking.tls?.sni).toBe('');
  });

  it('inlineString with real PEM is valid for caCert, clientCert and clientKey', () => {
    const text = withTls(
      `enabled: true\ncaCert:\n  inlineString: |\n${indentBlock(indentBlock(CA_PEM))}\nclientCert:\n  inlineString: |\n${indentBlock(indentBlock(CLIENT_PEM))}\nclientKey:\n  inlineString: |\n${indentBlock(indentBlock(CLIENT_KEY_PEM))}`,
    );
    const tls = (decodeResources(text)[0]!.resource.spec as ExternalServiceSpec).networking.tls;
    expect(tls?.caCert?.inlineString).toBe(CA_PEM);
    expect(tls?.clientCert?.inlineString).toBe(CLIENT_PEM);
    expect(tls?.clientKey?.inlineString).toBe(CLIENT_KEY_PEM);
    expect(descriptorOf('ExternalService').references(decodeResources(text)[0]?.resource.spec as ExternalServiceSpec)).toEqual([]);
  });

  it('inline (base64) client certificate and key are valid', () => {
    const text = withTls(`enabled: true\nclientCert:\n  inline: ${b64(CLIENT_PEM)}\nclientKey:\n  inline: ${b64(CLIENT_KEY_PEM)}`);
    expect(decodeResources(text)).toHaveLength(1);
  });

  it('clientCert without clientKey fails on networking.tls.clientKey', () => {
    expect(fieldsOf(withTls(`enabled: true\nclientCert:\n  secret: clientCert`))).toEqual(['networking.tls.clientKey']);
  });

  it('clientKey without clientCert fails on networking.tls.clientCert', () => {
    expect(fieldsOf(withTls(`enabled: true\nclientKey:\n  secret: clientKey`))).toEqual(['networking.tls.clientCert']);
  });

  it('a key where a certificate belongs (and the reverse) is refused on that field', () => {
    const text = withTls(`clientCert:\n  inline: ${b64(CLIENT_KEY_PEM)}\nclientKey:\n  inline: ${b64(CLIENT_PEM)}`);
    const err = decodeError(text);
    expect(err.fields.map((f) => f.field)).toEqual(['networking.tls.clientCert', 'networking.tls.clientKey']);
    expect(err.fields[0]?.reason).toMatch(/not a PEM certificate/);
    expect(err.fields[1]?.reason).toMatch(/not a PEM private key/);
  });
});
