import { navigate, useData } from '../hooks.js';
import type { Mesh } from '../lib/types.js';

/** A select of the meshes ("all meshes" first) that navigates to `hrefFor(mesh)`. */
export function MeshPicker(props: { mesh: string | undefined; hrefFor: (mesh: string | undefined) => string }) {
  const state = useData((api, signal) => api.listAll<Mesh>('/meshes', { signal }), []);
  const meshes = state.status === 'ok' ? state.data.map((m) => m.name) : props.mesh ? [props.mesh] : [];
  return (
    <label class="picker">
      <span>Mesh</span>
      <select value={props.mesh ?? ''} onChange={(e) => navigate(props.hrefFor((e.target as HTMLSelectElement).value || undefined))} disabled={state.status === 'loading'}>
        <option value="">all meshes</option>
        {meshes.map((m) => (
          <option key={m} value={m}>
            {m}
          </option>
        ))}
      </select>
    </label>
  );
}
