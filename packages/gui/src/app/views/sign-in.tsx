import { useState } from 'preact/hooks';
import type { IndexInfo } from '../lib/types.js';

/** Sign-in with the control plane's admin token (kept in this tab's session storage only). */
export function SignIn(props: { index: IndexInfo; reason?: string | undefined; onSignIn: (token: string) => Promise<string | undefined> }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const where =
    props.index.mode === 'zone'
      ? `the file the zone control plane was started with (--admin-token-file; by default ~/.causeway/zone-${props.index.zone ?? 'NAME'}-admin-token, or DIR/admin-token with --data-dir)`
      : 'the file the global control plane was started with (--admin-token-file; by default ~/.causeway/global-admin-token, or DIR/admin-token with --data-dir)';
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!token.trim()) {
      setError('Paste the admin token first.');
      return;
    }
    setBusy(true);
    setError(undefined);
    const err = await props.onSignIn(token.trim());
    setBusy(false);
    if (err) setError(err);
  };
  return (
    <div class="center-page">
      <form class="signin" onSubmit={submit}>
        <div class="brand big">Causeway</div>
        <div class="signin-cp">
          {props.index.mode === 'global' ? 'Global control plane' : `Zone control plane · ${props.index.zone ?? ''}`} · version {props.index.version}
        </div>
        {props.reason ? (
          <div class="error-box compact" role="alert">
            {props.reason}
          </div>
        ) : null}
        <label for="token">Admin token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellcheck={false}
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          placeholder="paste the admin token"
          disabled={busy}
        />
        {error ? (
          <div class="field-error" role="alert">
            {error}
          </div>
        ) : null}
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p class="muted small">
          The token is in {where}. It is kept in this tab's session storage only and sent to this control plane with each request. The GUI
          only reads: it changes nothing.
        </p>
      </form>
    </div>
  );
}
