/**
 * Inspecting a zone's proxies from global, over NATS request/reply (Kuma does this over its KDS stream):
 * global asks `causeway.inspect.<zone>` for one read of the zone's API (a proxy's config dump, the
 * policies and rules that apply to it, its stats and clusters) and gets the zone's answer back.
 *
 * Every control plane replica keeps a connection of its own for this (a NatsLink next to the sync, which
 * only the leader runs), so any global replica can ask and every zone replica hears the question. A zone
 * replica answers only what it can: a config dump exists only on the replica the proxy is connected to,
 * so the others stay silent (`undefined` from the handler) and the asker takes the first answer; when no
 * replica answers within the timeout, the proxy is connected to none (or the zone is unreachable).
 *
 * The subject is in the NATS authorization (nats-config.ts): only global may publish to it, a zone may
 * subscribe only to its own, and a zone may publish only the reply to a request it received.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { NatsLink, type NatsOptions } from './connection.js';
import { inspectSubject } from './keys.js';
import { inboxPrefixFor } from './nats-config.js';
import { errorText } from './util.js';

/** One read of the zone's API: a path with its query. */
export interface InspectRequest {
  url: string;
}

export interface InspectReply {
  status: number;
  contentType: string;
  body: string;
}

/**
 * Paths a zone answers (nothing else of its API): a Dataplane's config dump (`xds`, and Kuma's `_config`
 * wrapping it), the policies that
 * apply to it and Kuma's rules of them (`policies`, `_rules`), its proxy's statistics and clusters from the
 * proxy's admin endpoint (`stats`, `clusters`), and a zone proxy's config dump.
 */
const ANSWERED = [/^\/meshes\/[^/?]+\/dataplanes\/[^/?]+\/(xds|_config|policies|_rules|stats|clusters)(\?.*)?$/, /^\/(zoneingresses|zoneegresses)\/[^/?]+\/(xds|stats|clusters)(\?.*)?$/];

export function isInspectUrl(url: string): boolean {
  return ANSWERED.some((re) => re.test(url));
}

export interface InspectResponderOptions {
  nats: NatsOptions;
  zone: string;
  logger: Logger;
  /** The answer to a read, or undefined when this replica cannot answer it (another may). */
  handle(req: InspectRequest): Promise<InspectReply | undefined>;
}

/** A zone replica: answers global's reads of its proxies. */
export class InspectResponder {
  private readonly link: NatsLink;
  private sub: Subscription | undefined;

  constructor(private readonly opts: InspectResponderOptions) {
    this.link = new NatsLink({ ...opts.nats, inboxPrefix: opts.nats.inboxPrefix ?? inboxPrefixFor({ zone: opts.zone }), name: `causeway-zone-${opts.zone}-inspect` }, opts.logger, {
      onUp: (nc) => this.listen(nc),
      onDown: () => {
        this.sub = undefined;
      },
    });
    this.link.start();
  }

  private listen(nc: NatsConnection): void {
    // Up again (a reconnect): one subscription, not two.
    this.sub?.unsubscribe();
    this.sub = nc.subscribe(inspectSubject(this.opts.zone), {
      callback: (err, msg) => {
        if (err || !msg.reply) return;
        void (async () => {
          let req: InspectRequest;
          try {
            req = msg.json<InspectRequest>();
          } catch {
            return;
          }
          if (typeof req?.url !== 'string' || !isInspectUrl(req.url)) {
            msg.respond(JSON.stringify({ status: 400, contentType: 'application/json', body: JSON.stringify({ title: 'Bad request', details: `zone ${this.opts.zone} does not answer ${String(req?.url)}` }) } satisfies InspectReply));
            return;
          }
          try {
            const reply = await this.opts.handle(req);
            if (reply) msg.respond(JSON.stringify(reply));
          } catch (e) {
            this.opts.logger.warn({ url: req.url, err: errorText(e) }, 'could not answer an inspect request from global');
          }
        })();
      },
    });
  }

  async close(): Promise<void> {
    this.sub?.unsubscribe();
    await this.link.close();
  }
}

export interface InspectRequesterOptions {
  nats: NatsOptions;
  logger: Logger;
  /** How long to wait for a zone's answer (default 5 s). */
  timeoutMs?: number;
}

/** A global replica: asks a zone. */
export class InspectRequester {
  private readonly link: NatsLink;
  private nc: NatsConnection | undefined;

  constructor(private readonly opts: InspectRequesterOptions) {
    this.link = new NatsLink({ ...opts.nats, inboxPrefix: opts.nats.inboxPrefix ?? inboxPrefixFor('global'), name: 'causeway-global-inspect' }, opts.logger, {
      onUp: (nc) => {
        this.nc = nc;
      },
      onDown: () => {
        this.nc = undefined;
      },
    });
    this.link.start();
  }

  /**
   * The zone's answer; `'unreachable'` when NATS is down, `'no-answer'` when no replica of the zone
   * answered in time (the proxy is connected to none, or the zone is down).
   */
  async ask(zone: string, req: InspectRequest): Promise<InspectReply | 'unreachable' | 'no-answer'> {
    const nc = this.nc;
    if (!nc || !this.link.connected) return 'unreachable';
    try {
      const msg = await nc.request(inspectSubject(zone), JSON.stringify(req), { timeout: this.opts.timeoutMs ?? 5000 });
      return msg.json<InspectReply>();
    } catch (e) {
      const text = errorText(e);
      if (/timeout|no responders|503/i.test(text)) return 'no-answer';
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.link.close();
  }
}
