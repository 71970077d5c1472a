import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient } from './lib/api.js';
import { matchRoute, type Route } from './lib/router.js';
import type { IndexInfo } from './lib/types.js';

export interface AppContextValue {
  api: ApiClient;
  index: IndexInfo;
  signOut(reason?: string): void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error('useApp outside the signed-in app');
  return ctx;
}

const NAVIGATE = 'causeway:navigate';

/** Client-side navigation: pushes the path and tells the router. */
export function navigate(href: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.dispatchEvent(new Event(NAVIGATE));
  window.scrollTo(0, 0);
}

export function useRoute(): { route: Route; search: URLSearchParams } {
  const read = () => ({ route: matchRoute(location.pathname), search: new URLSearchParams(location.search) });
  const [state, setState] = useState(read);
  useEffect(() => {
    const on = () => setState(read());
    window.addEventListener('popstate', on);
    window.addEventListener(NAVIGATE, on);
    return () => {
      window.removeEventListener('popstate', on);
      window.removeEventListener(NAVIGATE, on);
    };
  }, []);
  return state;
}

export type DataState<T> =
  | { status: 'loading'; reload(): void }
  | { status: 'error'; error: unknown; reload(): void }
  | { status: 'ok'; data: T; refreshing: boolean; refreshError?: unknown; updatedAt: number; reload(): void };

/**
 * Loads data with the API, again when `deps` change, and every `refreshMs` when given (keeping what it
 * showed while it refreshes; a failed refresh keeps the last data and reports the error beside it).
 */
export function useData<T>(load: (api: ApiClient, signal: AbortSignal) => Promise<T>, deps: unknown[], opts: { refreshMs?: number } = {}): DataState<T> {
  const { api } = useApp();
  const [state, setState] = useState<{ status: 'loading' } | { status: 'error'; error: unknown } | { status: 'ok'; data: T; refreshing: boolean; refreshError?: unknown; updatedAt: number }>({
    status: 'loading',
  });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const hasData = useRef(false);

  useEffect(() => {
    hasData.current = false;
    setState({ status: 'loading' });
  }, deps);

  useEffect(() => {
    const ctrl = new AbortController();
    if (hasData.current) setState((s) => (s.status === 'ok' ? { ...s, refreshing: true } : s));
    loadRef
      .current(api, ctrl.signal)
      .then((data) => {
        if (ctrl.signal.aborted) return;
        hasData.current = true;
        setState({ status: 'ok', data, refreshing: false, updatedAt: Date.now() });
      })
      .catch((error: unknown) => {
        if (ctrl.signal.aborted) return;
        setState((s) => (s.status === 'ok' ? { ...s, refreshing: false, refreshError: error } : { status: 'error', error }));
      });
    return () => ctrl.abort();
  }, [...deps, tick, api]);

  useEffect(() => {
    if (!opts.refreshMs) return;
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') setTick((n) => n + 1);
    }, opts.refreshMs);
    return () => clearInterval(t);
  }, [opts.refreshMs]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload } as DataState<T>;
}

/** Re-renders every `ms` (for "x s ago" texts). */
export function useNow(ms = 5000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
