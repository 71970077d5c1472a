/**
 * Global's sweep of the consumers of the two KV streams: what NATS permissions cannot forbid.
 *
 * Whether a consumer is durable, and how long it outlives its client (`inactive_threshold`), is decided
 * by the body of the create request, which subject permissions cannot see. nats-server 2.9 refuses a
 * `durable_name` only on the legacy `$JS.API.CONSUMER.CREATE.<stream>` form, which is the only form a zone
 * may send on KV_causeway-global; but on KV_causeway-zones a zone needs the named form
 * (`$JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>`) so that its permission can pin the filter to its
 * own prefix, and on that form the server accepts `durable_name` equal to `<name>`. On both streams an
 * ephemeral consumer may ask for any inactive threshold (a year, say), and 2.9 has no limit for it.
 *
 * So global deletes, at the start of each session and every `consumerSweepMs` (30 s), every consumer of
 * KV_causeway-global and KV_causeway-zones that is durable or whose inactive threshold is unset or longer
 * than 5 minutes (the NATS clients' own ordered-consumer default, so `nats kv watch` and the like keep
 * working). The sync's own consumers are ephemeral with 10 s (see watch.ts). Global's permissions allow
 * listing and deleting the consumers of the two streams; a zone's allow neither.
 */
import type { ConsumerInfo, JetStreamClient } from '@nats-io/jetstream';
import { millis, nanos } from '@nats-io/transport-node';
import { GLOBAL_BUCKET, streamOf, ZONES_BUCKET } from './keys.js';

/** The longest inactive threshold a consumer of a sync stream may have. */
export const MAX_CONSUMER_INACTIVE_THRESHOLD_MS = 5 * 60_000;
/** Default interval of global's sweep. */
export const CONSUMER_SWEEP_MS = 30_000;

export interface SweptConsumer {
  stream: string;
  name: string;
  /** Why it was deleted. */
  reason: string;
  /** Its deliver subject (`_INBOX_cw_zone_<zone>.…` names the zone that made it). */
  deliverSubject?: string;
}

/** Why a consumer may not stay on a stream of the sync, or undefined when it may. */
export function consumerViolation(ci: ConsumerInfo): string | undefined {
  const c = ci.config;
  if (c.durable_name) return `durable ("${c.durable_name}")`;
  const threshold = c.inactive_threshold ?? 0;
  if (threshold <= 0) return 'no inactive threshold';
  if (threshold > nanos(MAX_CONSUMER_INACTIVE_THRESHOLD_MS)) return `inactive threshold ${millis(threshold)} ms (at most ${MAX_CONSUMER_INACTIVE_THRESHOLD_MS} ms)`;
  return undefined;
}

/** Deletes the consumers of the two KV streams that `consumerViolation` refuses; returns them. */
export async function sweepConsumers(js: JetStreamClient): Promise<SweptConsumer[]> {
  const jsm = await js.jetstreamManager(false);
  const swept: SweptConsumer[] = [];
  for (const stream of [streamOf(GLOBAL_BUCKET), streamOf(ZONES_BUCKET)]) {
    const doomed: SweptConsumer[] = [];
    for await (const ci of jsm.consumers.list(stream)) {
      const reason = consumerViolation(ci);
      if (reason) doomed.push({ stream, name: ci.name, reason, ...(ci.config.deliver_subject ? { deliverSubject: ci.config.deliver_subject } : {}) });
    }
    for (const c of doomed) {
      try {
        await jsm.consumers.delete(stream, c.name);
        swept.push(c);
      } catch (e) {
        // Gone meanwhile (deleted by its owner, or by another global replica's sweep).
        if (!/consumer not found/i.test((e as Error).message)) throw e;
      }
    }
  }
  return swept;
}
