import { ConfigDumpView } from '../components/inspect.js';
import { Async, Badge, Code, Empty, KeyValues, Link, PageHeader, Section, StatusBadge, Table, Tags } from '../components/ui.js';
import { loadTopology } from '../data.js';
import { useApp, useData } from '../hooks.js';
import { seg } from '../lib/api.js';
import { meshMtlsEnabled } from '../lib/path.js';
import { hrefOf } from '../lib/router.js';
import { type ExternalService, type Mesh, SERVICE_TAG, ZONE_TAG, type ZoneEgressOverview, type ZoneIngressOverview } from '../lib/types.js';

type Kind = 'ingress' | 'egress';
type Overview = ZoneIngressOverview | ZoneEgressOverview;

const TEXT = {
  ingress: {
    title: 'Zone ingresses',
    kind: 'ZoneIngress',
    subtitle: 'Entry points of a zone for traffic from other zones: they pass streams through by SNI without decrypting them',
    list: '/zoneingresses+insights',
    item: (n: string) => `/zoneingresses/${seg(n)}`,
    cli: (n: string) => `causeway inspect zone-ingress ${n} --type config-dump`,
  },
  egress: {
    title: 'Zone egresses',
    kind: 'ZoneEgress',
    subtitle: 'Exit points of a zone: with routing.zoneEgress, every ExternalService call leaves through one',
    list: '/zoneegresses+insights',
    item: (n: string) => `/zoneegresses/${seg(n)}`,
    cli: (n: string) => `causeway inspect zone-egress ${n} --type config-dump`,
  },
} as const;

function specOf(o: Overview) {
  return o.type === 'ZoneIngressOverview' ? o.zoneIngress : o.zoneEgress;
}

function address(o: Overview): string {
  const n = specOf(o).networking as { address: string; port: number; advertisedAddress?: string; advertisedPort?: number };
  return `${n.advertisedAddress ?? n.address}:${n.advertisedPort ?? n.port}`;
}

export function ZoneProxiesView(props: { kind: Kind }) {
  const t = TEXT[props.kind];
  const state = useData((api, signal) => api.listAll<Overview>(t.list, { signal }), [props.kind], { refreshMs: 10_000 });
  return (
    <div class="page">
      <PageHeader title={t.title} subtitle={t.subtitle} />
      <Async state={state} label={`Loading ${t.title.toLowerCase()}`}>
        {(items) => (
          <Table<Overview>
            rows={items}
            rowKey={(o) => o.name}
            empty={
              <Empty title={`No ${t.kind} yet`}>
                One registers when its proxy connects to its zone control plane with a zone token (
                <code>causeway-dp run --mode {props.kind} …</code>).
              </Empty>
            }
            columns={[
              { header: 'Name', cell: (o) => <Link href={hrefOf(props.kind === 'ingress' ? { view: 'zone-ingress', name: o.name } : { view: 'zone-egress', name: o.name })}>{o.name}</Link> },
              { header: 'Zone', cell: (o) => o.zone ?? <span class="muted">—</span> },
              { header: 'Zone status', cell: (o) => (o.zoneStatus ? <StatusBadge status={o.zoneStatus} /> : <span class="muted">—</span>) },
              { header: 'Address', cell: (o) => <code>{address(o)}</code> },
              ...(props.kind === 'ingress'
                ? [{ header: 'Services offered', cell: (o: Overview) => (o.type === 'ZoneIngressOverview' ? (o.zoneIngress.availableServices ?? []).length : 0), class: 'num' }]
                : []),
            ]}
          />
        )}
      </Async>
    </div>
  );
}

