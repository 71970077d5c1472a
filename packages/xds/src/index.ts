// The Envoy API (protos, codec, names, validation) is @causeway/envoy; ./protos.js, ./codec.js and
// ./names.js re-export the part of it this package's index always exported, until its users import
// @causeway/envoy directly.
export * from './protos.js';
export * from './codec.js';
export * from './names.js';
export * from './vip.js';
export * from './context.js';
export * from './generate/index.js';
export * from './server/index.js';
export * from './zone/index.js';
export { envoyValidationErrors } from '@causeway/envoy';
export * from './policies/index.js';
