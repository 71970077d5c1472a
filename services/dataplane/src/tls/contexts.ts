/**
 * Upstream and downstream TLS from Envoy's UpstreamTlsContext / DownstreamTlsContext, with Envoy's
 * semantics:
 * - no validation context: the peer certificate is not verified (Envoy accepts any);
 * - `trusted_ca`: the chain must verify against it; `match_typed_subject_alt_names` (or the deprecated
 *   `match_subject_alt_names`): at least one SAN of the peer certificate must match one matcher;
 * - the host name is never checked against the certificate (Envoy does no automatic SNI/SAN check);
 * - upstream `sni` is sent when set and non-empty, and no SNI at all otherwise;
 * - `allow_renegotiation: false` (the default) refuses server-initiated renegotiation;
 * - downstream `require_client_certificate` demands a client certificate verified by `trusted_ca`.
 * Certificates may come inline, from files, or from SDS secrets (by name).
 */
import { constants as cryptoConstants } from 'node:crypto';
import type { PeerCertificate, SecureContext, TLSSocket, TlsOptions } from 'node:tls';
import { createSecureContext } from 'node:tls';
import type {
  CertificateValidationContext,
  CommonTlsContext,
  DownstreamTlsContext,
  Secret,
  SubjectAltNameMatcher,
  TlsCertificate,
  TlsParameters,
  UpstreamTlsContext,
} from '@causeway/envoy';
import { ConfigError, compileStringMatcher, type Matcher, readDataSource, unwrap } from '../envoy/values.js';

/** A referenced SDS secret has not arrived yet: the resource waits (Envoy "warming"), it is not rejected. */
export class MissingSecretError extends Error {
  override name = 'MissingSecretError';
  constructor(readonly secretName: string) {
    super(`waiting for SDS secret ${secretName}`);
  }
}

export type SecretLookup = (name: string) => Secret | undefined;

export interface PeerSans {
  uri: string[];
  dns: string[];
  ip: string[];
  email: string[];
}

/** The subject alternative names of a certificate, split by type. */
export function peerSans(cert: PeerCertificate | undefined): PeerSans {
  const out: PeerSans = { uri: [], dns: [], ip: [], email: [] };
  const text = cert?.subjectaltname;
  if (!text) return out;
  // Node prints "DNS:a, URI:spiffe://m/s, IP Address:1.2.3.4"; values with special characters are JSON-quoted.
  const re = /(DNS|URI|IP Address|email|othername):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    let v = m[2] ?? '';
    if (v.startsWith('"')) {
      try {
        v = JSON.parse(v) as string;
      } catch {
        /* keep raw */
      }
    }
    if (m[1] === 'DNS') out.dns.push(v);
    else if (m[1] === 'URI') out.uri.push(v);
    else if (m[1] === 'IP Address') out.ip.push(v);
    else if (m[1] === 'email') out.email.push(v);
  }
  return out;
}

type SanCheck = (sans: PeerSans) => boolean;

function compileSanMatchers(vc: CertificateValidationContext, field: string): SanCheck | undefined {
  const typed: { type: SubjectAltNameMatcher['san_type']; m: Matcher }[] = (vc.match_typed_subject_alt_names ?? []).map((t, i) => ({
    type: t.san_type,
    m: compileStringMatcher(t.matcher, `${field}.match_typed_subject_alt_names[${i}].matcher`),
  }));
  const untyped = (vc.match_subject_alt_names ?? []).map((m, i) => compileStringMatcher(m, `${field}.match_subject_alt_names[${i}]`));
  for (const t of typed) {
    if (!['DNS', 'URI', 'IP_ADDRESS', 'EMAIL'].includes(t.type)) throw new ConfigError(`${field}: unsupported san_type ${t.type}`);
  }
  if (typed.length === 0 && untyped.length === 0) return undefined;
  return (sans) => {
    for (const t of typed) {
      const list = t.type === 'DNS' ? sans.dns : t.type === 'URI' ? sans.uri : t.type === 'IP_ADDRESS' ? sans.ip : sans.email;
      if (list.some((v) => t.m(v))) return true;
    }
    const all = [...sans.dns, ...sans.uri, ...sans.ip, ...sans.email];
    return untyped.some((m) => all.some((v) => m(v)));
  };
}

function tlsVersion(v: TlsParameters['tls_minimum_protocol_version'], field: string): TlsOptions['minVersion'] | undefined {
  switch (v) {
    case undefined:
    case 'TLS_AUTO':
      return undefined;
    case 'TLSv1_0':
      return 'TLSv1';
    case 'TLSv1_1':
      return 'TLSv1.1';
    case 'TLSv1_2':
      return 'TLSv1.2';
    case 'TLSv1_3':
      return 'TLSv1.3';
    default:
      throw new ConfigError(`${field}: unknown TLS version ${String(v)}`);
  }
}

