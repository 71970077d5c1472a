export { freePort, type NatsServer, type NatsServerOptions, startNatsServer } from './nats-server.js';