export function ZoneProxyView(props: { kind: Kind; name: string }) {
  const { index } = useApp();
  const t = TEXT[props.kind];
  const state = useData(
    async (api, signal) => {
      const [topology, meshes, externals] = await Promise.all([
        loadTopology(api, index, signal),
        api.listAll<Mesh>('/meshes', { signal }),
        props.kind === 'egress' ? api.listAll<ExternalService>('/external-services', { signal }) : Promise.resolve([]),
      ]);
      const list: Overview[] = props.kind === 'ingress' ? topology.ingressOverviews : topology.egressOverviews;
      return { item: list.find((o) => o.name === props.name), meshes, externals };
    },
    [props.kind, props.name],
    { refreshMs: 10_000 },
  );
  return (
    <div class="page">
      <PageHeader kind={t.kind} title={props.name} crumbs={[{ href: hrefOf({ view: props.kind === 'ingress' ? 'zone-ingresses' : 'zone-egresses' }), label: t.title }]} />
      <Async state={state} label={`Loading the ${t.kind}`}>
        {({ item, meshes, externals }) => {
          if (!item)
            return (
              <Empty title={`No ${t.kind} "${props.name}"`}>
                It may have disconnected: a zone removes the resource some time after its proxy went away.
              </Empty>
            );
          const zone = item.zone ?? undefined;
          return (
            <>
              <Section title="Summary">
                <KeyValues
                  rows={[
                    ['Zone', zone ?? '—'],
                    ['Zone status', item.zoneStatus ? <StatusBadge status={item.zoneStatus} /> : '—'],
                    ['Address', <code>{address(item)}</code>],
                    ['Admin port', String(specOf(item).networking.admin?.port ?? '—')],
                  ]}
                />
              </Section>
              {item.type === 'ZoneIngressOverview' ? (
                <Section title="Services offered to other zones">
                  <Table
                    rows={item.zoneIngress.availableServices ?? []}
                    rowKey={(s) => `${s.mesh ?? ''}/${JSON.stringify(s.tags)}`}
                    empty={<Empty title="It offers no service yet" />}
                    columns={[
                      { header: 'Mesh', cell: (s) => s.mesh ?? '—' },
                      { header: 'Service', cell: (s) => <code>{s.tags[SERVICE_TAG]}</code> },
                      { header: 'Kind', cell: (s) => (s.externalService ? <Badge tone="info">ExternalService</Badge> : 'mesh service') },
                      { header: 'Instances', cell: (s) => s.instances ?? '—', class: 'num' },
                      { header: 'Tags', cell: (s) => <Tags tags={s.tags} /> },
                    ]}
                  />
                </Section>
              ) : null}
              <Section title="Policies">
                {item.type === 'ZoneIngressOverview' ? (
                  <Empty title="No policy applies to a ZoneIngress" tone="info">
                    It passes each stream through by SNI without decrypting it; permissions are checked where mTLS ends (a sidecar inbound, or the
                    ZoneEgress that originates to an ExternalService).
                  </Empty>
                ) : (
                  <EgressPolicies zone={zone} meshes={meshes} externals={externals} />
                )}
              </Section>
              <Section title="Config dump">
                <ConfigDumpView path={`${t.item(props.name)}/xds`} zone={zone} cli={t.cli(props.name)} />
              </Section>
              <Section title="Resource">
                <Code value={{ type: t.kind, name: item.name, ...specOf(item) }} />
              </Section>
            </>
          );
        }}
      </Async>
    </div>
  );
}

/** The ExternalServices this egress originates to: each one's MeshTrafficPermissions are checked here. */
function EgressPolicies(props: { zone: string | undefined; meshes: Mesh[]; externals: ExternalService[] }) {
  const egressMeshes = new Set(props.meshes.filter((m) => meshMtlsEnabled(m)).map((m) => m.name));
  const originated = props.externals.filter((e) => egressMeshes.has(e.mesh ?? '') && (!e.tags[ZONE_TAG] || e.tags[ZONE_TAG] === props.zone));
  return (
    <Table<ExternalService>
      caption="It terminates mTLS and checks MeshTrafficPermissions for the ExternalServices it originates to (open one to see who may call it)"
      rows={originated}
      rowKey={(e) => `${e.mesh}/${e.name}`}
      empty={
        <Empty title="It originates to no ExternalService">
          An egress originates to the ExternalServices of its zone (or of no zone) in meshes with mTLS; others it passes through.
        </Empty>
      }
      columns={[
        { header: 'ExternalService', cell: (e) => <Link href={hrefOf({ view: 'external-service', mesh: e.mesh ?? 'default', name: e.name })}>{e.name}</Link> },
        { header: 'Mesh', cell: (e) => e.mesh },
        {
          header: 'Used by the mesh',
          cell: (e) => (props.meshes.find((m) => m.name === e.mesh)?.routing?.zoneEgress ? 'yes (routing.zoneEgress)' : <span class="muted">no: its sidecars call directly</span>),
        },
        { header: 'Address', cell: (e) => <code>{e.networking.address}</code> },
      ]}
    />
  );
}
