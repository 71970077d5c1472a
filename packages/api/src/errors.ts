import type { Socket } from 'node:net';
import { type ApiErrorBody, CausewayError } from '@causeway/core';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';

/** How fastify's own 4xx errors read in Kuma's shape: title, and the field the error is about. */
function describeFastifyError(fe: FastifyError, status: number, limits: { bodyLimit: string }): ApiErrorBody {
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        title: 'Request body too large',
        details: `the request body is larger than the limit of ${limits.bodyLimit}`,
        invalid_parameters: [{ field: 'body', reason: `must be at most ${limits.bodyLimit}` }],
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        title: 'Unsupported media type',
        details: `${fe.message}; send application/json or application/yaml`,
        invalid_parameters: [{ field: 'content-type', reason: 'must be application/json or application/yaml' }],
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { title: 'Bad request', details: fe.message, invalid_parameters: [{ field: 'body', reason: 'is empty but the content type is application/json' }] };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { title: 'Bad request', details: fe.message, invalid_parameters: [{ field: 'content-length', reason: 'does not match the body' }] };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { title: 'URI too long', details: fe.message, invalid_parameters: [{ field: 'name', reason: 'is too long' }] };
    default:
      break;
  }
  // Fastify's JSON parser reports syntax errors with status 400 and no code of its own.
  if (status === 400 && fe instanceof SyntaxError)
    return { title: 'Bad request', details: `the body is not valid JSON: ${fe.message}`, invalid_parameters: [{ field: 'body', reason: 'not valid JSON' }] };
  const title = status === 413 ? 'Request body too large' : status === 415 ? 'Unsupported media type' : status === 414 ? 'URI too long' : 'Bad request';
  return { title, details: fe.message, invalid_parameters: [{ field: 'body', reason: fe.message }] };
}

/**
 * Kuma's error fields (its API's AIP-193 error): `type`, `status`, `detail`, and the deprecated `causes`
 * (`{field, message}`), next to `title`, `details` and `invalid_parameters`.
 */
export function withKumaErrorFields(body: Record<string, unknown>, status: number): Record<string, unknown> {
  const params = Array.isArray(body.invalid_parameters) ? (body.invalid_parameters as { field?: unknown; reason?: unknown }[]) : undefined;
  return {
    type: '/std-errors',
    status,
    detail: typeof body.details === 'string' ? body.details : body.title,
    ...body,
    ...(params ? { causes: params.map((p) => ({ field: p.field, message: p.reason })) } : {}),
  };
}

/** Every error leaves the API in Kuma's shape: `{ type, status, title, detail, details, invalid_parameters?, causes? }`. */
export function installErrorHandling(app: FastifyInstance, limits: { bodyLimit: string }): void {
  // Whoever answered with an error (a route, a hook, fastify itself), the body gets Kuma's fields.
  app.addHook('onSend', async (_req, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== 'string' || !payload.startsWith('{')) return payload;
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      return payload;
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body) || typeof (body as { title?: unknown }).title !== 'string') return payload;
    return JSON.stringify(withKumaErrorFields(body as Record<string, unknown>, reply.statusCode));
  });
  app.setErrorHandler((err: FastifyError | CausewayError | Error, req, reply) => {
    if (err instanceof CausewayError) {
      if (err.status >= 500) req.log.error({ err }, 'request failed');
      return reply.status(err.status).send(err.toApiError());
    }
    const fe = err as FastifyError;
    const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 ? fe.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return reply.status(500).send({ title: 'Internal error', details: 'the request failed; see the control plane log' });
    }
    return reply.status(status).send(describeFastifyError(fe, status, limits));
  });
  // installAuth's onRequest hook answers unknown routes first (before fastify parses their body); this
  // handler is the same answer should a request reach it another way.
  app.setNotFoundHandler((req, reply) => {
    const e = noRoute(req);
    reply.status(e.status).send(e.toApiError());
  });
}

/** The 404 of a request no route matches. */
export function noRoute(req: FastifyRequest): CausewayError {
  return new CausewayError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
}

const CLIENT_ERRORS: Record<string, { status: number; title: string; field: string; reason: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, title: 'Request header fields too large', field: 'headers', reason: 'the request line and headers together must fit 16 KiB' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, title: 'Request timeout', field: 'body', reason: 'was not received in time' },
};

/**
 * Errors Node's HTTP parser finds before fastify sees a request (a request line or headers over 16 KiB, a
 * malformed request): answered in the same shape, then the connection is closed.
 */
export function writeClientError(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const known = err.code ? CLIENT_ERRORS[err.code] : undefined;
  const e = known ?? { status: 400, title: 'Bad request', field: 'request', reason: 'is not a valid HTTP/1.1 request' };
  const body = JSON.stringify(withKumaErrorFields({ title: e.title, details: `${e.title}: ${e.field}: ${e.reason}`, invalid_parameters: [{ field: e.field, reason: e.reason }] }, e.status));
  socket.end(
    `HTTP/1.1 ${e.status} ${e.title}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
