import { useEffect, useMemo, useState } from 'preact/hooks';
import { ErrorBox, Link, Loading } from './components/ui.js';
import { AppContext, type AppContextValue, navigate, useRoute } from './hooks.js';
import { ApiError, createApi, describeError, verifyToken } from './lib/api.js';
import { hrefOf, type Route } from './lib/router.js';
import { sessionTokenStore } from './lib/session.js';
import type { IndexInfo } from './lib/types.js';
import { DataplaneView, DataplanesView } from './views/dataplanes.js';
import { ExternalServiceView } from './views/external-service.js';
import { ExternalServicesView } from './views/external-services.js';
import { MeshesView, MeshView } from './views/meshes.js';
import { OverviewView } from './views/overview.js';
import { PoliciesView, PolicyView } from './views/policies.js';
import { SignIn } from './views/sign-in.js';
import { ZoneProxiesView, ZoneProxyView } from './views/zone-proxies.js';

const tokens = sessionTokenStore(typeof sessionStorage === 'undefined' ? undefined : sessionStorage);

function useIndex(): { index?: IndexInfo; error?: unknown; reload(): void } {
  const [state, setState] = useState<{ index?: IndexInfo; error?: unknown }>({});
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ctrl = new AbortController();
    setState({});
    createApi()
      .get<IndexInfo>('/', { signal: ctrl.signal })
      .then((index) => setState({ index }))
      .catch((error: unknown) => {
        if (!ctrl.signal.aborted) setState({ error });
      });
    return () => ctrl.abort();
  }, [tick]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}

export function App() {
  const { index, error, reload } = useIndex();
  const [token, setToken] = useState<string | undefined>(() => tokens.get());
  const [signedOutReason, setSignedOutReason] = useState<string | undefined>();

  const signOut = (reason?: string) => {
    tokens.clear();
    setToken(undefined);
    setSignedOutReason(reason);
  };
  const api = useMemo(
    () =>
      createApi({
        ...(token ? { token } : {}),
        onUnauthorized: (e: ApiError) => signOut(`The control plane refused the token: ${e.message}`),
      }),
    [token],
  );

  if (error)
    return (
      <div class="center-page">
        <div class="brand big">Causeway</div>
        <ErrorBox error={error} onRetry={reload} />
      </div>
    );
  if (!index)
    return (
      <div class="center-page">
        <div class="brand big">Causeway</div>
        <Loading label="Connecting to the control plane" rows={2} />
      </div>
    );
  if (!token)
    return (
      <SignIn
        index={index}
        reason={signedOutReason}
        onSignIn={async (t) => {
          try {
            await verifyToken(createApi({ token: t }));
          } catch (e) {
            if (e instanceof ApiError && e.kind === 'unauthorized') return 'This is not the admin token of this control plane.';
            return describeError(e).message;
          }
          tokens.set(t);
          setSignedOutReason(undefined);
          setToken(t.trim());
          return undefined;
        }}
      />
    );
  const ctx: AppContextValue = { api, index, signOut };
  return (
    <AppContext.Provider value={ctx}>
      <Shell index={index} signOut={() => signOut()} />
    </AppContext.Provider>
  );
}

const NAV: { label: string; href: string; match: Route['view'][] }[] = [
  { label: 'Overview', href: hrefOf({ view: 'overview' }), match: ['overview'] },
  { label: 'Meshes', href: hrefOf({ view: 'meshes' }), match: ['meshes', 'mesh'] },
  { label: 'External services', href: hrefOf({ view: 'external-services' }), match: ['external-services', 'external-service'] },
  { label: 'Dataplanes', href: hrefOf({ view: 'dataplanes' }), match: ['dataplanes', 'dataplane'] },
  { label: 'Zone ingresses', href: hrefOf({ view: 'zone-ingresses' }), match: ['zone-ingresses', 'zone-ingress'] },
  { label: 'Zone egresses', href: hrefOf({ view: 'zone-egresses' }), match: ['zone-egresses', 'zone-egress'] },
  { label: 'Policies', href: hrefOf({ view: 'policies' }), match: ['policies', 'policy'] },
];

function Shell(props: { index: IndexInfo; signOut: () => void }) {
  const { route } = useRoute();
  const { index } = props;
  useEffect(() => {
    document.title = `Causeway · ${index.mode === 'zone' ? `zone ${index.zone}` : 'global'}`;
  }, [index]);
  return (
    <div class="shell">
      <aside class="sidebar">
        <Link href={hrefOf({ view: 'overview' })} class="brand">
          Causeway
        </Link>
        <div class={`cp-badge cp-${index.mode}`}>
          {index.mode === 'global' ? 'Global control plane' : `Zone control plane · ${index.zone ?? ''}`}
          {index.mode === 'zone' ? <div class="cp-note">read-only view of this zone</div> : null}
        </div>
        <nav class="nav" aria-label="Main">
          {NAV.map((n) => (
            <Link key={n.href} href={n.href} class={n.match.includes(route.view) ? 'nav-item on' : 'nav-item'}>
              {n.label}
            </Link>
          ))}
        </nav>
        <div class="sidebar-foot">
          <div class="muted small">version {index.version}</div>
          <button type="button" class="button ghost" onClick={props.signOut}>
            Sign out
          </button>
        </div>
      </aside>
      <main class="main">
        <RouteView route={route} />
      </main>
    </div>
  );
}

function RouteView(props: { route: Route }) {
  const r = props.route;
  switch (r.view) {
    case 'overview':
      return <OverviewView />;
    case 'meshes':
      return <MeshesView />;
    case 'mesh':
      return <MeshView mesh={r.mesh} />;
    case 'external-services':
      return <ExternalServicesView mesh={r.mesh} />;
    case 'external-service':
      return <ExternalServiceView mesh={r.mesh} name={r.name} />;
    case 'dataplanes':
      return <DataplanesView mesh={r.mesh} />;
    case 'dataplane':
      return <DataplaneView mesh={r.mesh} name={r.name} />;
    case 'zone-ingresses':
      return <ZoneProxiesView kind="ingress" />;
    case 'zone-ingress':
      return <ZoneProxyView kind="ingress" name={r.name} />;
    case 'zone-egresses':
      return <ZoneProxiesView kind="egress" />;
    case 'zone-egress':
      return <ZoneProxyView kind="egress" name={r.name} />;
    case 'policies':
      return <PoliciesView mesh={r.mesh} />;
    case 'policy':
      return <PolicyView mesh={r.mesh} type={r.type} name={r.name} />;
    case 'not-found':
      return (
        <div class="page">
          <div class="empty">
            <div class="empty-icon">?</div>
            <div class="empty-title">No page at {r.path}</div>
            <div class="empty-text">
              <a
                href={hrefOf({ view: 'overview' })}
                onClick={(e) => {
                  e.preventDefault();
                  navigate(hrefOf({ view: 'overview' }));
                }}
              >
                Go to the overview
              </a>
            </div>
          </div>
        </div>
      );
  }
}
