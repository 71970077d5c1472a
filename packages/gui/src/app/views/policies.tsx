import type { ComponentChildren } from 'preact';
import { MeshPicker } from '../components/mesh-picker.js';
import { Async, Badge, Code, Empty, KeyValues, Link, PageHeader, Section, Table } from '../components/ui.js';
import { useData } from '../hooks.js';
import { seg } from '../lib/api.js';
import { targetRefText } from '../lib/policies.js';
import { hrefOf } from '../lib/router.js';
import { type Policy, POLICY_TYPES, type TargetRef } from '../lib/types.js';

type Row = { type: string; title: string; policy: Policy };

export function PoliciesView(props: { mesh?: string | undefined }) {
  const state = useData(
    async (api, signal) =>
      (
        await Promise.all(
          POLICY_TYPES.map(async (t) =>
            (await api.listAll<Policy>(props.mesh ? `/meshes/${seg(props.mesh)}/${t.path}` : `/${t.path}`, { signal })).map((policy): Row => ({ type: t.type, title: t.title, policy })),
          ),
        )
      ).flat(),
    [props.mesh],
  );
  return (
    <div class="page">
      <PageHeader
        title="Policies"
        subtitle="Traffic permissions, timeouts and retries (Kuma's targetRef policies)"
        right={<MeshPicker mesh={props.mesh} hrefFor={(m) => hrefOf({ view: 'policies', ...(m ? { mesh: m } : {}) })} />}
      />
      <Async state={state} label="Loading policies">
        {(rows) =>
          rows.length === 0 ? (
            <Empty title={props.mesh ? `No policy in mesh "${props.mesh}"` : 'No policy yet'}>
              Apply MeshTrafficPermission, MeshTimeout or MeshRetry resources on the global control plane. With mTLS and no MeshTrafficPermission, no
              service may call another.
            </Empty>
          ) : (
            POLICY_TYPES.map((t) => {
              const list = rows.filter((r) => r.type === t.type);
              return (
                <Section key={t.type} title={`${t.title} (${t.type})`}>
                  <Table<Row>
                    rows={list}
                    rowKey={(r) => `${r.policy.mesh}/${r.policy.name}`}
                    empty={<div class="muted small">none</div>}
                    columns={[
                      { header: 'Name', cell: (r) => <Link href={hrefOf({ view: 'policy', mesh: r.policy.mesh ?? 'default', type: r.type, name: r.policy.name })}>{r.policy.name}</Link> },
                      ...(props.mesh ? [] : [{ header: 'Mesh', cell: (r: Row) => r.policy.mesh }]),
                      { header: 'targetRef', cell: (r) => <code>{targetRefText(r.policy.spec?.targetRef)}</code> },
                      { header: 'Entries', cell: (r) => <EntriesSummary policy={r.policy} /> },
                    ]}
                  />
                </Section>
              );
            })
          )
        }
      </Async>
    </div>
  );
}

function EntriesSummary(props: { policy: Policy }) {
  const s = props.policy.spec ?? {};
  const parts = [
    ...(s.from ?? []).map((e) => ({ k: `from ${targetRefText(e.targetRef)}`, action: (e.default as { action?: string })?.action })),
    ...(s.to ?? []).map((e) => ({ k: `to ${targetRefText(e.targetRef)}`, action: undefined })),
  ];
  return (
    <span class="entries">
      {parts.map((p, i) => (
        <span key={i} class="entry">
          {p.k}
          {p.action ? (
            <>
              {' '}
              <Badge tone={p.action === 'Deny' ? 'bad' : 'ok'}>{p.action}</Badge>
            </>
          ) : null}
        </span>
      ))}
    </span>
  );
}

function refMeaning(ref: TargetRef | undefined, what: 'proxies' | 'callers' | 'destinations'): string {
  const t = ref?.kind ?? 'Mesh';
  if (t === 'Mesh') return `every ${what === 'proxies' ? 'proxy' : what === 'callers' ? 'caller' : 'destination'} of the mesh`;
  if (t === 'MeshService') return `${what} with kuma.io/service ${ref?.name}`;
  if (t === 'MeshServiceSubset') return `${what} of kuma.io/service ${ref?.name} with ${targetRefText({ kind: 'MeshSubset', ...(ref?.tags ? { tags: ref.tags } : {}) })}`;
  return `${what} whose tags include ${targetRefText(ref)}`;
}

export function PolicyView(props: { mesh: string; type: string; name: string }) {
  const t = POLICY_TYPES.find((x) => x.type === props.type);
  const state = useData(
    (api, signal) => (t ? api.get<Policy>(`/meshes/${seg(props.mesh)}/${t.path}/${seg(props.name)}`, { signal }) : Promise.reject(new Error(`unknown policy type ${props.type}`))),
    [props.mesh, props.type, props.name],
  );
  return (
    <div class="page">
      <PageHeader
        kind={props.type}
        title={props.name}
        subtitle={`mesh ${props.mesh}`}
        crumbs={[
          { href: hrefOf({ view: 'policies' }), label: 'Policies' },
          { href: hrefOf({ view: 'policies', mesh: props.mesh }), label: props.mesh },
        ]}
      />
      <Async state={state} label="Loading the policy">
        {(p) => {
          const s = p.spec ?? {};
          const isMtp = props.type === 'MeshTrafficPermission';
          return (
            <>
              <Section title="What it does">
                <KeyValues
                  rows={[
                    [isMtp ? 'Protects' : 'Configures', `${targetRefText(s.targetRef)}: ${refMeaning(s.targetRef, isMtp ? 'destinations' : 'proxies')}`],
                    ...(s.from ?? []).map((e, i): [string, ComponentChildren] => [
                      `from[${i}]`,
                      <span>
                        <code>{targetRefText(e.targetRef)}</code> ({refMeaning(e.targetRef, 'callers')}):{' '}
                        {isMtp ? <Badge tone={(e.default as { action?: string })?.action === 'Deny' ? 'bad' : 'ok'}>{(e.default as { action?: string })?.action}</Badge> : <code>{JSON.stringify(e.default)}</code>}
                      </span>,
                    ]),
                    ...(s.to ?? []).map((e, i): [string, ComponentChildren] => [
                      `to[${i}]`,
                      <span>
                        <code>{targetRefText(e.targetRef)}</code> ({refMeaning(e.targetRef, 'destinations')}): <code>{JSON.stringify(e.default)}</code>
                      </span>,
                    ]),
                  ]}
                />
              </Section>
              <Section title="Resource">
                <Code value={p} />
              </Section>
            </>
          );
        }}
      </Async>
    </div>
  );
}
