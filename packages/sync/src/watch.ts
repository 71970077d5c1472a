/**
 * Replays a KV bucket (the last value of every key under a filter, deletions included) and then follows
 * its updates, on an ordered push consumer. Built on the consumer API rather than `kv.watch()` because the
 * sync must know exactly when the replay is over (to delete local copies the bucket no longer has) and
 * must not need the consumer-info permission on the zones bucket: the replay is over when the consumer
 * was created with nothing pending, or at the first message whose `pending` count is 0.
 */
import { DeliverPolicy, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
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
  /** Resolves when the replay of what the bucket held at the start has been delivered. */
  readonly replayed: Promise<void>;
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
}

const KV_OPERATION = 'KV-Operation';

export async function watchBucket(opts: WatchOptions): Promise<BucketWatch> {
  const prefix = subjectPrefixOf(opts.bucket);
  const consumer = await opts.js.consumers.getPushConsumer(streamOf(opts.bucket), {
    filter_subjects: `${prefix}${opts.keys}`,
    deliver_policy: DeliverPolicy.LastPerSubject,
  });
  // Cached: the info returned when the consumer was created (no extra request, no extra permission).
  const info = await consumer.info(true);
  let replaying = info.num_pending > 0;
  let markReplayed: () => void = () => {};
  const replayed = new Promise<void>((resolve) => {
    markReplayed = resolve;
  });
  if (!replaying) markReplayed();

  const messages = await consumer.consume({
    callback: (m: JsMsg) => {
      const raw = m.headers?.get(KV_OPERATION);
      const op: KvOp = raw === 'DEL' || raw === 'PURGE' ? raw : 'PUT';
      const last = replaying && m.info.pending === 0;
      opts.onChange({ key: m.subject.slice(prefix.length), op, value: m.data, revision: m.seq }, replaying);
      if (last) {
        replaying = false;
        markReplayed();
      }
    },
  });
  const closed = messages.closed().then(
    (err) => {
      markReplayed();
      return err instanceof Error ? err : undefined;
    },
    (err: unknown) => {
      markReplayed();
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
