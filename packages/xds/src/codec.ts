// The codec moved to @causeway/envoy. This module re-exports it for src/server until that imports
// @causeway/envoy directly; nothing else in this package imports it.
export {
  type AnyProto,
  decodeAny,
  decodeMessage,
  durationMs,
  type EnvoyJson,
  encodeAny,
  encodeMessage,
  formatProtoDuration,
  messageType,
  parseProtoDuration,
  validateResource,
  XdsCodecError,
} from '@causeway/envoy';
