/**
 * The light entry `@causeway/envoy/config`: the typed config model, names, type URLs and durations,
 * without the protos (nothing here loads protobufjs). For code that builds Envoy config but never
 * encodes it: the policy plugins in @causeway/core.
 */
export * from './duration.js';
export * from './model.js';
export * from './names.js';
export * from './type-urls.js';
export type { EnvoyJson } from './codec.js';