interface CommonCompiled {
  contextOptions: {
    cert?: Buffer;
    key?: Buffer;
    passphrase?: string;
    ca?: Buffer;
    minVersion?: TlsOptions['minVersion'];
    maxVersion?: TlsOptions['maxVersion'];
    ciphers?: string;
    ecdhCurve?: string;
  };
  hasCertificate: boolean;
  hasTrustedCa: boolean;
  acceptUntrusted: boolean;
  sanCheck: SanCheck | undefined;
  alpn: string[] | undefined;
  /** secret names this context depends on */
  secrets: string[];
}

function compileCommon(common: CommonTlsContext | undefined, lookup: SecretLookup, field: string): CommonCompiled {
  const c = common ?? {};
  const secrets: string[] = [];
  const certs: TlsCertificate[] = [...(c.tls_certificates ?? [])];
  for (const sds of c.tls_certificate_sds_secret_configs ?? []) {
    secrets.push(sds.name);
    const s = lookup(sds.name);
    if (!s) throw new MissingSecretError(sds.name);
    if (!s.tls_certificate) throw new ConfigError(`${field}: SDS secret ${sds.name} has no tls_certificate`);
    certs.push(s.tls_certificate);
  }
  if (certs.length > 1) throw new ConfigError(`${field}: more than one TLS certificate is not supported`);
  let vc: CertificateValidationContext | undefined = c.validation_context;
  const sdsVc = c.validation_context_sds_secret_config ?? c.combined_validation_context?.validation_context_sds_secret_config;
  if (c.combined_validation_context) vc = { ...(c.combined_validation_context.default_validation_context ?? {}) };
  if (sdsVc) {
    secrets.push(sdsVc.name);
    const s = lookup(sdsVc.name);
    if (!s) throw new MissingSecretError(sdsVc.name);
    if (!s.validation_context) throw new ConfigError(`${field}: SDS secret ${sdsVc.name} has no validation_context`);
    // Envoy merges the dynamic validation context into the default one.
    vc = { ...s.validation_context, ...(vc ?? {}), trusted_ca: s.validation_context.trusted_ca ?? vc?.trusted_ca };
  }
  const opts: CommonCompiled['contextOptions'] = {};
  const cert = certs[0];
  if (cert) {
    const chain = readDataSource(cert.certificate_chain, `${field}.tls_certificates[0].certificate_chain`);
    const key = readDataSource(cert.private_key, `${field}.tls_certificates[0].private_key`);
    if (!chain || !key) throw new ConfigError(`${field}: a TLS certificate needs both certificate_chain and private_key`);
    opts.cert = chain;
    opts.key = key;
    const pass = readDataSource(cert.password, `${field}.tls_certificates[0].password`);
    if (pass) opts.passphrase = pass.toString('utf8');
  }
  const ca = vc ? readDataSource(vc.trusted_ca, `${field}.validation_context.trusted_ca`) : undefined;
  if (ca) opts.ca = ca;
  const p = c.tls_params;
  if (p) {
    const min = tlsVersion(p.tls_minimum_protocol_version, `${field}.tls_params.tls_minimum_protocol_version`);
    const max = tlsVersion(p.tls_maximum_protocol_version, `${field}.tls_params.tls_maximum_protocol_version`);
    if (min) opts.minVersion = min;
    if (max) opts.maxVersion = max;
    if (p.cipher_suites?.length) opts.ciphers = p.cipher_suites.join(':');
    if (p.ecdh_curves?.length) opts.ecdhCurve = p.ecdh_curves.join(':');
  }
  return {
    contextOptions: opts,
    hasCertificate: cert !== undefined,
    hasTrustedCa: ca !== undefined,
    acceptUntrusted: vc?.trust_chain_verification === 'ACCEPT_UNTRUSTED',
    sanCheck: vc ? compileSanMatchers(vc, `${field}.validation_context`) : undefined,
    alpn: c.alpn_protocols?.length ? c.alpn_protocols : undefined,
    secrets,
  };
}

function secureContext(o: CommonCompiled['contextOptions'] & { secureOptions?: number }, field: string): SecureContext {
  try {
    return createSecureContext(o);
  } catch (e) {
    throw new ConfigError(`${field}: ${(e as Error).message}`);
  }
}

export interface UpstreamTls {
  /** options for tls.connect (besides host/port/socket) */
  connectOptions: {
    secureContext: SecureContext;
    servername?: string;
    ALPNProtocols?: string[];
    secureOptions: number;
    minVersion?: TlsOptions['minVersion'];
    maxVersion?: TlsOptions['maxVersion'];
    rejectUnauthorized: boolean;
    checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
  };
  /** SNI sent (undefined: none) */
  servername: string | undefined;
  /** Checks the server's certificate after the handshake; returns the failure reason, if any. */
  verify(socket: TLSSocket): string | undefined;
  secrets: string[];
}

