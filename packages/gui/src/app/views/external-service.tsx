import { CallersGraph } from '../components/callers-graph.js';
import { ZonePathView } from '../components/path-diagram.js';
import { TrafficCharts } from '../components/traffic-chart.js';
import { Async, Badge, Code, Empty, ErrorBox, KeyValues, Link, Loading, PageHeader, Section, Table, Tags } from '../components/ui.js';
import { loadTopology } from '../data.js';
import { useApp, useData } from '../hooks.js';
import { ApiError, seg } from '../lib/api.js';
import { plural, timeAgo, zoneOf } from '../lib/format.js';
import { externalProtocol, meshMtlsEnabled, resolvePaths } from '../lib/path.js';
import {
  type Caller,
  commonTags,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUTS,
  type Effective,
  outboundPolicies,
  type PermissionDecision,
  permissionsFor,
  type RuleEntry,
  targetRefText,
} from '../lib/policies.js';
import { hrefOf } from '../lib/router.js';
import { formatCount, formatMs, formatPercent, formatRate, parseCallers, parseStats, type TrafficSummary, type ZoneTraffic } from '../lib/stats.js';
import {
  type DataplaneOverview,
  type ExternalService,
  type Mesh,
  type Policy,
  type RetryConf,
  SERVICE_TAG,
  type Tags as TagMap,
  type TimeoutConf,
  type TrafficAction,
  ZONE_TAG,
} from '../lib/types.js';

const SECTIONS = [
  ['path', 'Path'],
  ['permissions', 'Who may call it'],
  ['timeouts', 'Timeouts and retries'],
  ['traffic', 'Traffic'],
  ['callers', 'Callers'],
  ['resource', 'Resource'],
] as const;

