import { describe, expect, it } from 'vitest';
import { CausewayError } from './errors.js';
import { decodeResources, parseDocuments, substituteVars } from './yaml.js';

function refusal(fn: () => unknown): CausewayError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CausewayError) return e;
    throw e;
  }
  throw new Error('expected a CausewayError');
}

const es = (name: string) => `type: ExternalService
mesh: default
name: ${name}
tags:
  kuma.io/service: ${name}
networking:
  address: ${name}.example.com:443
`;

// line numbers below refer to this text
const DATAPLANE_IN_DOC_2 = `${es('first')}---
type: Dataplane
mesh: default
name: dp-1
networking:
  address: 10.0.0.1
  inbound:
  - port: 0
    tags:
      version: v1
`;

describe('multi-document files', () => {
  it('numbers documents 1..n and ignores an empty trailing ---', () => {
    const text = `${es('a')}---\n${es('b')}---\n${es('c')}---\n`;
    const docs = decodeResources(text);
    expect(docs.map((d) => [d.index, d.line, d.resource.name])).toEqual([
      [1, 1, 'a'],
      [2, 9, 'b'],
      [3, 17, 'c'],
    ]);
  });

  it('ignores a leading --- and comment-only documents', () => {
    const text = `---\n${es('a')}---\n# nothing here\n---\n${es('b')}`;
    expect(decodeResources(text).map((d) => [d.index, d.resource.name])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it('reads JSON too', () => {
    const docs = decodeResources('{"type": "Zone", "name": "zone-1", "enabled": false}');
    expect(docs[0]?.resource).toMatchObject({ type: 'Zone', name: 'zone-1', spec: { enabled: false } });
  });

  it('refuses an empty file', () => {
    const err = refusal(() => decodeResources('# only a comment\n', { source: 'es.yaml' }));
    expect(err.message).toBe('es.yaml: no resources found');
  });
});

describe('{{ var }} substitution', () => {
  it('replaces variables, with or without spaces inside the braces', () => {
    const text = 'type: ExternalService\nmesh: {{mesh}}\nname: {{ name }}\ntags:\n  kuma.io/service: {{ name }}\nnetworking:\n  address: {{  host }}:443\n';
    const [doc] = decodeResources(text, { vars: { mesh: 'prod', name: 'httpbin', host: 'httpbin.org' } });
    expect(doc?.resource).toMatchObject({ mesh: 'prod', name: 'httpbin', spec: { networking: { address: 'httpbin.org:443' } } });
  });

  it('a missing variable is an error that names it and its lines', () => {
    const text = 'type: Zone\nname: {{ zone }}\nlabels:\n  zone: {{ zone }}\n  env: {{ env }}\n';
    const err = refusal(() => decodeResources(text, { vars: { unused: 'x' }, source: 'zone.yaml' }));
    expect(err.code).toBe('INVALID');
    expect(err.message).toBe('zone.yaml: missing template variables "zone", "env"');
    expect(err.fields).toEqual([
      { field: '{{ zone }}', reason: 'variable "zone" is not set (lines 2, 4); pass it with -v zone=VALUE' },
      { field: '{{ env }}', reason: 'variable "env" is not set (line 5); pass it with -v env=VALUE' },
    ]);
  });

  it('substituteVars leaves text without variables alone', () => {
    expect(substituteVars('a: {b}\n', {})).toBe('a: {b}\n');
  });
});

describe('errors with document index and line', () => {
  it('a YAML syntax error names the document and the line', () => {
    // line 10 is `name: x: y`
    const text = `${es('a')}---\ntype: ExternalService\nname: x: y\nmesh: default\n`;
    const err = refusal(() => decodeResources(text, { source: 'bad.yaml' }));
    expect(err.code).toBe('INVALID');
    expect(err.message).toMatch(/^bad\.yaml: document 2, line 10: YAML syntax error: \S/);
    expect(err.fields).toEqual([{ field: 'document[2]', reason: expect.stringMatching(/^line 10, column 7: /) }]);
  });

  it('duplicate keys are an error', () => {
    const text = `${es('a')}name: again\n`;
    const err = refusal(() => decodeResources(text));
    expect(err.message).toMatch(/document 1, line 8: YAML syntax error: Map keys must be unique/);
  });

  it('a validation error in document 2 names the document and each field line', () => {
    const err = refusal(() => decodeResources(DATAPLANE_IN_DOC_2, { source: 'dp.yaml' }));
    expect(err.message).toBe('dp.yaml: document 2 (line 9): Dataplane "dp-1" is not valid');
    expect(err.fields).toEqual([
      { field: 'networking.inbound[0].port', reason: 'must be between 1 and 65535 (line 15)' },
      // the missing tag points at its closest present parent, `tags:`
      { field: 'networking.inbound[0].tags["kuma.io/service"]', reason: 'is required (line 16)' },
    ]);
  });

  it('the first document is reported as document 1', () => {
    const err = refusal(() => decodeResources(`${es('a').replace('a.example.com:443', 'a.example.com')}---\n${es('b')}`));
    expect(err.message).toMatch(/^input: document 1 \(line 1\): ExternalService "a" is not valid$/);
    expect(err.fields).toEqual([{ field: 'networking.address', reason: 'unable to parse address: must be "host:port" (line 7)' }]);
  });

  it('a document that is not a map is refused', () => {
    const err = refusal(() => decodeResources(`${es('a')}---\n- just\n- a list\n`));
    expect(err.message).toMatch(/document 2/);
    expect(err.fields).toEqual([{ field: '', reason: 'a resource must be an object (map) (line 9)' }]);
  });
});

const KUMA_NAMED = `type: MeshRetry
name: r
mesh: default
spec:
  to:
  - targetRef: {kind: Mesh}
    default:
      http:
        retryOn: [5XX]
---
type: Mesh
name: m
logging:
  backends:
  - name: file
    type: file
    conf:
      path: ""
---
type: ZoneIngress
name: zi
networking:
  port: 10001
  address: 0.0.0.0
availableServices:
- tags:
    version: v1
    kuma.io/service: ""
`;

describe('lineOf', () => {
  const [first, second] = parseDocuments(DATAPLANE_IN_DOC_2);

  it('finds keys that contain dots (tags.kuma.io/service)', () => {
    expect(first?.lineOf('tags.kuma.io/service')).toBe(5);
    expect(first?.lineOf('tags["kuma.io/service"]')).toBe(5);
    expect(first?.lineOf('tags["no/such-tag"]')).toBe(4);
    expect(first?.lineOf('tags')).toBe(4);
    expect(first?.lineOf('networking.address')).toBe(7);
  });

  it('finds list items (networking.inbound[0].port)', () => {
    expect(second?.index).toBe(2);
    expect(second?.line).toBe(9);
    expect(second?.lineOf('networking.inbound[0].port')).toBe(15);
    expect(second?.lineOf('networking.inbound[0].tags.version')).toBe(17);
    expect(second?.lineOf('networking.inbound[0].tags["version"]')).toBe(17);
    expect(second?.lineOf('networking.inbound')).toBe(14);
  });

  it("finds the fields Kuma's validators name their own way (default.conf, config, availableService)", () => {
    const [mr, mesh, zi] = parseDocuments(KUMA_NAMED);
    expect(mr?.lineOf('spec.to[0].default.conf.http.retryOn[0]')).toBe(9);
    expect(mesh?.lineOf('logging.backends[0].config.path')).toBe(18);
    expect(zi?.lineOf('availableService[0].tags["kuma.io/service"]')).toBe(28);
    expect(zi?.lineOf('networking.address.address')).toBe(24);
  });

  it('falls back to the closest parent present, or the document line', () => {
    expect(second?.lineOf('networking.inbound[3].port')).toBe(14);
    expect(second?.lineOf('networking.tls.caCert')).toBe(12);
    expect(second?.lineOf('nosuchfield')).toBe(9);
    expect(second?.lineOf('')).toBe(9);
  });
});

describe('input the YAML library would throw on', () => {
  it('an alias to no anchor, expansion past the alias budget, a merge of a non-map: INVALID or TOO_LARGE naming the document', () => {
    expect(refusal(() => decodeResources('type: Zone\nname: z\nenabled: *nowhere\n')).fields[0]?.reason).toMatch(/alias \*nowhere has no anchor/);
    const laughs = ['a0: &a0 [x]', 'a1: &a1 [*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0,*a0]', 'a2: &a2 [*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1,*a1]', 'a3: [*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2,*a2]'];
    const e = refusal(() => decodeResources(`type: Zone\nname: z\n${laughs.join('\n')}\n`));
    expect(e.code).toBe('TOO_LARGE');
    expect(e.fields[0]?.field).toBe('document[1]');
    expect(refusal(() => decodeResources('%YAML 1.1\n---\ntype: Zone\nname: z\n<<: 5\n')).code).toBe('INVALID');
  });

  it('a type given as a map is a field error, not a TypeError', () => {
    expect(refusal(() => decodeResources('type:\n  toString: true\nname: z\n')).fields.map((f) => f.field)).toContain('type');
  });

  it('thousands of unknown fields are each reported with their line, in linear time', () => {
    const text = `type: Zone\nname: z\n${Array.from({ length: 5000 }, (_, i) => `k${i}: ${i}`).join('\n')}\n`;
    const t0 = performance.now();
    const e = refusal(() => decodeResources(text));
    expect(e.fields).toHaveLength(5000);
    expect(e.fields[4999]).toEqual({ field: 'k4999', reason: 'unknown field (line 5002)' });
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});
