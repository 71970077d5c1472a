/**
 * A NATS connection that a control plane keeps for its whole life: it (re)connects in the background
 * forever, reports every transition (up after a first connect or a reconnect, down with a reason), and
 * drains on close. Sync sessions are started by `onUp` and abandoned on `onDown`.
 */
import { formatBytes, INPUT_LIMITS } from '@causeway/core';
import { type ConnectionOptions, connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';

/**
 * The smallest NATS `max_payload` that carries every resource the API accepts: the resource size limit
 * plus room for the entry's metadata. Below it, a write could be acknowledged and never reach the zones.
 */
export const REQUIRED_MAX_PAYLOAD = INPUT_LIMITS.maxResourceBytes + 64 * 1024;

export interface NatsOptions {
  /** `nats://host:port` (or several). */
  servers: string | string[];
  user?: string;
  password?: string;
  /** Contents of a NATS `.creds` file (user JWT + nkey seed); exclusive with user/password. */
  creds?: string;
  /** Inbox prefix; defaults to the one the generated permissions allow (`inboxPrefixFor`). */
  inboxPrefix?: string;
  /** Client name shown by the server (default `causeway-<mode>[-<zone>]`). */
  name?: string;
  /** Wait between (re)connect attempts (default 1000 ms). */
  reconnectWaitMs?: number;
  /** Ping interval (default 10 s; two missed pongs = disconnected). */
  pingIntervalMs?: number;
}

export interface LinkHandlers {
  /** The connection is (again) usable. Called one at a time. */
  onUp(nc: NatsConnection, reconnect: boolean): void;
  /** The connection is lost (`reason` says why). */
  onDown(reason: string): void;
}

/** Prints servers without credentials. */
export function describeServers(servers: string | string[]): string {
  return (Array.isArray(servers) ? servers : [servers])
    .map((s) => {
      try {
        const u = new URL(s.includes('://') ? s : `nats://${s}`);
        return `${u.protocol}//${u.host}`;
      } catch {
        return s;
      }
    })
    .join(',');
}

function errorText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== e.message ? `${e.message}: ${cause.message}` : e.message;
}

export class NatsLink {
  private nc: NatsConnection | undefined;
  private closing = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private up = false;
  private reason = 'connecting';
  private everConnected = false;

  constructor(
    private readonly opts: NatsOptions & { inboxPrefix: string; name: string },
    private readonly logger: Logger,
    private readonly handlers: LinkHandlers,
  ) {}

  get connected(): boolean {
    return this.up;
  }

  /** Why the link is down (meaningless while connected). */
  get downReason(): string {
    return this.reason;
  }

  get servers(): string {
    return describeServers(this.opts.servers);
  }

  start(): void {
    this.loop ??= this.run();
  }

  private connectOptions(): ConnectionOptions {
    const o: ConnectionOptions = {
      servers: this.opts.servers,
      name: this.opts.name,
      inboxPrefix: this.opts.inboxPrefix,
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.opts.reconnectWaitMs ?? 1000,
      reconnectJitter: 100,
      pingInterval: this.opts.pingIntervalMs ?? 10_000,
      maxPingOut: 2,
      // A connect to a node that is gone (its address answers nothing) costs this much per attempt: short,
      // so that a leader whose NATS node died is back within a few seconds (and does not step down, run.ts).
      timeout: 2000,
      // Without it every request (each KV put and JetStream publish: a zone publishes one per proxy insight
      // written) builds an Error up front to keep the caller's stack for a later timeout: ~1.5 % of a
      // zone's CPU per change at 1,000 proxies. Our errors are logged by message and subject.
      noAsyncTraces: true,
    };
    if (this.opts.creds !== undefined) o.authenticator = credsAuthenticator(new TextEncoder().encode(this.opts.creds));
    else if (this.opts.user !== undefined) {
      o.user = this.opts.user;
      if (this.opts.password !== undefined) o.pass = this.opts.password;
    }
    return o;
  }

  private setDown(reason: string): void {
    const was = this.up;
    this.up = false;
    this.reason = reason;
    if (was) this.handlers.onDown(reason);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closing) {
      let nc: NatsConnection;
      try {
        nc = await connect(this.connectOptions());
      } catch (e) {
        failures++;
        this.reason = `cannot connect to ${this.servers}: ${errorText(e)}`;
        // The first failure (and then one in 30) at warn; the rest at debug, to keep logs readable.
        if (failures === 1 || failures % 30 === 0) this.logger.warn({ nats: this.servers, attempts: failures }, `${this.reason}; retrying`);
        else this.logger.debug({ nats: this.servers, attempts: failures }, this.reason);
        await this.sleep(this.opts.reconnectWaitMs ?? 1000);
        continue;
      }
      if (this.closing) {
        await nc.close().catch(() => {});
        break;
      }
      failures = 0;
      this.checkMaxPayload(nc);
      this.nc = nc;
      this.up = true;
      const reconnect = this.everConnected;
      this.everConnected = true;
      this.handlers.onUp(nc, reconnect);
      const watchStatus = (async () => {
        for await (const s of nc.status()) {
          if (s.type === 'disconnect') this.setDown(`lost the connection to ${this.servers}`);
          else if (s.type === 'reconnect') {
            this.up = true;
            this.handlers.onUp(nc, true);
          } else if (s.type === 'error') {
            this.logger.warn({ nats: this.servers, err: s.error.message }, 'NATS error');
          } else if (s.type === 'staleConnection') {
            this.logger.warn({ nats: this.servers }, 'NATS connection is stale (missed pings); reconnecting');
          }
        }
      })();
      const err = await nc.closed();
      await watchStatus.catch(() => {});
      this.nc = undefined;
      if (this.closing) break;
      const why = err ? `the connection to ${this.servers} closed: ${errorText(err)}` : `the connection to ${this.servers} closed`;
      this.setDown(why);
      this.reason = why;
      this.logger.warn({ nats: this.servers }, `${why}; reconnecting`);
      await this.sleep(this.opts.reconnectWaitMs ?? 1000);
    }
  }

  private checkMaxPayload(nc: NatsConnection): void {
    const max = nc.info?.max_payload;
    if (max === undefined || max >= REQUIRED_MAX_PAYLOAD) return;
    this.logger.error(
      { nats: this.servers, maxPayload: max, required: REQUIRED_MAX_PAYLOAD },
      `the NATS server's max_payload is ${formatBytes(max)}, below the ${formatBytes(REQUIRED_MAX_PAYLOAD)} Causeway needs: resources larger than that cannot be synced (set max_payload in nats-server.conf)`,
    );
  }

  /** Drains the connection (pending publishes are flushed, subscriptions end) and stops reconnecting. */
  async close(): Promise<void> {
    this.closing = true;
    this.wake?.();
    const nc = this.nc;
    if (nc && !nc.isClosed()) {
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 3000).unref());
      const drained = nc.isDraining() ? nc.closed().then(() => 'done' as const) : nc.drain().then(() => 'done' as const, () => 'failed' as const);
      const r = await Promise.race([drained, timeout]);
      if (r !== 'done') await nc.close().catch(() => {});
    }
    this.up = false;
    this.reason = 'closed';
    await this.loop;
  }
}
