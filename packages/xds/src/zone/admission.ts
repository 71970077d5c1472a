/**
 * Who may connect: a proxy's token is verified (signature, expiry) before anything else it sent is
 * read; then its node metadata is parsed; then the token is checked against what the proxy claims to be
 * (mesh, name, zone, and for a Dataplane the services of its inbounds).
 */
import type { Resource } from '@causeway/core';
import { dataplaneTagSources, type TokenClaims, tokenAllows, verifyToken } from '@causeway/pki';
import * as grpc from '@grpc/grpc-js';
import { AdsError, type ConnectInfo } from '../server/ads.js';
import { parseNodeMetadata, type ProxyClaim } from './node-metadata.js';

export interface AdmissionOptions {
  zone: string;
  /** The zone's token signing key (PEM). */
  signingKeyPem: string;
  /**
   * Verifies a token (signature, expiry) and returns its claims, or throws saying why; an AdsError's code
   * is kept (other errors are UNAUTHENTICATED). Default: against `signingKeyPem`. The control plane's
   * verifier also takes zone tokens signed by global's zone-token key.
   */
  verifyToken?: ((token: string, now: Date) => TokenClaims | Promise<TokenClaims>) | undefined;
  /** Refuse proxies without a token (default true). A token that is sent is always verified and checked. */
  requireToken?: boolean | undefined;
  /** Accept dataplane tokens issued without `kuma.io/service` tags (default false). */
  allowUntaggedDataplaneTokens?: boolean | undefined;
  now: () => Date;
  /** Dataplanes applied in this zone (for a node that names one instead of sending its resource). */
  dataplanes: () => Resource<'Dataplane'>[];
}

export class Admission {
  constructor(private readonly opts: AdmissionOptions) {}

  /** The proxy of a new stream, admitted; throws AdsError (UNAUTHENTICATED, INVALID_ARGUMENT, PERMISSION_DENIED) to refuse it. */
  async admit(info: ConnectInfo): Promise<ProxyClaim> {
    // Authentication comes first: nothing the proxy sent in its node metadata is parsed for a request
    // without a valid token (signature, expiry).
    const claims = await this.authenticate(info.token);
    const claim = this.parse(info);
    if (claims) this.authorize(claims, claim.resource);
    return claim;
  }

  /** The node metadata, parsed (a method of its own so that tests can see when it runs). */
  parse(info: ConnectInfo): ProxyClaim {
    return parseNodeMetadata(info, this.opts.dataplanes);
  }

  private async authenticate(token: string | undefined): Promise<TokenClaims | undefined> {
    if (token === undefined) {
      if (this.opts.requireToken !== false)
        throw new AdsError(grpc.status.UNAUTHENTICATED, 'a token is required: send "authorization: Bearer <token>" (causeway generate dataplane-token / zone-token)');
      return undefined;
    }
    try {
      const verify = this.opts.verifyToken ?? ((t: string, now: Date) => verifyToken(this.opts.signingKeyPem, t, now));
      return await verify(token, this.opts.now());
    } catch (e) {
      if (e instanceof AdsError) throw e;
      throw new AdsError(grpc.status.UNAUTHENTICATED, (e as Error).message);
    }
  }

  /** Authorization needs the resource: mesh, name, and the services its inbounds claim. */
  private authorize(claims: TokenClaims, resource: Resource): void {
    const type = resource.type as 'Dataplane' | 'ZoneIngress' | 'ZoneEgress';
    const why = tokenAllows(
      claims,
      {
        type,
        name: resource.name,
        ...(resource.mesh ? { mesh: resource.mesh } : {}),
        zone: this.opts.zone,
        ...(type === 'Dataplane' ? { tags: dataplaneTagSources(resource.spec) } : {}),
      },
      { allowUntaggedDataplaneTokens: this.opts.allowUntaggedDataplaneTokens === true },
    );
    if (why) throw new AdsError(grpc.status.PERMISSION_DENIED, why);
  }
}
