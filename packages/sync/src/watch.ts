/**
 * Replays a KV bucket (the last value of every key under a filter, deletions included) and then follows
 * its updates, on an ephemeral push consumer. Built on the consumer API rather than `kv.watch()` because
 * the sync must know exactly when the replay is over (to delete local copies the bucket no longer has),
 * must not need the consumer-info permission: the replay is over when the consumer was created with
 * nothing pending, or at the first message whose `pending` count is 0; and must create its consumer with
 * a request a zone's NATS permissions can pin (see nats-config.ts):
 *
 *   - the whole bucket (`keys: '>'`): `$JS.API.CONSUMER.CREATE.<stream>` with no name, the legacy
 *     ephemeral form, on which nats-server (2.9+) refuses a `durable_name` in the body. A zone may send
 *     only this form on KV_causeway-global, so it cannot create a durable consumer there;
 *   - a key filter (a zone's own prefix of causeway-zones): `$JS.API.CONSUMER.CREATE.<stream>.<name>.<filter>`,
 *     whose filter the server checks against the body's, so the permission pins what a zone can read.
 *
 * The consumer is ephemeral (no durable name), in memory, with `inactive_threshold` 10 s: the server
 * deletes it 10 s after its deliver subject loses interest (stop(), or the connection is gone). Nothing
 * else deletes it (a zone has no consumer-delete permission). The library's ordered consumer is not used
 * because it always sends a consumer name (the named form) and a 5-minute inactive threshold. In exchange
 * this watch does not recover by itself: a gap in delivery sequences, two missed idle heartbeats (1 s
 * each: a watch whose consumer was on a NATS node that died is noticed within ~2 s) or a deleted
 * consumer end it with an error (`closed`), and the side that followed the bucket replays it again on a
 * new watch (SyncEngine.following), while the rest of its session goes on. So does a replay that delivers
 * nothing for 10 s (`WATCH_REPLAY_STALL_MS`): a sync never waits in silence for a replay that is not coming.
 */
