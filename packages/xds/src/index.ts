// The Envoy API (protos, codec, names, validation) is @causeway/envoy. The two names below are
// re-exported for the control plane's tests and the integration tests, which talk ADS to a zone.
export * from './vip.js';
export * from './context.js';
export * from './generate/index.js';
export * from './server/index.js';
export * from './zone/index.js';
export { envoyValidationErrors, TYPE_URLS } from '@causeway/envoy';
export * from './policies/index.js';
