/** Labels with a meaning to Causeway. The first three are set by the sync, never by users. */

/** `global` on copies a zone received from global, `zone` on what global received from a zone. */
export const ORIGIN_LABEL = 'causeway.io/origin';
/** The zone a zone-originated resource comes from (set by global from the NATS key). */
export const ZONE_LABEL = 'causeway.io/zone';
/** The name the resource has in its zone (at global it is `<name>.<zone>`). */
export const DISPLAY_NAME_LABEL = 'causeway.io/display-name';
/** A GlobalSecret syncs to zones only with this label set to "true" (user-set). */
export const SYNC_TO_ZONES_LABEL = 'causeway.io/sync-to-zones';

/** Labels only the control plane writes: an API write carrying one is refused. */
export const SYSTEM_LABELS: readonly string[] = [ORIGIN_LABEL, ZONE_LABEL, DISPLAY_NAME_LABEL];
