import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { useApp, useData } from '../hooks.js';
import { ApiError } from '../lib/api.js';
import { timeAgo } from '../lib/format.js';
import { targetRefText } from '../lib/policies.js';
import { hrefOf } from '../lib/router.js';
import type { TargetRef } from '../lib/types.js';
import { toYaml } from '../lib/yaml.js';
import { Async, Badge, Code, Empty, ErrorBox, KeyValues, Link, Loading, Table } from './ui.js';

interface ConfigDump {
  proxy: { type: string; mesh?: string; name: string };
  connected: boolean;
  generatedAt?: string;
  versions: Record<string, string>;
  configs: Record<string, unknown>[];
}

/** A 404 of a route this control plane does not have (not of a resource it does not know). */
export function noRoute(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404 && e.message.startsWith('no route');
}

/** Where the proxy's config can be read when this control plane does not serve it. */
export function ZoneOnly(props: { what: string; zone: string | undefined; cli: string }) {
  return (
    <Empty title={`This control plane does not serve the ${props.what}`} tone="info">
      The zone a proxy is connected to does: open the GUI of {props.zone ? <strong>{props.zone}</strong> : 'the zone'}'s control plane (its API
      address + <code>/gui</code>), or run <code>{props.cli}</code> against it.
    </Empty>
  );
}

function countOf(c: Record<string, unknown>): { type: string; count: number | undefined } {
  const type = String(c['@type'] ?? '').split('.').pop() ?? 'config';
  const list = Object.values(c).find(Array.isArray) as unknown[] | undefined;
  return { type, count: list?.length };
}

/** A proxy's config dump (Envoy's /config_dump shape), from a zone control plane. */
export function ConfigDumpView(props: { path: string; zone: string | undefined; cli: string }) {
  const { index } = useApp();
  const state = useData((api, signal) => api.get<ConfigDump>(props.path, { signal }), [props.path]);
  const [open, setOpen] = useState<number | undefined>();
  if (state.status === 'error' && noRoute(state.error)) return <ZoneOnly what="config dump" zone={props.zone} cli={props.cli} />;
  if (state.status === 'error' && state.error instanceof ApiError && state.error.status === 404)
    return (
      <Empty title="No config for this proxy">
        {state.error.message}.{' '}
        {index.mode === 'global' ? 'Global asks the zone the proxy is registered in; it answers while the proxy is connected to one of its control planes.' : ''}
      </Empty>
    );
  return (
    <Async state={state} label="Loading the config dump">
      {(d) => (
        <>
          <KeyValues
            rows={[
              ['Connected', d.connected ? <Badge tone="ok">connected: what it is being served</Badge> : <Badge tone="warn">not connected: what it would get now</Badge>],
              ['Generated', d.generatedAt ? `${timeAgo(d.generatedAt)} (${d.generatedAt})` : '—'],
              ['Versions', Object.entries(d.versions).map(([k, v]) => `${k.split('.').pop()} ${v.slice(0, 12)}`).join(' · ') || '—'],
            ]}
          />
          {d.configs.length === 0 ? (
            <Empty title="The dump is empty" />
          ) : (
            <div class="dump-list">
              {d.configs.map((c, i) => {
                const { type, count } = countOf(c);
                return (
                  <div key={i} class="dump-item">
                    <button type="button" class="dump-head" aria-expanded={open === i} onClick={() => setOpen(open === i ? undefined : i)}>
                      <span>{open === i ? '▾' : '▸'}</span> {type}
                      {count !== undefined ? <span class="muted"> · {count}</span> : null}
                    </button>
                    {open === i ? <Code value={c} format="json" maxHeight={520} /> : null}
                  </div>
                );
              })}
            </div>
          )}
          <p class="muted small">Private keys are redacted.</p>
        </>
      )}
    </Async>
  );
}

interface ExplainedEntry {
  policy: string;
  targetRef: TargetRef;
  entryTargetRef: TargetRef;
  section: 'to' | 'from';
  index: number;
  precedence: number;
}
interface ExplainedTarget {
  name: string;
  service: string;
  rules: ExplainedEntry[];
  result: unknown;
}
interface PolicyExplanation {
  type: string;
  policies: { name: string; targetRef: TargetRef }[];
  outbounds: ExplainedTarget[];
  inbounds: ExplainedTarget[];
  notes?: string[];
}
interface DataplanePolicies {
  mtls: boolean;
  zoneEgress: boolean;
  precedence: string;
  policies: PolicyExplanation[];
}

function compact(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined || s === '{}' ? '—' : s.length > 160 ? `${s.slice(0, 157)}…` : s;
}

function Targets(props: { mesh: string; type: string; title: string; targets: ExplainedTarget[] }) {
  if (props.targets.length === 0) return null;
  return (
    <Table<ExplainedTarget>
      caption={props.title}
      rows={props.targets}
      rowKey={(t) => t.name}
      columns={[
        { header: props.title === 'Outbounds' ? 'Destination' : 'Inbound', cell: (t) => <code>{t.name}</code> },
        {
          header: 'Entries (ascending precedence)',
          cell: (t) =>
            t.rules.length === 0 ? (
              <span class="muted">none</span>
            ) : (
              t.rules.map((r, i) => (
                <span key={`${r.policy}:${r.index}`}>
                  {i > 0 ? ' < ' : ''}
                  <Link href={hrefOf({ view: 'policy', mesh: props.mesh, type: props.type, name: r.policy })}>{r.policy}</Link> {r.section}[{r.index}]
                </span>
              ))
            ),
        },
        { header: 'Result', cell: (t) => (compact(t.result) === '—' ? <span class="muted">—</span> : <pre class="mini">{toYaml(t.result)}</pre>) },
      ]}
    />
  );
}

/** Which policies apply to a Dataplane and why (a zone control plane's `GET .../policies`). */
export function DataplanePoliciesView(props: { mesh: string; name: string; fallback: ComponentChildren }) {
  const path = `/meshes/${encodeURIComponent(props.mesh)}/dataplanes/${encodeURIComponent(props.name)}/policies`;
  const state = useData((api, signal) => api.get<DataplanePolicies>(path, { signal }), [path]);
  if (state.status === 'loading') return <Loading label="Loading the policies" />;
  if (state.status === 'error' && noRoute(state.error)) return <>{props.fallback}</>;
  if (state.status === 'error') return <ErrorBox error={state.error} onRetry={state.reload} />;
  const d = state.data;
  return (
    <div class="policy-explain">
      <p class="muted small">
        mTLS {d.mtls ? 'on' : 'off'} · zone egress {d.zoneEgress ? 'on' : 'off'} · precedence: {d.precedence}
      </p>
      {d.policies.map((p) => (
        <div key={p.type} class="explain-type">
          <h3>{p.type}</h3>
          {p.policies.length === 0 ? (
            <div class="muted">No {p.type} selects this dataplane.</div>
          ) : (
            <div class="muted small">
              Selected by:{' '}
              {p.policies.map((x, i) => (
                <span key={x.name}>
                  {i > 0 ? ', ' : ''}
                  <Link href={hrefOf({ view: 'policy', mesh: props.mesh, type: p.type, name: x.name })}>{x.name}</Link> ({targetRefText(x.targetRef)})
                </span>
              ))}
            </div>
          )}
          <Targets mesh={props.mesh} type={p.type} title="Outbounds" targets={p.outbounds} />
          <Targets mesh={props.mesh} type={p.type} title="Inbounds" targets={p.inbounds} />
          {p.notes && p.notes.length > 0 ? (
            <ul class="path-notes">
              {p.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ))}
    </div>
  );
}
