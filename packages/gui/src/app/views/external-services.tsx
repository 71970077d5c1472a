import { MeshPicker } from '../components/mesh-picker.js';
import { Async, Badge, Empty, Link, PageHeader, Table, Tags } from '../components/ui.js';
import { useData } from '../hooks.js';
import { seg } from '../lib/api.js';
import { externalProtocol, meshMtlsEnabled } from '../lib/path.js';
import { hrefOf } from '../lib/router.js';
import { type ExternalService, type Mesh, SERVICE_TAG, ZONE_TAG } from '../lib/types.js';

export function ExternalServicesView(props: { mesh?: string | undefined }) {
  const state = useData(
    async (api, signal) => {
      const [items, meshes] = await Promise.all([
        api.listAll<ExternalService>(props.mesh ? `/meshes/${seg(props.mesh)}/external-services` : '/external-services', { signal }),
        api.listAll<Mesh>('/meshes', { signal }),
      ]);
      return { items, meshes };
    },
    [props.mesh],
  );
  return (
    <div class="page">
      <PageHeader
        title="External services"
        subtitle="Services outside the mesh that mesh services call with the mesh's security, observability and traffic control"
        right={<MeshPicker mesh={props.mesh} hrefFor={(m) => hrefOf({ view: 'external-services', ...(m ? { mesh: m } : {}) })} />}
      />
      <Async state={state} label="Loading external services">
        {({ items, meshes }) => (
          <Table<ExternalService>
            rows={items}
            rowKey={(e) => `${e.mesh}/${e.name}`}
            empty={
              <Empty title={props.mesh ? `No ExternalService in mesh "${props.mesh}"` : 'No ExternalService yet'}>
                Apply one on the global control plane: <code>causeway apply -f external-service.yaml</code> (Kuma's format: <code>type: ExternalService</code>,{' '}
                <code>tags</code> with <code>kuma.io/service</code>, <code>networking.address</code>).
              </Empty>
            }
            columns={[
              { header: 'Name', cell: (e) => <Link href={hrefOf({ view: 'external-service', mesh: e.mesh ?? 'default', name: e.name })}>{e.name}</Link> },
              ...(props.mesh ? [] : [{ header: 'Mesh', cell: (e: ExternalService) => e.mesh }]),
              { header: 'Service', cell: (e) => <code>{e.tags[SERVICE_TAG]}</code> },
              { header: 'Address', cell: (e) => <code>{e.networking.address}</code> },
              { header: 'Protocol', cell: (e) => e.tags['kuma.io/protocol'] ?? externalProtocol(e) },
              { header: 'TLS', cell: (e) => (e.networking.tls?.enabled ? <Badge tone="ok">originated</Badge> : <span class="muted">no</span>) },
              { header: 'Offered in', cell: (e) => e.tags[ZONE_TAG] ?? <span class="muted">every zone</span> },
              {
                header: 'Leaves through',
                cell: (e) => {
                  const m = meshes.find((x) => x.name === e.mesh);
                  return m && meshMtlsEnabled(m) && m.routing?.zoneEgress ? 'zone egress' : 'the caller sidecar';
                },
              },
              { header: 'Tags', cell: (e) => <Tags tags={Object.fromEntries(Object.entries(e.tags).filter(([k]) => k !== SERVICE_TAG && k !== ZONE_TAG))} /> },
            ]}
          />
        )}
      </Async>
    </div>
  );
}
