/**
 * State of the world (`StreamAggregatedResources`): every response carries the whole set of its type (or
 * of the names subscribed); ACK = the response's version and nonce, NACK = the last good version, the
 * nonce and error_detail. On a new stream each type is requested with the version it holds.
 */
import { decodeAny } from '@causeway/envoy';
import type { ResourceKind } from '../proxy.js';
import { type AdsProtocol, NAMED_KINDS, ORDER, type RawAny, type StreamContext, TYPE_URL, WILDCARD, type XdsSink } from './protocol.js';

interface TypeState {
  /** last accepted version */
  version: string;
  /** last nonce received on this stream */
  nonce: string;
  /** names requested (named types) */
  names: string[];
  /** whether a request for this type was sent on the current stream */
  subscribed: boolean;
}

/** The names of a named type the sink references now. */
export function referencedNames(sink: XdsSink, kind: ResourceKind): string[] {
  if (kind === 'ClusterLoadAssignment') return sink.edsNames();
  if (kind === 'RouteConfiguration') return sink.rdsNames();
  if (kind === 'Secret') return sink.secretNames();
  return [];
}

/** Decodes the packed resources of a `kind` response (throws naming the index of a bad one). */
export function decodeResources(kind: ResourceKind, packed: readonly RawAny[], where = (i: number) => `resources[${i}]`): unknown[] {
  return packed.map((r, i) => {
    if (r.type_url !== TYPE_URL[kind]) throw new Error(`${where(i)}: type ${r.type_url} in a ${kind} response`);
    try {
      return decodeAny(r);
    } catch (e) {
      throw new Error(`${where(i)}: cannot decode: ${(e as Error).message}`);
    }
  });
}

export class SotwProtocol implements AdsProtocol {
  readonly method = 'StreamAggregatedResources';
  readonly requestType = 'envoy.service.discovery.v3.DiscoveryRequest';
  private readonly types = new Map<ResourceKind, TypeState>(ORDER.map((k) => [k, { version: '', nonce: '', names: [], subscribed: false }]));

  open(ctx: StreamContext): void {
    for (const t of this.types.values()) {
      t.nonce = '';
      t.subscribed = false;
    }
    for (const kind of ORDER) {
      if (WILDCARD.has(kind) || referencedNames(ctx.sink, kind).length > 0) this.request(ctx, kind);
    }
  }

  private request(ctx: StreamContext, kind: ResourceKind, error?: string): void {
    const t = this.types.get(kind) as TypeState;
    if (!WILDCARD.has(kind)) t.names = referencedNames(ctx.sink, kind);
    const req: Record<string, unknown> = { version_info: t.version, resource_names: WILDCARD.has(kind) ? [] : t.names, type_url: TYPE_URL[kind], response_nonce: t.nonce };
    if (error) req.error_detail = { code: 3, message: error };
    t.subscribed = true;
    ctx.write(req);
  }

  resubscribe(ctx: StreamContext): void {
    for (const kind of NAMED_KINDS) {
      const t = this.types.get(kind) as TypeState;
      const names = referencedNames(ctx.sink, kind);
      if (names.join('\n') !== t.names.join('\n') || (!t.subscribed && names.length > 0)) this.request(ctx, kind);
    }
  }

  async onResponse(ctx: StreamContext, res: Record<string, unknown>, kind: ResourceKind): Promise<void> {
    const t = this.types.get(kind) as TypeState;
    t.nonce = String(res.nonce ?? '');
    const version = String(res.version_info ?? '');
    const packed = (res.resources ?? []) as RawAny[];
    try {
      await ctx.sink.update(kind, decodeResources(kind, packed), version);
    } catch (e) {
      ctx.rejected(kind, version, (e as Error).message);
      this.request(ctx, kind, (e as Error).message);
      return;
    }
    t.version = version;
    ctx.accepted(kind, version, packed.length);
    this.request(ctx, kind);
  }
}
