export * from './codec.js';
export * from './config.js';
export * from './protos.js';
export * from './validate.js';
