import { describe, expect, it } from 'vitest';
import { decodeResource } from './codec.js';
import { TYPES_WITH_UNAPPLIED_FIELDS, unappliedFields, warningText } from './descriptors.js';
import { isAppliedTargetRef, type TargetRef, targetRefNotApplied } from './policies/common.js';
import { POLICIES } from './policies/registry.js';

/** The unapplied fields of a universal document (decoded, so it must be valid). */
const fields = (doc: Record<string, unknown>) => unappliedFields(decodeResource({ ...(doc.type === 'Mesh' ? {} : { mesh: 'default' }), name: 'p', ...doc }));
const paths = (doc: Record<string, unknown>) => fields(doc).map((f) => f.field);

const mtp = (spec: Record<string, unknown>) => ({ type: 'MeshTrafficPermission', spec });
const allowFrom = (targetRef: TargetRef, action = 'Allow') => ({ targetRef, default: { action } });

describe('targetRefNotApplied', () => {
  it('agrees with isAppliedTargetRef and names the field at fault', () => {
    const cases: [TargetRef, string | undefined][] = [
      [{ kind: 'Mesh' }, undefined],
      [{ kind: 'Mesh', proxyTypes: ['Sidecar', 'Gateway'] }, undefined],
      [{ kind: 'Mesh', proxyTypes: [] }, undefined],
      [{ kind: 'MeshSubset', tags: { version: 'v1' } }, undefined],
      [{ kind: 'MeshService', name: 'web' }, undefined],
      [{ kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v1' } }, undefined],
      [{ kind: 'Dataplane', name: 'dp-1' }, 'kind'],
      [{ kind: 'MeshGateway', name: 'gw' }, 'kind'],
      [{ kind: 'MeshHTTPRoute', name: 'r' }, 'kind'],
      [{ kind: 'MeshExternalService', name: 'es' }, 'kind'],
      [{ kind: 'MeshMultiZoneService', name: 'mz' }, 'kind'],
      [{ kind: 'MeshService', labels: { app: 'web' } }, 'labels'],
      [{ kind: 'MeshService', name: 'web', sectionName: 'http' }, 'sectionName'],
      [{ kind: 'MeshService', name: 'web', namespace: 'ns' }, 'namespace'],
      [{ kind: 'Mesh', mesh: 'other' }, 'mesh'],
      [{ kind: 'Mesh', proxyTypes: ['Gateway'] }, 'proxyTypes'],
      [{ kind: 'MeshService' }, 'name'],
    ];
    for (const [ref, field] of cases) {
      expect(targetRefNotApplied(ref)?.path[0], JSON.stringify(ref)).toBe(field);
      expect(isAppliedTargetRef(ref), JSON.stringify(ref)).toBe(field === undefined);
    }
  });
});

describe('unappliedFields: MeshTrafficPermission', () => {
  it('is empty when every targetRef is applied', () => {
    expect(
      fields(mtp({ targetRef: { kind: 'MeshService', name: 'web' }, from: [allowFrom({ kind: 'Mesh' }), allowFrom({ kind: 'MeshSubset', tags: { team: 'a' } }, 'Deny')] })),
    ).toEqual([]);
    expect(fields(mtp({ from: [allowFrom({ kind: 'MeshServiceSubset', name: 'web', tags: { v: '1' } }, 'AllowWithShadowDeny')] }))).toEqual([]);
  });

  it('says a Deny whose targetRef selects nothing denies nothing', () => {
    const out = fields(mtp({ targetRef: { kind: 'Mesh' }, from: [allowFrom({ kind: 'Mesh' }), allowFrom({ kind: 'MeshService', labels: { app: 'db' } }, 'Deny')] }));
    expect(out).toHaveLength(1);
    expect(out[0]?.field).toBe('spec.from[1].targetRef.labels');
    expect(out[0]?.reason).toContain('this Deny denies nothing in Causeway');
    expect(warningText(out[0] as never)).toMatch(/^spec\.from\[1\]\.targetRef\.labels: selecting by labels is not applied/);
  });

  it('says an Allow whose targetRef selects nothing allows nothing', () => {
    const [f] = fields(mtp({ from: [allowFrom({ kind: 'MeshService', name: 'web', sectionName: 'http' })] }));
    expect(f?.field).toBe('spec.from[0].targetRef.sectionName');
    expect(f?.reason).toContain('allows nothing');
    expect(f?.reason).not.toContain('Deny');
  });

  it('says a policy whose top-level targetRef selects nothing changes no proxy, and its Denies deny nothing', () => {
    const out = fields(mtp({ targetRef: { kind: 'Dataplane', name: 'dp-1' }, from: [allowFrom({ kind: 'Mesh' }, 'Deny')] }));
    expect(out).toEqual([{ field: 'spec.targetRef.kind', reason: expect.stringContaining('changes no proxy: its Deny entries deny nothing in Causeway') }]);
    expect(paths(mtp({ targetRef: { kind: 'Mesh', proxyTypes: ['Gateway'] }, from: [allowFrom({ kind: 'Mesh' })] }))).toEqual(['spec.targetRef.proxyTypes']);
  });

  it('reports rules, and each rule that denies', () => {
    const out = fields(
      mtp({
        rules: [
          { default: { allow: [{ spiffeID: { type: 'Exact', value: 'spiffe://default/web' } }] } },
          { default: { deny: [{ spiffeID: { type: 'Prefix', value: 'spiffe://default/ns/db' } }] } },
        ],
      }),
    );
    expect(out.map((f) => f.field)).toEqual(['spec.rules', 'spec.rules[1].default.deny']);
    expect(out[0]?.reason).toContain('allows and denies nothing');
    expect(out[1]?.reason).toContain('this deny denies nothing in Causeway');
  });
});

describe('unappliedFields: MeshTimeout', () => {
  const conf = { idleTimeout: '10s' };
  it('is empty when every targetRef is applied', () => {
    expect(paths({ type: 'MeshTimeout', spec: { targetRef: { kind: 'Mesh' }, from: [{ targetRef: { kind: 'Mesh' }, default: conf }], to: [{ targetRef: { kind: 'MeshService', name: 'web' }, default: conf }] } })).toEqual([]);
  });
  it('reports each kind it does not apply, and rules', () => {
    expect(paths({ type: 'MeshTimeout', spec: { targetRef: { kind: 'MeshGateway', name: 'gw' }, to: [{ targetRef: { kind: 'Mesh' }, default: conf }] } })).toEqual(['spec.targetRef.kind']);
    expect(paths({ type: 'MeshTimeout', spec: { targetRef: { kind: 'MeshHTTPRoute', name: 'r' }, to: [{ targetRef: { kind: 'Mesh' }, default: { http: { requestTimeout: '1s' } } }] } })).toEqual([
      'spec.targetRef.kind',
    ]);
    const out = fields({
      type: 'MeshTimeout',
      spec: {
        to: [
          { targetRef: { kind: 'MeshExternalService', name: 'es' }, default: conf },
          { targetRef: { kind: 'MeshMultiZoneService', name: 'mz' }, default: conf },
          { targetRef: { kind: 'MeshHTTPRoute', name: 'r' }, default: conf },
          { targetRef: { kind: 'MeshService', name: 'web' }, default: conf },
        ],
      },
    });
    expect(out.map((f) => f.field)).toEqual(['spec.to[0].targetRef.kind', 'spec.to[1].targetRef.kind', 'spec.to[2].targetRef.kind']);
    expect(out[0]?.reason).toContain('kind MeshExternalService');
    expect(out[0]?.reason).toContain('skipped');
    expect(paths({ type: 'MeshTimeout', spec: { rules: [{ default: conf }] } })).toEqual(['spec.rules']);
  });
});

describe('unappliedFields: MeshRetry', () => {
  it('is empty for the applied fields', () => {
    expect(
      paths({
        type: 'MeshRetry',
        spec: {
          to: [
            {
              targetRef: { kind: 'Mesh' },
              default: { tcp: { maxConnectAttempt: 2 }, http: { numRetries: 1, retryOn: ['5xx'], backOff: { baseInterval: '1s' } }, grpc: { numRetries: 1 } },
            },
          ],
        },
      }),
    ).toEqual([]);
  });
  it('reports each field it does not apply, and targetRefs that select nothing', () => {
    const out = fields({
      type: 'MeshRetry',
      spec: {
        targetRef: { kind: 'Dataplane', name: 'dp-1' },
        to: [
          {
            targetRef: { kind: 'MeshExternalService', name: 'es' },
            default: {
              http: {
                rateLimitedBackOff: { resetHeaders: [{ name: 'retry-after', format: 'Seconds' }] },
                retriableRequestHeaders: [{ name: 'x-retry' }],
                retriableResponseHeaders: [{ name: 'x-retry' }],
                hostSelection: [{ predicate: 'OmitPreviousHosts' }],
                hostSelectionMaxAttempts: 3,
              },
              grpc: { rateLimitedBackOff: { resetHeaders: [{ name: 'retry-after', format: 'Seconds' }] } },
            },
          },
        ],
      },
    });
    expect(out.map((f) => f.field)).toEqual([
      'spec.targetRef.kind',
      'spec.to[0].targetRef.kind',
      'spec.to[0].default.http.rateLimitedBackOff',
      'spec.to[0].default.http.retriableRequestHeaders',
      'spec.to[0].default.http.retriableResponseHeaders',
      'spec.to[0].default.http.hostSelection',
      'spec.to[0].default.http.hostSelectionMaxAttempts',
      'spec.to[0].default.grpc.rateLimitedBackOff',
    ]);
    expect(out[0]?.reason).toContain('this policy changes no proxy');
  });
});

describe('unappliedFields: Mesh, ExternalService and the other types', () => {
  it('Mesh: the applied fields give nothing, each unapplied one a warning at its path', () => {
    expect(paths({ type: 'Mesh', mtls: { enabledBackend: 'ca', backends: [{ name: 'ca', type: 'builtin' }] }, routing: { zoneEgress: true }, networking: { outbound: { passthrough: false } } })).toEqual(
      [],
    );
    expect(paths({ type: 'Mesh', meshServices: { mode: 'Disabled' }, mtls: { skipValidation: false } })).toEqual([]);
    expect(
      paths({
        type: 'Mesh',
        mtls: { skipValidation: true, enabledBackend: 'ca', backends: [{ name: 'ca', type: 'builtin', rootChain: { requestTimeout: '5s' }, dpCert: { rotation: { expiration: '1d' }, requestTimeout: '5s' } }] },
        logging: { backends: [{ name: 'file', type: 'file', conf: { path: '/tmp/access.log' } }] },
        tracing: { backends: [{ name: 'zipkin', type: 'zipkin', conf: { url: 'http://zipkin:9411/api/v2/spans' } }] },
        metrics: { enabledBackend: 'prom', backends: [{ name: 'prom', type: 'prometheus' }] },
        constraints: { dataplaneProxy: { requirements: [{ tags: { 'kuma.io/zone': 'east' } }] } },
        meshServices: { mode: 'Exclusive' },
        skipCreatingInitialPolicies: ['*'],
        routing: { defaultForbidMeshExternalServiceAccess: true },
      }),
    ).toEqual([
      'logging',
      'tracing',
      'metrics',
      'constraints',
      'meshServices',
      'skipCreatingInitialPolicies',
      'routing.defaultForbidMeshExternalServiceAccess',
      'mtls.skipValidation',
      'mtls.backends[0].rootChain',
      'mtls.backends[0].dpCert.requestTimeout',
    ]);
  });

  it('ExternalService: skipHostnameVerification and disableHostDNSEntry', () => {
    const es = (networking: Record<string, unknown>) => ({ type: 'ExternalService', tags: { 'kuma.io/service': 'httpbin' }, networking: { address: 'httpbin.org:443', ...networking } });
    expect(paths(es({ tls: { enabled: true, serverName: 'httpbin.org' } }))).toEqual([]);
    expect(paths(es({ tls: { enabled: true, skipHostnameVerification: false }, disableHostDNSEntry: false }))).toEqual([]);
    expect(paths(es({ tls: { enabled: true, skipHostnameVerification: true }, disableHostDNSEntry: true }))).toEqual(['networking.tls.skipHostnameVerification', 'networking.disableHostDNSEntry']);
  });

  it('every policy type declares its unapplied fields; other types have none to report', () => {
    for (const p of POLICIES) expect(TYPES_WITH_UNAPPLIED_FIELDS, p.type).toContain(p.type);
    expect([...TYPES_WITH_UNAPPLIED_FIELDS].sort()).toEqual(['ExternalService', 'Mesh', ...POLICIES.map((p) => p.type)].sort());
    expect(
      unappliedFields(
        decodeResource({
          type: 'Dataplane',
          mesh: 'default',
          name: 'dp',
          networking: { address: '10.0.0.1', inbound: [{ port: 80, tags: { 'kuma.io/service': 'web' } }] },
        }),
      ),
    ).toEqual([]);
  });
});
