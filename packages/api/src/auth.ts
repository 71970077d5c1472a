import { timingSafeEqual } from 'node:crypto';
import { CausewayError } from '@causeway/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { noRoute } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs the admin token; the text says for what ("changing an ExternalService"). */
    admin?: string;
    /** The route is refused (405) on this control plane, with this reason. */
    readOnly?: string;
  }
}

/** True when the request carries `Authorization: Bearer <adminToken>`. Constant-time compare. */
export function hasAdminToken(req: FastifyRequest, adminToken: string): boolean {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice('Bearer '.length).trim());
  const want = Buffer.from(adminToken);
  return given.length === want.length && timingSafeEqual(given, want);
}

function requireAdmin(req: FastifyRequest, adminToken: string, what: string): void {
  if (!hasAdminToken(req, adminToken)) {
    throw new CausewayError(
      'UNAUTHORIZED',
      req.headers.authorization ? `the admin token is not valid (${what} needs "Authorization: Bearer <admin token>")` : `${what} needs "Authorization: Bearer <admin token>"`,
    );
  }
}

/**
 * Decides authentication and the read-only rules from the route's config (`config.admin`,
 * `config.readOnly`) in `onRequest`: after routing, before the body is read or parsed. A request that is
 * not allowed never reaches a parser. Routes declare what they need; handlers do not check again.
 */
export function installAuth(app: FastifyInstance, adminToken: string): void {
  app.addHook('onRequest', async (req) => {
    // fastify would parse the body of a request to an unknown route before its not-found handler runs.
    if (req.is404) throw noRoute(req);
    const config = req.routeOptions.config;
    if (config.admin !== undefined) requireAdmin(req, adminToken, config.admin);
    if (config.readOnly !== undefined) throw new CausewayError('READ_ONLY', config.readOnly);
  });
}
