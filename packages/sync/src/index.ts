export { type GlobalSync, type GlobalSyncOptions, type GlobalSyncStatus, startGlobalSync } from './global.js';
export { type ZoneSync, type ZoneSyncOptions, type ZoneSyncStatus, startZoneSync } from './zone.js';
export { describeServers, type NatsOptions } from './connection.js';
export { type InspectReply, type InspectRequest, InspectRequester, InspectResponder, isInspectUrl } from './inspect.js';
export {
  describeRef,
  escapeToken,
  GLOBAL_BUCKET,
  globalKey,
  INSPECT_SUBJECT,
  inspectSubject,
  parseGlobalKey,
  parseZoneKey,
  type ResourceRef,
  streamOf,
  unescapeToken,
  ZONES_BUCKET,
  zoneKey,
  zonePrefix,
} from './keys.js';
export {
  decodeGlobalEntry,
  decodeZoneEntry,
  DISPLAY_NAME_LABEL,
  GLOBAL_TO_ZONE_TYPES,
  globalNameOf,
  isGlobalCopy,
  ORIGIN_LABEL,
  publishedByGlobal,
  publishedByZone,
  SYNC_TO_ZONES_LABEL,
  ZONE_LABEL,
  ZONE_TO_GLOBAL_TYPES,
  zoneNameOf,
} from './model.js';
export {
  GLOBAL_NATS_USER,
  type GeneratedNatsConfig,
  type GenerateNatsConfigOptions,
  generateNatsConfig,
  globalPermissions,
  inboxPrefixFor,
  type NatsCredential,
  type SubjectPermissions,
  ZONE_NAME_RE,
  zoneNatsUser,
  zonePermissions,
} from './nats-config.js';