export function ExternalServiceView(props: { mesh: string; name: string }) {
  const { index } = useApp();
  const base = `/meshes/${seg(props.mesh)}`;
  const state = useData(
    async (api, signal) => {
      const es = await api.get<ExternalService>(`${base}/external-services/${seg(props.name)}`, { signal });
      const service = es.tags[SERVICE_TAG] ?? '';
      const [mesh, group, topology, dataplanes, mtps, timeouts, retries] = await Promise.all([
        api.get<Mesh>(base, { signal }),
        api.listAll<ExternalService>(`${base}/external-services?tag=${encodeURIComponent(`${SERVICE_TAG}:${service}`)}`, { signal }),
        loadTopology(api, index, signal),
        api.listAll<DataplaneOverview>(`${base}/dataplanes+insights`, { signal }),
        api.listAll<Policy<{ action: TrafficAction }>>(`${base}/meshtrafficpermissions`, { signal }),
        api.listAll<Policy<TimeoutConf>>(`${base}/meshtimeouts`, { signal }),
        api.listAll<Policy<RetryConf>>(`${base}/meshretries`, { signal }),
      ]);
      // The tag filter matches any tag set containing it; keep the exact service (and this resource, always).
      const members = group.filter((e) => e.tags[SERVICE_TAG] === service);
      if (!members.some((e) => e.name === es.name)) members.push(es);
      return { es, mesh, group: members, topology, dataplanes, mtps, timeouts, retries };
    },
    [props.mesh, props.name],
  );

  return (
    <div class="page">
      <PageHeader
        kind="ExternalService"
        title={props.name}
        subtitle={`mesh ${props.mesh}`}
        crumbs={[
          { href: hrefOf({ view: 'external-services' }), label: 'External services' },
          { href: hrefOf({ view: 'external-services', mesh: props.mesh }), label: props.mesh },
        ]}
      />
      <nav class="toc" aria-label="Sections">
        {SECTIONS.map(([id, label]) => (
          <a key={id} href={`#${id}`}>
            {label}
          </a>
        ))}
      </nav>
      <Async state={state} label="Loading the ExternalService" rows={8}>
        {(d) => {
          const service = d.es.tags[SERVICE_TAG] ?? '';
          const paths = resolvePaths({ mesh: props.mesh, meshSpec: d.mesh, externalServices: d.group, topology: d.topology });
          const mtls = meshMtlsEnabled(d.mesh);
          const extTags = commonTags(
            d.group.map((e) => e.tags),
            service,
          );
          const localZone = index.mode === 'zone' ? index.zone : undefined;
          const callers: Caller[] = d.dataplanes.map((dp) => ({
            name: dp.name,
            ...((zoneOf(dp) ?? localZone) ? { zone: (zoneOf(dp) ?? localZone) as string } : {}),
            inbounds: (dp.dataplane.networking.inbound ?? []).map((i) => i.tags),
          }));
          const perms = permissionsFor({ mesh: props.mesh, mtls, zoneEgress: paths.mode === 'zone-egress', externalTags: extTags, policies: d.mtps, callers });
          const tls = d.es.networking.tls;
          return (
            <>
              <Section title="Summary">
                <KeyValues
                  rows={[
                    ['Service', <code>{service}</code>],
                    ['Address', <code>{d.es.networking.address}</code>],
                    ['Protocol', `${d.es.tags['kuma.io/protocol'] ?? 'tcp'}${d.es.tags['kuma.io/protocol'] === 'https' ? ' (tcp + TLS)' : ''} — the proxies speak ${externalProtocol(d.es)}`],
                    [
                      'TLS',
                      tls?.enabled ? (
                        <span>
                          originated by the proxy{tls.sni === '' ? ', no SNI' : tls.sni ? `, SNI ${tls.sni}` : ''}
                          {tls.caCert ? ', server certificate verified against caCert' : ', server certificate not verified (no caCert)'}
                          {tls.clientCert ? ', client certificate' : ''}
                          {tls.allowRenegotiation ? ', renegotiation allowed' : ''}
                        </span>
                      ) : (
                        'off (the proxies send plain bytes to the address)'
                      ),
                    ],
                    ['Tags', <Tags tags={d.es.tags} />],
                    [
                      'Offered in',
                      paths.offeredIn === 'every zone' ? (
                        'every zone (no kuma.io/zone tag): each zone reaches the address itself'
                      ) : (
                        <span>
                          {paths.offeredIn.map((z) => (
                            <Badge key={z} tone="info">
                              {z}
                            </Badge>
                          ))}{' '}
                          only: other zones reach it through them
                        </span>
                      ),
                    ],
                    [
                      'Group',
                      d.group.length > 1 ? (
                        <span>
                          {plural(d.group.length, 'ExternalService')} share this service:{' '}
                          {d.group.map((e, i) => (
                            <span key={e.name}>
                              {i > 0 ? ', ' : ''}
                              <Link href={hrefOf({ view: 'external-service', mesh: props.mesh, name: e.name })}>{e.name}</Link>
                              {e.tags[ZONE_TAG] ? ` (${e.tags[ZONE_TAG]})` : ''}
                            </span>
                          ))}
                        </span>
                      ) : (
                        'the only ExternalService of this service'
                      ),
                    ],
                  ]}
                />
              </Section>

              <Section
                id="path"
                title="Path from each zone"
                subtitle={
                  paths.mode === 'zone-egress'
                    ? `The mesh routes ExternalService traffic through zone egresses (mTLS and routing.zoneEgress): the sidecar opens mTLS with SNI ${paths.sni} to its zone's egress.`
                    : 'No zone egress in this mesh: each sidecar originates to the address itself.'
                }
              >
                {paths.notes.length > 0 ? (
                  <ul class="path-notes">
                    {paths.notes.map((n) => (
                      <li key={n}>{n}</li>
                    ))}
                  </ul>
                ) : null}
                {paths.paths.length === 0 ? (
                  <Empty title="No zone to draw a path from">
                    No zone has connected to this control plane yet. Paths appear when zones send their heartbeat.
                  </Empty>
                ) : (
                  paths.paths.map((p) => <ZonePathView key={p.from} path={p} />)
                )}
              </Section>

              <Section id="permissions" title="Who may call it" subtitle={`MeshTrafficPermissions ${perms.where}.`}>
                <PermissionEntries entries={perms.entries} mesh={props.mesh} mtls={mtls} />
                <h3>Decision per calling dataplane</h3>
                <Table<PermissionDecision>
                  rows={perms.decisions}
                  rowKey={(x) => x.caller.name}
                  empty={
                    <Empty title="No dataplane in this mesh">
                      The decision for each caller shows here once dataplanes register in a zone.
                    </Empty>
                  }
                  columns={[
                    { header: 'Dataplane', cell: (x) => <Link href={hrefOf({ view: 'dataplane', mesh: props.mesh, name: x.caller.name })}>{x.caller.name}</Link> },
                    { header: 'Zone', cell: (x) => x.caller.zone ?? <span class="muted">—</span> },
                    { header: 'Services', cell: (x) => x.services.join(', ') || <span class="muted">none</span> },
                    {
                      header: 'Decision',
                      cell: (x) =>
                        !mtls ? <Badge tone="neutral">not enforced</Badge> : x.allowed ? <Badge tone="ok">allowed</Badge> : <Badge tone="bad">denied</Badge>,
                    },
                    {
                      header: 'Decided by',
                      cell: (x) =>
                        x.by ? (
                          <span>
                            <Link href={hrefOf({ view: 'policy', mesh: props.mesh, type: 'MeshTrafficPermission', name: x.by.policy })}>{x.by.policy}</Link> from[{x.by.index}]{' '}
                            {targetRefText(x.by.entryTargetRef)}: {x.by.conf.action}
                          </span>
                        ) : (
                          <span class="muted">no entry selects it: denied by default</span>
                        ),
                    },
                  ]}
                />
              </Section>

              <Section
                id="timeouts"
                title="Timeouts and retries in effect"
                subtitle="Set on the caller's sidecar, on its outbound to this service (MeshTimeout and MeshRetry to[] entries that select it, of the policies whose targetRef selects the caller). Fields no policy sets keep the defaults."
              >
                <OutboundPolicies callers={callers} timeouts={d.timeouts} retries={d.retries} externalTags={extTags} mesh={props.mesh} http={['http', 'http2', 'grpc'].includes(externalProtocol(d.es))} />
              </Section>

              <Section id="traffic" title="Traffic, last hour">
                <Traffic mesh={props.mesh} name={props.name} />
              </Section>

              <Section id="callers" title="Calling services, per zone">
                <Callers mesh={props.mesh} name={props.name} service={service} />
              </Section>

              <Section id="resource" title="Resource">
                <Code value={d.es} />
              </Section>
            </>
          );
        }}
      </Async>
    </div>
  );
}

