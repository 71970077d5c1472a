import { describe, expect, it } from 'vitest';
import type { RetryPolicy } from '@causeway/envoy';
import { compileRetry, retriableStatus } from './action.js';

const policy = (p: RetryPolicy) => compileRetry(p, 'retry_policy');

describe('retriableStatus (Envoy retry_on on a response)', () => {
  it('retries by status class and code as the conditions say', () => {
    expect(retriableStatus(policy({ retry_on: '5xx' }), 500)).toBe(true);
    expect(retriableStatus(policy({ retry_on: '5xx' }), 404)).toBe(false);
    expect(retriableStatus(policy({ retry_on: 'gateway-error' }), 503)).toBe(true);
    expect(retriableStatus(policy({ retry_on: 'gateway-error' }), 500)).toBe(false);
    expect(retriableStatus(policy({ retry_on: 'retriable-4xx' }), 409)).toBe(true);
    expect(retriableStatus(policy({ retry_on: 'retriable-4xx' }), 429)).toBe(false);
    expect(retriableStatus(policy({ retry_on: 'retriable-status-codes', retriable_status_codes: [418] }), 418)).toBe(true);
    expect(retriableStatus(policy({ retry_on: 'connect-failure' }), 503)).toBe(false);
  });

  it('never retries an overloaded upstream, and a rate-limited one only with envoy-ratelimited', () => {
    expect(retriableStatus(policy({ retry_on: '5xx' }), 503, ['X-Envoy-Overloaded', 'true'])).toBe(false);
    expect(retriableStatus(policy({ retry_on: '5xx' }), 429, ['x-envoy-ratelimited', 'true'])).toBe(false);
    expect(retriableStatus(policy({ retry_on: 'envoy-ratelimited' }), 429, ['X-Envoy-RateLimited', 'true'])).toBe(true);
  });

  it('reads grpc-status from a trailers-only response, whatever the case of the name', () => {
    const p = policy({ retry_on: 'unavailable,cancelled' });
    expect(retriableStatus(p, 200, ['content-type', 'application/grpc', 'Grpc-Status', '14'])).toBe(true);
    expect(retriableStatus(p, 200, ['grpc-status', '1'])).toBe(true);
    expect(retriableStatus(p, 200, ['grpc-status', '13'])).toBe(false);
    expect(retriableStatus(p, 200, ['content-type', 'application/grpc'])).toBe(false);
  });

  it('matches retriable_headers against the whole response header object (repeats joined)', () => {
    const p = policy({ retry_on: 'retriable-headers', retriable_headers: [{ name: 'x-upstream-busy', string_match: { exact: 'yes' } }, { name: 'x-multi', string_match: { contains: 'b' } }] });
    expect(retriableStatus(p, 200, ['X-Upstream-Busy', 'yes'])).toBe(true);
    expect(retriableStatus(p, 200, ['x-upstream-busy', 'no'])).toBe(false);
    expect(retriableStatus(p, 200, ['x-multi', 'a', 'x-multi', 'b'])).toBe(true);
    expect(retriableStatus(p, 200, [])).toBe(false);
  });
});