import { AckPolicy, type ConsumerConfig, DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { createInbox, nanos, nuid } from '@nats-io/transport-node';
import { streamOf, subjectPrefixOf } from './keys.js';

export type KvOp = 'PUT' | 'DEL' | 'PURGE';

export interface KvChange {
  key: string;
  op: KvOp;
  /** The value (empty for DEL/PURGE). */
  value: Uint8Array;
  /** Stream sequence of the entry (the bucket revision). */
  revision: number;
}

export interface BucketWatch {
  /**
   * Resolves true when the replay of what the bucket held at the start has been delivered, false when the
   * watch ended before that (what was delivered is then only part of the bucket).
   */
  readonly replayed: Promise<boolean>;
  /** Resolves (with the error, if any) when the watch ends for any reason. */
  readonly closed: Promise<Error | undefined>;
  stop(): Promise<void>;
}

export interface WatchOptions {
  js: JetStreamClient;
  bucket: string;
  /** Key filter, e.g. `>` or `zone-1.>`. */
  keys: string;
  /** Called for every entry, in bucket order. Must not throw. */
  onChange: (change: KvChange, replaying: boolean) => void;
  /** How long a replay may deliver nothing before the watch ends (default WATCH_REPLAY_STALL_MS). */
  replayStallMs?: number;
}

/** How long the server keeps a watch's consumer after its deliver subject lost interest. */
export const WATCH_INACTIVE_THRESHOLD_MS = 10_000;
/**
 * Idle heartbeat of a watch's consumer (two missed ones end the watch). Short, because a consumer lives on
 * one node of a NATS cluster: when that node dies, the missed heartbeats are how the watch finds out.
 */
const WATCH_IDLE_HEARTBEAT_MS = 1_000;

/**
 * A replay that delivers nothing for this long ends the watch with an error (and the side replays again
 * on a new watch): heartbeats alone do not prove the replay is coming (a consumer whose first messages
 * went nowhere keeps sending heartbeats), and a sync that waits forever for a replay says nothing.
 */
export const WATCH_REPLAY_STALL_MS = 10_000;

const KV_OPERATION = 'KV-Operation';

/** The consumer a watch creates. */
function watchConsumerConfig(bucket: string, keys: string, deliverSubject: string): Partial<ConsumerConfig> {
  const config: Partial<ConsumerConfig> = {
    deliver_subject: deliverSubject,
    deliver_policy: DeliverPolicy.LastPerSubject,
    ack_policy: AckPolicy.None,
    filter_subject: `${subjectPrefixOf(bucket)}${keys}`,
    flow_control: true,
    idle_heartbeat: nanos(WATCH_IDLE_HEARTBEAT_MS),
    inactive_threshold: nanos(WATCH_INACTIVE_THRESHOLD_MS),
    mem_storage: true,
    num_replicas: 1,
  };
  // A name makes the client use the subject form that carries the filter (what a zone's permission pins).
  if (keys !== '>') config.name = `cw_${nuid.next()}`;
  return config;
}

export async function watchBucket(opts: WatchOptions): Promise<BucketWatch> {
  const stallMs = opts.replayStallMs ?? WATCH_REPLAY_STALL_MS;
  const prefix = subjectPrefixOf(opts.bucket);
  const stream = streamOf(opts.bucket);
  // Replies come on the client's inbox prefix (the only thing a zone may subscribe to).
  const deliverSubject = createInbox(opts.js.getOptions().watcherPrefix);
  const config = watchConsumerConfig(opts.bucket, opts.keys, deliverSubject);
  // No API-info check: a zone may not send `$JS.API.INFO`.
  const jsm = await opts.js.jetstreamManager(false);
  // The client picks the subject: `CONSUMER.CREATE.<stream>` without a name, `.<name>.<filter>` with one.
  const info = await jsm.consumers.add(stream, config);
  let replaying = info.num_pending > 0;
  let markReplayed: (complete: boolean) => void = () => {};
  const replayed = new Promise<boolean>((resolve) => {
    markReplayed = resolve;
  });
  if (!replaying) markReplayed(true);

  const consumer = await opts.js.consumers.getBoundPushConsumer({ deliver_subject: deliverSubject, idle_heartbeat: config.idle_heartbeat });
  let delivered = 0;
  let lastDelivery = Date.now();
  // Set once consume() returns (no message can be handled before: they arrive on a later I/O turn).
  let end: (err: Error) => void = () => {};
  const messages = await consumer.consume({
    abort_on_missing_resource: true,
    callback: (m: JsMsg) => {
      const dseq = m.info.deliverySequence;
      if (m.info.stream !== stream || m.info.consumer !== info.name) return;
      if (dseq !== delivered + 1) {
        end(new Error(`gap in the delivery of ${opts.bucket}: expected message ${delivered + 1}, got ${dseq}`));
        return;
      }
      delivered = dseq;
      lastDelivery = Date.now();
      const raw = m.headers?.get(KV_OPERATION);
      const op: KvOp = raw === 'DEL' || raw === 'PURGE' ? raw : 'PUT';
      const last = replaying && m.info.pending === 0;
      opts.onChange({ key: m.subject.slice(prefix.length), op, value: m.data, revision: m.seq }, replaying);
      if (last) {
        replaying = false;
        markReplayed(true);
      }
    },
  });
  end = (err) => messages.stop(err);
  const stallCheck = setInterval(
    () => {
      if (replaying && Date.now() - lastDelivery >= stallMs) end(new Error(`the replay of ${opts.bucket} delivered nothing for ${stallMs} ms (${delivered} of ${info.num_pending} entries delivered)`));
    },
    Math.max(50, Math.min(1000, stallMs / 4)),
  );
  stallCheck.unref();
  void (async () => {
    for await (const s of messages.status()) {
      if (s.type === 'heartbeats_missed') end(new Error(`the consumer of ${opts.bucket} missed ${s.count} idle heartbeats`));
    }
  })().catch(() => {});
  const closed = messages.closed().then(
    (err) => {
      clearInterval(stallCheck);
      markReplayed(false);
      return err instanceof Error ? err : undefined;
    },
    (err: unknown) => {
      clearInterval(stallCheck);
      markReplayed(false);
      return err instanceof Error ? err : new Error(String(err));
    },
  );
  return {
    replayed,
    closed,
    async stop() {
      messages.stop();
      await closed;
    },
  };
}
