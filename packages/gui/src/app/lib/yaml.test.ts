import { describe, expect, it } from 'vitest';
import { toYaml } from './yaml.js';

describe('toYaml', () => {
  it("prints a resource the way the CLI's -o yaml reads", () => {
    const es = {
      type: 'ExternalService',
      mesh: 'default',
      name: 'httpbin',
      version: 3,
      tags: { 'kuma.io/service': 'httpbin', 'kuma.io/protocol': 'http', 'kuma.io/zone': 'zone-2' },
      networking: { address: 'httpbin.org:80', tls: { enabled: true, sni: '', allowRenegotiation: false } },
      list: [{ a: 1, b: 'x' }, 'plain', [], {}],
    };
    expect(toYaml(es)).toBe(
      [
        'type: ExternalService',
        'mesh: default',
        'name: httpbin',
        'version: 3',
        'tags:',
        '  kuma.io/service: httpbin',
        '  kuma.io/protocol: http',
        '  kuma.io/zone: zone-2',
        'networking:',
        '  address: httpbin.org:80',
        '  tls:',
        '    enabled: true',
        '    sni: ""',
        '    allowRenegotiation: false',
        'list:',
        '- a: 1',
        '  b: x',
        '- plain',
        '- []',
        '- {}',
        '',
      ].join('\n'),
    );
  });

  it('quotes strings YAML would read as something else', () => {
    expect(toYaml({ a: 'true', b: '80', c: 'x: y', d: '*', e: 'yes', f: '-1', g: 'line1\nline2' })).toBe(
      'a: "true"\nb: "80"\nc: "x: y"\nd: "*"\ne: "yes"\nf: "-1"\ng: |\n  line1\n  line2\n',
    );
    expect(toYaml({})).toBe('{}\n');
  });
});
