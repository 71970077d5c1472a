import { CausewayError } from '@causeway/core';
import type { FastifyError, FastifyInstance } from 'fastify';

/** Every error leaves the API in Kuma's shape: `{ title, details, invalid_parameters? }`. */
export function installErrorHandling(app: FastifyInstance): void {
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
    const title = status === 413 ? 'Request body too large' : status === 415 ? 'Unsupported media type' : 'Bad request';
    return reply.status(status).send({ title, details: fe.message });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ title: 'Not found', details: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
}
