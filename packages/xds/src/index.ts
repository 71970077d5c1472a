export * from './protos.js';
export * from './codec.js';
