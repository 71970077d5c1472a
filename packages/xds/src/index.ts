export * from './protos.js';
export * from './codec.js';
export * from './names.js';
export * from './vip.js';
export * from './context.js';
export * from './generate/index.js';
export * from './server/index.js';
export * from './validate.js';
