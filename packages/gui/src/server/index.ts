/**
 * Serves the built GUI (dist/app) at `/gui` on a control plane's fastify instance:
 * - `/gui`, `/gui/` and every client-side route (`/gui/meshes/default/...`) answer index.html, so reloads
 *   and shared links work (the API ignores trailing slashes: `/gui` and `/gui/` are one route);
 * - the built files (`/gui/assets/*.js`, `.css`) with their content types; hashed assets are cached for a
 *   year, index.html is revalidated every time;
 * - a missing asset (a path with a file extension, or under `/gui/assets/`) is the API's 404, never
 *   index.html in place of a script.
 * The same app runs on global and zone control planes: it asks `GET /` which one it talks to.
 * No route here needs the admin token (the app sends it with its API requests).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';

/** Where `vite build` puts the app: the package's dist/app (from dist/server/index.js, or src/server/index.ts in tests). */
export const GUI_ROOT: string = fileURLToPath(new URL('../../dist/app/', import.meta.url));

export const GUI_PATH = '/gui/';

/**
 * What the browser may load and run on a GUI page: this origin only (scripts, styles, fetches), inline
 * style attributes (the chart library sets them), images from data: URLs; not framed by other sites.
 */
export const GUI_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

export interface GuiOptions {
  /** The built app (default GUI_ROOT). */
  root?: string;
}

// `hide` keeps the routes out of /openapi.json (@fastify/swagger, registered by the API).
const hidden = { schema: { hide: true } as FastifySchema };

function notFound(req: FastifyRequest, reply: FastifyReply) {
  return reply.status(404).send({ title: 'Not found', details: `no GUI file ${req.url.split('?')[0]}` });
}

/** Registers the GUI routes. Whether the app was built is checked once, here. */
export async function guiRoutes(app: FastifyInstance, opts: GuiOptions = {}): Promise<void> {
  const root = opts.root ?? GUI_ROOT;
  const indexFile = join(root, 'index.html');

  if (!existsSync(indexFile)) {
    app.log.warn({ root }, 'the GUI is not built: /gui answers 503 (run `npm run build`)');
    const unbuilt = async (_req: FastifyRequest, reply: FastifyReply) =>
      reply.status(503).send({ title: 'GUI not built', details: `the GUI's files are missing (${root}): run \`npm run build\` in the repository and restart the control plane` });
    app.get(GUI_PATH, hidden, unbuilt);
    app.get(`${GUI_PATH}*`, hidden, unbuilt);
    return;
  }

  const index = readFileSync(indexFile);
  const sendIndex = async (_req: FastifyRequest, reply: FastifyReply) =>
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', GUI_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(index);

  // wildcard: false registers one route per built file (globbed now: the build does not change while the
  // control plane runs), so the catch-all below is only reached by paths that are not files.
  await app.register(fastifyStatic, {
    root,
    prefix: GUI_PATH,
    wildcard: false,
    index: false,
    decorateReply: false,
    cacheControl: false,
    schemaHide: true,
    setHeaders: (reply, path) => {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('cache-control', path.startsWith(join(root, 'assets')) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });

  app.get(GUI_PATH, hidden, sendIndex);
  app.get(`${GUI_PATH}*`, hidden, async (req, reply) => {
    const path = (req.url.split('?')[0] ?? '').slice(GUI_PATH.length);
    // A file that is not there (a stale asset name after an upgrade, a typo): 404, not the app.
    if (path.startsWith('assets/') || /\.[A-Za-z0-9]{1,8}$/.test(path)) return notFound(req, reply);
    return sendIndex(req, reply);
  });
}
