import { describe, expect, it } from 'vitest';
import { retryPolicy } from './plugin.js';

describe('MeshRetry retry policy', () => {
  it('maps Kuma retry conditions to Envoy', () => {
    expect(
      retryPolicy({ retry_on: 'connect-failure', num_retries: 2 }, { retryOn: ['5XX', 'GatewayError', 'Reset', 'Retriable4xx', '409', 'HttpMethodPost', 'HttpMethodGet'], backOff: { maxInterval: '10ms' } }, 'http'),
    ).toEqual({
      retry_on: '5xx,gateway-error,reset,retriable-4xx,retriable-status-codes',
      num_retries: 2,
      retriable_status_codes: [409],
      retriable_request_headers: [
        { name: ':method', string_match: { exact: 'POST' } },
        { name: ':method', string_match: { exact: 'GET' } },
      ],
      // Only a maximum below the default base: raised to the base (Envoy requires max >= base).
      retry_back_off: { base_interval: '0.025s', max_interval: '0.025s' },
    });
    expect(retryPolicy(undefined, { retryOn: ['Canceled', 'DeadlineExceeded', 'Internal', 'ResourceExhausted', 'Unavailable'], numRetries: 0 }, 'grpc')).toEqual({
      retry_on: 'cancelled,deadline-exceeded,internal,resource-exhausted,unavailable',
      num_retries: 0,
    });
  });
});
