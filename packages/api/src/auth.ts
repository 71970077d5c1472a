import { timingSafeEqual } from 'node:crypto';
import { CausewayError } from '@causeway/core';
import type { FastifyRequest } from 'fastify';

/** True when the request carries `Authorization: Bearer <adminToken>`. Constant-time compare. */
export function hasAdminToken(req: FastifyRequest, adminToken: string): boolean {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice('Bearer '.length).trim());
  const want = Buffer.from(adminToken);
  return given.length === want.length && timingSafeEqual(given, want);
}

export function requireAdmin(req: FastifyRequest, adminToken: string, what: string): void {
  if (!hasAdminToken(req, adminToken)) {
    throw new CausewayError(
      'UNAUTHORIZED',
      req.headers.authorization ? `the admin token is not valid (${what} needs "Authorization: Bearer <admin token>")` : `${what} needs "Authorization: Bearer <admin token>"`,
    );
  }
}
