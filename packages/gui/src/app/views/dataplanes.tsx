import type { ComponentChildren } from 'preact';
import { ConfigDumpView, DataplanePoliciesView, ZoneOnly } from '../components/inspect.js';
import { MeshPicker } from '../components/mesh-picker.js';
import { Async, Badge, Code, Empty, KeyValues, Link, PageHeader, Section, StatusBadge, Table, Tags } from '../components/ui.js';
import { useApp, useData, useNow } from '../hooks.js';
import { seg } from '../lib/api.js';
import { timeAgo, zoneOf } from '../lib/format.js';
import { refMatches, targetRefText } from '../lib/policies.js';
import { hrefOf } from '../lib/router.js';
import { type DataplaneOverview, type Policy, POLICY_TYPES, SERVICE_TAG } from '../lib/types.js';

function lastConnect(dp: DataplaneOverview): string | undefined {
  const subs = dp.dataplaneInsight.subscriptions ?? [];
  return subs[subs.length - 1]?.connectTime;
}

export function DataplanesView(props: { mesh?: string | undefined }) {
  const now = useNow(10_000);
  const state = useData(
    (api, signal) => api.listAll<DataplaneOverview>(props.mesh ? `/meshes/${seg(props.mesh)}/dataplanes+insights` : '/dataplanes+insights', { signal }),
    [props.mesh],
    { refreshMs: 10_000 },
  );
  return (
    <div class="page">
      <PageHeader
        title="Dataplanes"
        subtitle="Sidecar proxies of the mesh services, registered by their zone"
        right={<MeshPicker mesh={props.mesh} hrefFor={(m) => hrefOf({ view: 'dataplanes', ...(m ? { mesh: m } : {}) })} />}
      />
      <Async state={state} label="Loading dataplanes">
        {(items) => (
          <Table<DataplaneOverview>
            rows={items}
            rowKey={(d) => `${d.mesh}/${d.name}`}
            empty={
              <Empty title={props.mesh ? `No dataplane in mesh "${props.mesh}"` : 'No dataplane yet'}>
                A dataplane registers when its proxy connects to its zone control plane (<code>causeway-dp run --mode sidecar …</code>).
              </Empty>
            }
            columns={[
              { header: 'Name', cell: (d) => <Link href={hrefOf({ view: 'dataplane', mesh: d.mesh, name: d.name })}>{d.name}</Link> },
              ...(props.mesh ? [] : [{ header: 'Mesh', cell: (d: DataplaneOverview) => d.mesh }]),
              { header: 'Zone', cell: (d) => zoneOf(d) ?? <span class="muted">—</span> },
              { header: 'Services', cell: (d) => [...new Set((d.dataplane.networking.inbound ?? []).map((i) => i.tags[SERVICE_TAG]))].join(', ') || <span class="muted">none</span> },
              { header: 'Address', cell: (d) => <code>{d.dataplane.networking.address}</code> },
              { header: 'Status', cell: (d) => <StatusBadge status={d.status} /> },
              { header: 'Connected', cell: (d) => timeAgo(lastConnect(d), now) },
            ]}
          />
        )}
      </Async>
    </div>
  );
}