function PermissionEntries(props: { entries: RuleEntry<{ action: TrafficAction }>[]; mesh: string; mtls: boolean }) {
  if (props.entries.length === 0)
    return (
      <Empty title="No MeshTrafficPermission selects this ExternalService" tone="info">
        {props.mtls
          ? 'With mTLS, no permission means no caller may reach it: apply a MeshTrafficPermission whose targetRef selects it (kind MeshService, name: its kuma.io/service).'
          : 'The mesh has no mTLS, so nothing is enforced either way.'}
      </Empty>
    );
  return (
    <Table<RuleEntry<{ action: TrafficAction }>>
      caption="from[] entries in ascending precedence: the last one that selects a caller decides"
      rows={[...props.entries].map((e) => e)}
      rowKey={(e) => `${e.policy}:${e.index}`}
      columns={[
        { header: '#', cell: (e) => props.entries.indexOf(e) + 1, class: 'num' },
        { header: 'Policy', cell: (e) => <Link href={hrefOf({ view: 'policy', mesh: props.mesh, type: 'MeshTrafficPermission', name: e.policy })}>{e.policy}</Link> },
        { header: 'Selects', cell: (e) => <code>{targetRefText(e.targetRef)}</code> },
        { header: 'Callers (from)', cell: (e) => <code>{targetRefText(e.entryTargetRef)}</code> },
        { header: 'Action', cell: (e) => <Badge tone={e.conf.action === 'Deny' ? 'bad' : 'ok'}>{e.conf.action}</Badge> },
      ]}
    />
  );
}

interface Profile {
  label: string;
  dataplanes: string[];
  tags: TagMap[];
}

/** Callers grouped by their inbound tags (equal tags: equal policies), plus "any other caller". */
function profiles(callers: Caller[]): Profile[] {
  const byKey = new Map<string, Profile>();
  for (const c of callers) {
    const key = JSON.stringify(c.inbounds.map((t) => Object.entries(t).sort()));
    const p = byKey.get(key) ?? { label: [...new Set(c.inbounds.map((t) => t[SERVICE_TAG]).filter(Boolean))].join(', ') || '(no inbound)', dataplanes: [], tags: c.inbounds };
    p.dataplanes.push(c.name);
    byKey.set(key, p);
  }
  return [...byKey.values(), { label: 'any other caller', dataplanes: [], tags: [{}] }];
}

