import { Async, Badge, Code, Empty, KeyValues, Link, PageHeader, Section, Stat, Table } from '../components/ui.js';
import { useData } from '../hooks.js';
import { seg } from '../lib/api.js';
import { meshMtlsEnabled } from '../lib/path.js';
import { hrefOf } from '../lib/router.js';
import type { Mesh, MeshInsight } from '../lib/types.js';

export function MeshesView() {
  const state = useData(async (api, signal) => {
    const [meshes, insights] = await Promise.all([api.listAll<Mesh>('/meshes', { signal }), api.listAll<MeshInsight>('/mesh-insights', { signal })]);
    return { meshes, insights };
  }, []);
  return (
    <div class="page">
      <PageHeader title="Meshes" subtitle="Each mesh has its own services, certificate authority and policies" />
      <Async state={state} label="Loading meshes">
        {({ meshes, insights }) => (
          <Table<Mesh>
            rows={meshes}
            rowKey={(m) => m.name}
            empty={
              <Empty title="No mesh yet">
                Apply a Mesh on the global control plane, e.g. <code>causeway apply -f mesh.yaml</code> with <code>type: Mesh</code>,{' '}
                <code>name: default</code>.
              </Empty>
            }
            columns={[
              { header: 'Name', cell: (m) => <Link href={hrefOf({ view: 'mesh', mesh: m.name })}>{m.name}</Link> },
              { header: 'mTLS', cell: (m) => (meshMtlsEnabled(m) ? <Badge tone="ok">builtin/{m.mtls?.enabledBackend}</Badge> : <Badge tone="neutral">off</Badge>) },
              { header: 'Zone egress', cell: (m) => (m.routing?.zoneEgress ? <Badge tone="info">on</Badge> : <Badge tone="neutral">off</Badge>) },
              { header: 'Locality aware', cell: (m) => (m.routing?.localityAwareLoadBalancing ? 'on' : 'off') },
              { header: 'Passthrough', cell: (m) => (m.networking?.outbound?.passthrough === false ? 'off (registry only)' : 'on') },
              {
                header: 'Dataplanes',
                cell: (m) => {
                  const i = insights.find((x) => x.name === m.name);
                  return i ? `${i.dataplanes.online} / ${i.dataplanes.total} online` : '—';
                },
              },
              { header: 'External services', cell: (m) => insights.find((x) => x.name === m.name)?.externalServices.total ?? '—', class: 'num' },
            ]}
          />
        )}
      </Async>
    </div>
  );
}

export function MeshView(props: { mesh: string }) {
  const state = useData(
    async (api, signal) => {
      const [mesh, insight] = await Promise.all([api.get<Mesh>(`/meshes/${seg(props.mesh)}`, { signal }), api.get<MeshInsight>(`/mesh-insights/${seg(props.mesh)}`, { signal })]);
      return { mesh, insight };
    },
    [props.mesh],
  );
  return (
    <div class="page">
      <PageHeader kind="Mesh" title={props.mesh} crumbs={[{ href: hrefOf({ view: 'meshes' }), label: 'Meshes' }]} />
      <Async state={state} label="Loading the mesh">
        {({ mesh, insight }) => {
          const policies = Object.entries(insight.policies);
          return (
            <>
              <div class="stats">
                <Stat label="Dataplanes online" value={`${insight.dataplanes.online} / ${insight.dataplanes.total}`} href={hrefOf({ view: 'dataplanes', mesh: props.mesh })} />
                <Stat label="Services" value={insight.services.internal} />
                <Stat label="External services" value={insight.externalServices.total} href={hrefOf({ view: 'external-services', mesh: props.mesh })} />
                <Stat label="Policies" value={policies.reduce((a, [, p]) => a + p.total, 0)} href={hrefOf({ view: 'policies', mesh: props.mesh })} />
              </div>
              <Section title="Settings">
                <KeyValues
                  rows={[
                    ['mTLS', meshMtlsEnabled(mesh) ? `on (builtin backend "${mesh.mtls?.enabledBackend}")` : 'off: no identities, traffic permissions are not enforced'],
                    [
                      'Zone egress',
                      mesh.routing?.zoneEgress
                        ? meshMtlsEnabled(mesh)
                          ? 'on: every ExternalService call leaves through the ZoneEgress of the caller zone'
                          : 'set, but without mTLS it has no effect'
                        : 'off: sidecars call ExternalServices themselves',
                    ],
                    ['Locality-aware load balancing', mesh.routing?.localityAwareLoadBalancing ? 'on: own zone first' : 'off'],
                    ['Outbound passthrough', mesh.networking?.outbound?.passthrough === false ? 'off: only mesh services and declared ExternalServices are reachable' : 'on'],
                  ]}
                />
              </Section>
              <Section title="Policies by type">
                {policies.length === 0 ? (
                  <Empty title="No policy types" />
                ) : (
                  <KeyValues rows={policies.map(([type, p]) => [type, <Link href={hrefOf({ view: 'policies', mesh: props.mesh })}>{p.total}</Link>])} />
                )}
              </Section>
              <Section title="Resource">
                <Code value={mesh} />
              </Section>
            </>
          );
        }}
      </Async>
    </div>
  );
}
