import { Async, Badge, Empty, KeyValues, Link, PageHeader, Section, Stat, StatusBadge, Table } from '../components/ui.js';
import { loadTopology } from '../data.js';
import { useApp, useData, useNow } from '../hooks.js';
import { timeAgo } from '../lib/format.js';
import { meshMtlsEnabled } from '../lib/path.js';
import { hrefOf } from '../lib/router.js';
import type { IndexInfo, Mesh, MeshInsight, ZoneOverview } from '../lib/types.js';

export function OverviewView() {
  const { index } = useApp();
  const now = useNow(5000);
  const state = useData(
    async (api, signal) => {
      const [live, topology, insights, meshes] = await Promise.all([
        api.get<IndexInfo>('/', { signal }),
        loadTopology(api, index, signal),
        api.listAll<MeshInsight>('/mesh-insights', { signal }),
        api.listAll<Mesh>('/meshes', { signal }),
      ]);
      return { live, topology, insights, meshes };
    },
    [],
    { refreshMs: 5000 },
  );
  return (
    <div class="page">
      <PageHeader
        title="Overview"
        subtitle={index.mode === 'global' ? 'Zones, meshes and what runs in them, as the global control plane sees them' : `What zone ${index.zone} runs, as its control plane sees it`}
        right={state.status === 'ok' ? <span class="muted small">{state.refreshing ? 'refreshing…' : `updated ${timeAgo(new Date(state.updatedAt).toISOString(), now)}`}</span> : null}
      />
      <Async state={state} label="Loading the overview" rows={6}>
        {({ live, topology, insights, meshes }) => {
          const dps = insights.reduce((a, m) => ({ total: a.total + m.dataplanes.total, online: a.online + m.dataplanes.online }), { total: 0, online: 0 });
          const externals = insights.reduce((a, m) => a + m.externalServices.total, 0);
          const policies = insights.reduce((a, m) => a + Object.values(m.policies).reduce((b, p) => b + p.total, 0), 0);
          const zonesOnline = topology.zoneOverviews.filter((z) => z.status === 'Online').length;
          return (
            <>
              <div class="stats">
                {index.mode === 'global' ? (
                  <Stat
                    label="Zones online"
                    value={`${zonesOnline} / ${topology.zoneOverviews.length}`}
                    tone={topology.zoneOverviews.length === 0 ? undefined : zonesOnline === topology.zoneOverviews.length ? 'ok' : 'bad'}
                    sub={topology.zoneOverviews.length - zonesOnline > 0 ? `${topology.zoneOverviews.length - zonesOnline} offline` : 'all online'}
                  />
                ) : (
                  <Stat
                    label="Global"
                    value={live.global?.connected ? 'connected' : 'not connected'}
                    tone={live.global?.connected ? 'ok' : 'warn'}
                    sub={live.global?.connected ? 'syncing policy from global' : (live.global?.reason ?? 'serving its last copy')}
                  />
                )}
                <Stat label="Meshes" value={meshes.length} href={hrefOf({ view: 'meshes' })} />
                <Stat label="Dataplanes online" value={`${dps.online} / ${dps.total}`} href={hrefOf({ view: 'dataplanes' })} tone={dps.total > 0 && dps.online < dps.total ? 'warn' : undefined} />
                <Stat label="External services" value={externals} href={hrefOf({ view: 'external-services' })} />
                <Stat label="Zone ingresses / egresses" value={`${topology.ingresses.length} / ${topology.egresses.length}`} href={hrefOf({ view: 'zone-ingresses' })} />
                <Stat label="Policies" value={policies} href={hrefOf({ view: 'policies' })} />
              </div>

              {index.mode === 'global' ? (
                <Section title="Zones" subtitle="A zone is online while its heartbeat is younger than three heartbeat intervals (15 s by default).">
                  <Table<ZoneOverview>
                    rows={topology.zoneOverviews}
                    rowKey={(z) => z.name}
                    empty={
                      <Empty title="No zone has connected yet">
                        Start a zone control plane with <code>causeway-cp run --mode zone --zone NAME --nats-url …</code>: it appears here with its first
                        heartbeat.
                      </Empty>
                    }
                    columns={[
                      { header: 'Zone', cell: (z) => <strong data-zone={z.name}>{z.name}</strong> },
                      { header: 'Status', cell: (z) => <StatusBadge status={z.status} /> },
                      {
                        header: 'Last heartbeat',
                        cell: (z) => <span title={z.zoneInsight.heartbeatTime ?? ''}>{timeAgo(z.zoneInsight.heartbeatTime, now)}</span>,
                      },
                      { header: 'Version', cell: (z) => z.zoneInsight.controlPlaneVersion ?? <span class="muted">unknown</span> },
                      { header: 'Connected proxies', cell: (z) => z.zoneInsight.connectedProxies ?? <span class="muted">—</span>, class: 'num' },
                      {
                        header: 'Ingress / egress',
                        cell: (z) =>
                          `${topology.ingresses.filter((i) => i.zone === z.name).length} / ${topology.egresses.filter((e) => e.zone === z.name).length}`,
                        class: 'num',
                      },
                    ]}
                  />
                </Section>
              ) : null}

              <Section title="Meshes">
                <Table<MeshInsight>
                  rows={insights}
                  rowKey={(m) => m.name}
                  empty={
                    <Empty title="No mesh yet">
                      Apply a Mesh on the global control plane (<code>causeway apply -f mesh.yaml</code>).
                    </Empty>
                  }
                  columns={[
                    { header: 'Mesh', cell: (m) => <Link href={hrefOf({ view: 'mesh', mesh: m.name })}>{m.name}</Link> },
                    {
                      header: 'mTLS',
                      cell: (m) => {
                        const spec = meshes.find((x) => x.name === m.name);
                        return spec && meshMtlsEnabled(spec) ? <Badge tone="ok">on</Badge> : <Badge tone="neutral">off</Badge>;
                      },
                    },
                    {
                      header: 'Zone egress',
                      cell: (m) => (meshes.find((x) => x.name === m.name)?.routing?.zoneEgress ? <Badge tone="info">on</Badge> : <Badge tone="neutral">off</Badge>),
                    },
                    { header: 'Dataplanes online', cell: (m) => `${m.dataplanes.online} / ${m.dataplanes.total}`, class: 'num' },
                    { header: 'Services', cell: (m) => m.services.internal, class: 'num' },
                    {
                      header: 'External services',
                      cell: (m) => <Link href={hrefOf({ view: 'external-services', mesh: m.name })}>{m.externalServices.total}</Link>,
                      class: 'num',
                    },
                    { header: 'Policies', cell: (m) => Object.values(m.policies).reduce((a, p) => a + p.total, 0), class: 'num' },
                  ]}
                />
              </Section>

              <Section title="This control plane">
                <KeyValues
                  rows={[
                    ['Mode', live.mode === 'global' ? 'global' : `zone ${live.zone ?? ''}`],
                    ['Version', live.version],
                    ['Instance', live.instanceId ?? '—'],
                    ['Leader', live.leader ? (live.leader.leader ? 'this replica' : `another replica (${live.leader.holder ?? 'none yet'})`) : '—'],
                    live.mode === 'global'
                      ? ['Zone sync', live.sync?.enabled === false ? (live.sync.reason ?? 'off') : live.sync?.connected ? 'connected to NATS' : (live.sync?.reason ?? 'not connected')]
                      : ['Global', live.global?.connected ? 'connected' : (live.global?.reason ?? 'not connected')],
                  ]}
                />
              </Section>
            </>
          );
        }}
      </Async>
    </div>
  );
}