function entriesText(e: Effective<unknown>) {
  if (e.entries.length === 0) return <span class="muted">defaults</span>;
  return e.entries.map((x) => `${x.policy} to[${x.index}]`).join(' < ');
}

function OutboundPolicies(props: { callers: Caller[]; timeouts: Policy<TimeoutConf>[]; retries: Policy<RetryConf>[]; externalTags: TagMap; mesh: string; http: boolean }) {
  const rows = profiles(props.callers).map((p) => ({
    p,
    t: outboundPolicies(props.timeouts, p.tags, props.externalTags),
    r: outboundPolicies(props.retries, p.tags, props.externalTags),
  }));
  return (
    <Table
      rows={rows}
      rowKey={(x) => x.p.label + x.p.dataplanes.join(',')}
      columns={[
        {
          header: 'Caller',
          cell: (x) => (
            <span title={x.p.dataplanes.join(', ')}>
              <strong>{x.p.label}</strong>
              {x.p.dataplanes.length > 0 ? <span class="muted small"> · {plural(x.p.dataplanes.length, 'dataplane')}</span> : null}
            </span>
          ),
        },
        { header: 'Connect', cell: (x) => x.t.conf.connectionTimeout ?? <span class="muted">{DEFAULT_TIMEOUTS.connectionTimeout}</span> },
        {
          header: props.http ? 'Request' : 'Idle',
          cell: (x) =>
            props.http
              ? (x.t.conf.http?.requestTimeout ?? <span class="muted">{DEFAULT_TIMEOUTS.requestTimeout}</span>)
              : (x.t.conf.idleTimeout ?? <span class="muted">Envoy's default</span>),
        },
        {
          header: 'Retries',
          cell: (x) => {
            const c = props.http ? x.r.conf.http : undefined;
            const tcp = x.r.conf.tcp?.maxConnectAttempt;
            if (!props.http) return tcp !== undefined ? `${tcp} connect attempts` : <span class="muted">none</span>;
            if (!c) return <span class="muted">{`${DEFAULT_RETRY.numRetries} on ${DEFAULT_RETRY.retryOn}`}</span>;
            return [
              `${c.numRetries ?? DEFAULT_RETRY.numRetries} on ${c.retryOn?.join(', ') ?? DEFAULT_RETRY.retryOn}`,
              c.perTryTimeout ? `, ${c.perTryTimeout} per try` : '',
              c.backOff ? `, back-off ${c.backOff.baseInterval ?? '25ms'}–${c.backOff.maxInterval ?? '…'}` : '',
            ].join('');
          },
        },
        { header: 'Timeouts from', cell: (x) => entriesText(x.t) },
        { header: 'Retries from', cell: (x) => entriesText(x.r) },
      ]}
    />
  );
}

function notAvailable(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 501);
}

function InsightsUnavailable(props: { what: string }) {
  const { index } = useApp();
  return (
    <Empty title="Traffic insights are not available from this control plane" tone="info">
      It does not serve <code>{props.what}</code>
      {index.mode === 'zone' ? ' (traffic insights are gathered at the global control plane: open its GUI)' : ''}. Each proxy's counters are on its{' '}
      <code>/metrics</code>, and each zone lists its proxies for Prometheus at <code>/prometheus/sd</code>.
    </Empty>
  );
}

function SummaryTiles(props: { s: TrafficSummary }) {
  const s = props.s;
  return (
    <div class="tile-row">
      <div class="tile-window">last {s.window}</div>
      <div class="tile">
        <span>requests/s</span>
        <strong>{formatRate(s.rps)}</strong>
      </div>
      <div class="tile">
        <span>requests</span>
        <strong>{formatCount(s.requests)}</strong>
      </div>
      <div class="tile">
        <span>error rate</span>
        <strong class={s.errorRate ? 'tone-bad' : ''}>{formatPercent(s.errorRate)}</strong>
      </div>
      <div class="tile">
        <span>p50</span>
        <strong>{formatMs(s.p50Ms)}</strong>
      </div>
      <div class="tile">
        <span>p99</span>
        <strong>{formatMs(s.p99Ms)}</strong>
      </div>
      {s.denied !== undefined ? (
        <div class="tile">
          <span>denied</span>
          <strong class={s.denied ? 'tone-bad' : ''}>{formatCount(s.denied)}</strong>
        </div>
      ) : null}
    </div>
  );
}