export function DataplaneView(props: { mesh: string; name: string }) {
  const { index } = useApp();
  const base = `/meshes/${seg(props.mesh)}`;
  const state = useData(
    async (api, signal) => {
      const all = await api.listAll<DataplaneOverview>(`${base}/dataplanes+insights?name=${encodeURIComponent(props.name)}`, { signal });
      const dp = all.find((d) => d.name === props.name);
      const policies = await Promise.all(POLICY_TYPES.map(async (t) => ({ type: t.type, items: await api.listAll<Policy>(`${base}/${t.path}`, { signal }) })));
      return { dp, policies };
    },
    [props.mesh, props.name],
    { refreshMs: 10_000 },
  );
  return (
    <div class="page">
      <PageHeader
        kind="Dataplane"
        title={props.name}
        subtitle={`mesh ${props.mesh}`}
        crumbs={[
          { href: hrefOf({ view: 'dataplanes' }), label: 'Dataplanes' },
          { href: hrefOf({ view: 'dataplanes', mesh: props.mesh }), label: props.mesh },
        ]}
      />
      <Async state={state} label="Loading the dataplane">
        {({ dp, policies }) => {
          if (!dp)
            return (
              <Empty title={`No dataplane "${props.name}" in mesh "${props.mesh}"`}>
                It may have disconnected: a zone removes a proxy's Dataplane some time after its proxy went away.
              </Empty>
            );
          const zone = zoneOf(dp) ?? (index.mode === 'zone' ? index.zone : undefined);
          const tagSets = (dp.dataplane.networking.inbound ?? []).map((i) => i.tags);
          const subs = dp.dataplaneInsight.subscriptions ?? [];
          const last = subs[subs.length - 1];
          return (
            <>
              <Section title="Summary">
                <KeyValues
                  rows={[
                    ['Status', <StatusBadge status={dp.status} />],
                    ['Zone', zone ?? '—'],
                    ...(dp.labels?.['causeway.io/display-name'] ? ([['Name in its zone', dp.labels['causeway.io/display-name']]] as [string, ComponentChildren][]) : []),
                    ['Address', <code>{dp.dataplane.networking.address}</code>],
                    [
                      'Inbounds',
                      (dp.dataplane.networking.inbound ?? []).length === 0 ? (
                        <span class="muted">none</span>
                      ) : (
                        <div>
                          {(dp.dataplane.networking.inbound ?? []).map((i) => (
                            <div key={`${i.address ?? ''}:${i.port}`}>
                              <code>:{i.port}</code> <Tags tags={i.tags} />
                            </div>
                          ))}
                        </div>
                      ),
                    ],
                    [
                      'Last connection',
                      last ? (
                        <span>
                          {timeAgo(last.connectTime)}
                          {last.disconnectTime ? `, disconnected ${timeAgo(last.disconnectTime)}` : ''}
                          {last.status ? ` · ${last.status.responsesAcknowledged ?? 0} ACK / ${last.status.responsesRejected ?? 0} NACK` : ''}
                        </span>
                      ) : (
                        'never'
                      ),
                    ],
                    ...(last?.lastNack ? ([['Last NACK', <span class="tone-bad">{last.lastNack.error}</span>]] as [string, ComponentChildren][]) : []),
                    ['Certificate', dp.dataplaneInsight.mTLS?.certificateExpirationTime ? `expires ${dp.dataplaneInsight.mTLS.certificateExpirationTime}` : '—'],
                  ]}
                />
              </Section>
              <Section title="Policies">
                <DataplanePoliciesView
                  mesh={props.mesh}
                  name={props.name}
                  fallback={
                    <>
                      <Table
                        caption="Policies whose targetRef selects this dataplane (the zone works out each outbound's merged result)"
                        rows={policies.flatMap((p) => p.items.filter((x) => refMatches(x.spec?.targetRef, tagSets)).map((x) => ({ type: p.type, policy: x })))}
                        rowKey={(x) => `${x.type}/${x.policy.name}`}
                        empty={<Empty title="No policy selects this dataplane" />}
                        columns={[
                          { header: 'Type', cell: (x) => x.type },
                          { header: 'Policy', cell: (x) => <Link href={hrefOf({ view: 'policy', mesh: props.mesh, type: x.type, name: x.policy.name })}>{x.policy.name}</Link> },
                          { header: 'targetRef', cell: (x) => <code>{targetRefText(x.policy.spec?.targetRef)}</code> },
                        ]}
                      />
                      <ZoneOnly what="per-outbound explanation" zone={zone} cli={`causeway inspect dataplane ${props.name} --type policies -m ${props.mesh}`} />
                    </>
                  }
                />
              </Section>
              <Section title="Config dump">
                <ConfigDumpView path={`${base}/dataplanes/${seg(props.name)}/xds`} zone={zone} cli={`causeway inspect dataplane ${props.name} --type config-dump -m ${props.mesh}`} />
              </Section>
              <Section title="Resource">
                <Code value={{ type: 'Dataplane', mesh: dp.mesh, name: dp.name, ...(dp.labels ? { labels: dp.labels } : {}), ...dp.dataplane }} />
              </Section>
              {dp.status === 'Offline' ? (
                <p>
                  <Badge tone="warn">offline</Badge> <span class="muted">the proxy has no open xDS stream</span>
                </p>
              ) : null}
            </>
          );
        }}
      </Async>
    </div>
  );
}