export function compileUpstreamTls(ctx: UpstreamTlsContext, lookup: SecretLookup, field: string): UpstreamTls {
  const common = compileCommon(ctx.common_tls_context, lookup, `${field}.common_tls_context`);
  // secureOptions only take effect when the context is created (Envoy/BoringSSL: renegotiation is
  // refused unless allow_renegotiation)
  const secureOptions = ctx.allow_renegotiation ? 0 : cryptoConstants.SSL_OP_NO_RENEGOTIATION;
  const sctx = secureContext({ ...common.contextOptions, secureOptions }, field);
  const sni = ctx.sni !== undefined && ctx.sni !== '' ? ctx.sni : undefined;
  // Not a field of UpstreamTlsContext in this Envoy API (it is on UpstreamHttpProtocolOptions); a
  // hand-written static bootstrap may still carry it.
  if ((ctx as { auto_host_sni?: boolean }).auto_host_sni) throw new ConfigError(`${field}: auto_host_sni is not supported`);
  const verifyChain = common.hasTrustedCa && !common.acceptUntrusted;
  const sanCheck = common.sanCheck;
  // With a trusted CA, Node verifies the chain during the handshake and calls checkServerIdentity
  // before anything is written to the connection; it is where the SAN matchers run (never a host name check).
  const checkServerIdentity = (_host: string, cert: PeerCertificate): Error | undefined => {
    if (sanCheck && !sanCheck(peerSans(cert))) {
      const e = new Error(`certificate SANs (${cert.subjectaltname ?? 'none'}) match no configured matcher`) as Error & { code: string };
      e.code = 'ERR_TLS_SAN_MISMATCH';
      return e;
    }
    return undefined;
  };
  return {
    connectOptions: {
      secureContext: sctx,
      ...(sni ? { servername: sni } : {}),
      ...(common.alpn ? { ALPNProtocols: common.alpn } : {}),
      secureOptions,
      ...(common.contextOptions.minVersion ? { minVersion: common.contextOptions.minVersion } : {}),
      ...(common.contextOptions.maxVersion ? { maxVersion: common.contextOptions.maxVersion } : {}),
      rejectUnauthorized: verifyChain,
      checkServerIdentity,
    },
    servername: sni,
    verify: (socket) => verifyPeer(socket, common, false),
    secrets: common.secrets,
  };
}

function verifyPeer(socket: TLSSocket, common: CommonCompiled, requireCert: boolean): string | undefined {
  const cert = socket.getPeerCertificate();
  const present = cert !== undefined && cert !== null && Object.keys(cert).length > 0;
  if (!present) return requireCert ? 'peer did not present a certificate' : undefined;
  if (common.hasTrustedCa && !common.acceptUntrusted && !socket.authorized) {
    return `certificate verification failed: ${String(socket.authorizationError ?? 'unknown error')}`;
  }
  if (common.sanCheck && !common.sanCheck(peerSans(cert))) return `certificate SANs (${cert.subjectaltname ?? 'none'}) match no configured matcher`;
  return undefined;
}

export interface DownstreamTls {
  /** options for tls.createServer */
  serverOptions: TlsOptions;
  requireClientCertificate: boolean;
  /** Checks the client's certificate after the handshake; returns the failure reason, if any. */
  verify(socket: TLSSocket): string | undefined;
  secrets: string[];
}

export function compileDownstreamTls(ctx: DownstreamTlsContext, lookup: SecretLookup, field: string): DownstreamTls {
  const common = compileCommon(ctx.common_tls_context, lookup, `${field}.common_tls_context`);
  if (!common.hasCertificate) throw new ConfigError(`${field}: a DownstreamTlsContext needs a TLS certificate`);
  const requireClientCertificate = unwrap(ctx.require_client_certificate) === true;
  if (requireClientCertificate && !common.hasTrustedCa) throw new ConfigError(`${field}: require_client_certificate needs a validation context with trusted_ca`);
  const requestCert = common.hasTrustedCa || common.sanCheck !== undefined;
  // Fail early on bad key material (createServer would throw later, on the first connection).
  secureContext(common.contextOptions, field);
  const serverOptions: TlsOptions = {
    ...common.contextOptions,
    requestCert,
    // a required certificate fails the handshake itself (as in Envoy); SANs are checked in verify()
    rejectUnauthorized: requireClientCertificate && !common.acceptUntrusted,
    ...(common.alpn ? { ALPNProtocols: common.alpn } : {}),
  };
  return {
    serverOptions,
    requireClientCertificate,
    verify: (socket) => verifyPeer(socket, common, requireClientCertificate),
    secrets: common.secrets,
  };
}