function Traffic(props: { mesh: string; name: string }) {
  const { index } = useApp();
  const path = `/meshes/${seg(props.mesh)}/external-services/${seg(props.name)}/stats`;
  const state = useData((api, signal) => api.get<unknown>(path, { signal }).then(parseStats), [path], { refreshMs: 10_000 });
  if (state.status === 'loading') return <Loading label="Loading traffic" rows={3} />;
  if (state.status === 'error') return notAvailable(state.error) ? <InsightsUnavailable what={`GET ${path}`} /> : <ErrorBox error={state.error} onRetry={state.reload} />;
  const st = state.data;
  const hour = st.summaries.find((s) => s.window === '1h');
  const quiet = !hour?.requests && !hour?.denied;
  return (
    <>
      <p class="section-sub">
        {index.mode === 'global' ? "What every zone's sidecars sent to it" : `What zone ${index.zone}'s sidecars sent to it`}, counted by the proxies and
        gathered by the zone control planes every 10 s; denied = requests a ZoneEgress refused (MeshTrafficPermission).
      </p>
      {st.summaries.map((s) => (
        <SummaryTiles key={s.window} s={s} />
      ))}
      {quiet ? (
        <Empty title="No calls in the last hour">
          The charts fill in as services call it.
        </Empty>
      ) : st.series ? (
        <TrafficCharts series={st.series} />
      ) : (
        <Empty title="No chart points in this answer" tone="info">
          The control plane reports the windows above but no points over time.
        </Empty>
      )}
      {st.zones.length > 0 ? (
        <Table<ZoneTraffic>
          caption="Per zone, last hour: calls its sidecars made, and what its ZoneEgresses sent on (originated, or passed to the owning zone)"
          rows={st.zones}
          rowKey={(z) => z.zone}
          columns={[
            { header: 'Zone', cell: (z) => <strong>{z.zone}</strong> },
            { header: 'Calls', cell: (z) => `${formatRate(z.calls.rps)} (${formatCount(z.calls.requests)})`, class: 'num' },
            { header: 'Errors', cell: (z) => formatPercent(z.calls.errorRate), class: 'num' },
            { header: 'p99', cell: (z) => formatMs(z.calls.p99Ms), class: 'num' },
            { header: 'Through its egresses', cell: (z) => `${formatRate(z.egressed.rps)} (${formatCount(z.egressed.requests)})`, class: 'num' },
            { header: 'Denied at its egresses', cell: (z) => <span class={z.egressed.denied ? 'tone-bad' : ''}>{formatCount(z.egressed.denied)}</span>, class: 'num' },
            { header: 'Proxies reporting', cell: (z) => `${plural(z.sidecars, 'sidecar')}, ${plural(z.egresses, 'egress', 'egresses')}` },
            { header: 'Updated', cell: (z) => (z.updated ? timeAgo(z.updated) : <span class="muted">never</span>) },
          ]}
        />
      ) : null}
    </>
  );
}

function Callers(props: { mesh: string; name: string; service: string }) {
  const path = `/meshes/${seg(props.mesh)}/external-services/${seg(props.name)}/callers`;
  const state = useData((api, signal) => api.get<unknown>(path, { signal }).then(parseCallers), [path], { refreshMs: 10_000 });
  if (state.status === 'loading') return <Loading label="Loading callers" rows={3} />;
  if (state.status === 'error') return notAvailable(state.error) ? <InsightsUnavailable what={`GET ${path}`} /> : <ErrorBox error={state.error} onRetry={state.reload} />;
  if (state.data.length === 0)
    return (
      <Empty title="No service has called it in the last hour">
        Callers appear here, per zone, after their first calls.
      </Empty>
    );
  return <CallersGraph edges={state.data} target={props.service || props.name} />;
}
