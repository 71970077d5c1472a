export * from './codec.js';
export * from './model.js';
export * from './names.js';
export * from './protos.js';
export * from './validate.js';
