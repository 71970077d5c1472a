// The Envoy protos and type URLs moved to @causeway/envoy. This module re-exports them for src/server
// until that imports @causeway/envoy directly; nothing else in this package imports it.
export {
  envoyPackageDefinition,
  envoyRoot,
  LOADER_OPTIONS,
  PROTO_ENTRY,
  protoIncludeDirs,
  TYPE_PREFIX,
  TYPE_URLS,
  XDS_KINDS,
  type XdsKind,
} from '@causeway/envoy';
