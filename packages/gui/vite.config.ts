/**
 * Builds the browser app (src/app, entry index.html) into dist/app, served by the control plane at /gui
 * (src/server, built into dist/server by `tsc -b`). Everything is bundled: nothing is loaded from a CDN.
 * Also the vitest config of this package (unit tests run in Node).
 */
import { defineConfig } from 'vitest/config';

// `npm run dev -w @causeway/gui`: the dev server on /gui/, the API of the control plane at
// CAUSEWAY_GUI_API (default the demo's global, http://127.0.0.1:5681) behind it.
const api = process.env.CAUSEWAY_GUI_API ?? 'http://127.0.0.1:5681';

export default defineConfig({
  base: '/gui/',
  root: 'src/app',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../../dist/app',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
    reportCompressedSize: false,
  },
  server: { proxy: { '^/(?!gui(/|$)|@|node_modules/|src/).*': { target: api, changeOrigin: true } } },
  test: {
    root: '.',
    include: ['src/**/*.test.ts'],
  },
});
