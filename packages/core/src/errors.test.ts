import { describe, expect, it } from 'vitest';
import { CausewayError, conflict, HTTP_STATUS, invalid, isCausewayError, notFound } from './errors.js';
import { jsonEqual, resourceKey } from './resource.js';
import { matchesTags, parseTagFilter, tagsToString } from './selectors.js';

describe('CausewayError', () => {
  it("renders Kuma's API error body", () => {
    const err = invalid([{ field: 'networking.tls.caCert', reason: 'is not a PEM certificate' }], 'ExternalService "httpbin" is not valid');
    expect(err.status).toBe(400);
    expect(err.toApiError()).toEqual({
      title: 'Resource is not valid',
      details: 'ExternalService "httpbin" is not valid',
      invalid_parameters: [{ field: 'networking.tls.caCert', reason: 'is not a PEM certificate' }],
    });
    expect(err.describe()).toBe('ExternalService "httpbin" is not valid\n  networking.tls.caCert: is not a PEM certificate');
  });

  it('maps codes to HTTP statuses and leaves out empty invalid_parameters', () => {
    expect(notFound('no such mesh').status).toBe(404);
    expect(notFound('no such mesh').toApiError()).toEqual({ title: 'Not found', details: 'no such mesh' });
    expect(conflict('stale version').status).toBe(409);
    expect(new CausewayError('READ_ONLY', 'apply on global').status).toBe(405);
    expect(HTTP_STATUS.UNAVAILABLE).toBe(503);
  });

  it('isCausewayError checks the class and, optionally, the code', () => {
    expect(isCausewayError(notFound('x'))).toBe(true);
    expect(isCausewayError(notFound('x'), 'NOT_FOUND')).toBe(true);
    expect(isCausewayError(notFound('x'), 'CONFLICT')).toBe(false);
    expect(isCausewayError(new Error('x'))).toBe(false);
  });
});

describe('tag selectors', () => {
  it('every selector tag must match; * matches any value of a present tag', () => {
    const tags = { 'kuma.io/service': 'web', version: 'v1' };
    expect(matchesTags({ 'kuma.io/service': 'web' }, tags)).toBe(true);
    expect(matchesTags({ 'kuma.io/service': 'web', version: 'v2' }, tags)).toBe(false);
    expect(matchesTags({ version: '*' }, tags)).toBe(true);
    expect(matchesTags({ zone: '*' }, tags)).toBe(false);
    expect(matchesTags({}, tags)).toBe(true);
  });

  it('parses k:v filters whose value may contain ":"', () => {
    expect(parseTagFilter('kuma.io/service:web')).toEqual(['kuma.io/service', 'web']);
    expect(parseTagFilter('url:http://x')).toEqual(['url', 'http://x']);
    expect(parseTagFilter('novalue')).toBeUndefined();
    expect(parseTagFilter(':v')).toBeUndefined();
  });

  it('tagsToString sorts keys', () => {
    expect(tagsToString({ b: '2', a: '1' })).toBe('a=1,b=2');
  });
});

describe('resource helpers', () => {
  it('resourceKey uses _ for global-scoped resources', () => {
    expect(resourceKey({ type: 'ExternalService', mesh: 'default', name: 'httpbin' })).toBe('ExternalService/default/httpbin');
    expect(resourceKey({ type: 'Zone', name: 'zone-1' })).toBe('Zone/_/zone-1');
  });

  it('jsonEqual ignores key order and undefined values', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, x: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: null }, { a: {} })).toBe(false);
  });
});
