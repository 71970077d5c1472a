import { describe, expect, it } from 'vitest';
import { parseLine, parsePrometheusText } from './prometheus-text.js';

describe('parsePrometheusText', () => {
  it('reads samples with labels, skips comments and blank lines', () => {
    const text = [
      '# TYPE envoy_cluster_upstream_rq_total counter',
      'envoy_cluster_upstream_rq_total{envoy_cluster_name="httpbin"} 12',
      '',
      'envoy_cluster_upstream_rq_xx{envoy_response_code_class="2",envoy_cluster_name="default:httpbin"} 3',
      'envoy_server_uptime{} 42',
      'up 1 1700000000000',
      '',
    ].join('\n');
    expect(parsePrometheusText(text)).toEqual({
      samples: [
        { name: 'envoy_cluster_upstream_rq_total', labels: { envoy_cluster_name: 'httpbin' }, value: 12 },
        { name: 'envoy_cluster_upstream_rq_xx', labels: { envoy_response_code_class: '2', envoy_cluster_name: 'default:httpbin' }, value: 3 },
        { name: 'envoy_server_uptime', labels: {}, value: 42 },
        { name: 'up', labels: {}, value: 1 },
      ],
      malformed: 0,
    });
  });

  it('unescapes label values and reads +Inf, NaN, floats and exponents', () => {
    expect(parseLine('m{a="x\\"y\\\\z\\nw",le="+Inf"} 1.5e3')).toEqual({ name: 'm', labels: { a: 'x"y\\z\nw', le: '+Inf' }, value: 1500 });
    expect(parseLine('m +Inf')?.value).toBe(Number.POSITIVE_INFINITY);
    expect(parseLine('m NaN')?.value).toBeNaN();
    expect(parseLine('m{a="1",} -0.25')).toEqual({ name: 'm', labels: { a: '1' }, value: -0.25 });
  });

  it('counts malformed lines instead of throwing', () => {
    const r = parsePrometheusText(['m{a="1"', 'm{a=1} 2', 'm two', '9m 1', 'm 1 2 3', 'ok 1'].join('\n'));
    expect(r.samples).toEqual([{ name: 'ok', labels: {}, value: 1 }]);
    expect(r.malformed).toBe(5);
  });

  it('parses only the metrics it is asked for', () => {
    const text = 'a{x="1"} 1\nb{x="2"} 2\nbroken{\n';
    expect(parsePrometheusText(text, (n) => n === 'b')).toEqual({ samples: [{ name: 'b', labels: { x: '2' }, value: 2 }], malformed: 0 });
  });
});
