export { freePort } from './free-port.js';
export { type NatsServer, type NatsServerOptions, startNatsServer } from './nats-server.js';
