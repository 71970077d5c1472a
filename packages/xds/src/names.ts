// The names moved to @causeway/envoy. This module re-exports them for src/server until that imports
// @causeway/envoy directly; nothing else in this package imports it.
export {
  dataplaneIdentityUris,
  externalClientSecretName,
  identitySecretName,
  inboundListenerName,
  localClusterName,
  meshCaSecretName,
  meshQualified,
  meshSni,
  meshSpiffePrefix,
  nodeId,
  outboundListenerName,
  outboundRouteName,
  PASSTHROUGH,
  parseMeshSni,
  spiffeId,
  TAG_URI_SCHEME,
  tagUri,
  ZONE_EGRESS_SERVICE,
  zoneEgressSpiffeId,
} from '@causeway/envoy';
