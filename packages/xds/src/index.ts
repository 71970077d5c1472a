// The Envoy API (protos, codec, names, validation) is @causeway/envoy. The names below are
// re-exported for the control plane (its tests and the traffic collector's stat names) and the
// integration tests, which talk ADS to a zone.
export * from './vip.js';
export * from './context.js';
export * from './generate/index.js';
export * from './server/index.js';
export * from './zone/index.js';
export { envoyValidationErrors, statPrefix, TYPE_URLS } from '@causeway/envoy';
export * from './policies/index.js';
