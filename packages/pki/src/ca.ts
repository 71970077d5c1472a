/**
 * The builtin mesh CA. Global creates it when a Mesh enables a `builtin` mTLS backend and stores it as
 * two Secrets of the mesh (`<mesh>.ca-builtin-cert-<backend>`, `<mesh>.ca-builtin-key-<backend>`,
 * Kuma's names); sync copies them to every zone, where the zone issues workload certificates with it.
 */
import { type MeshBackend, type MeshSpec, parseDuration, type Resource } from '@causeway/core';
import { createCaCertificate, type KeyPairPem } from './x509.js';

export const DEFAULT_CA_EXPIRATION = '10y';

export function caSecretNames(mesh: string, backend: string): { cert: string; key: string } {
  return { cert: `${mesh}.ca-builtin-cert-${backend}`, key: `${mesh}.ca-builtin-key-${backend}` };
}

/** The enabled builtin backend of a mesh, if mTLS is on. */
export function enabledBackend(spec: MeshSpec): MeshBackend | undefined {
  const name = spec.mtls?.enabledBackend;
  if (!name) return undefined;
  const b = spec.mtls?.backends?.find((x) => x.name === name);
  return b?.type === 'builtin' ? b : undefined;
}

export async function createMeshCa(mesh: string, backend: MeshBackend, now: Date = new Date()): Promise<KeyPairPem> {
  const ms = parseDuration(backend.conf?.caCert?.expiration ?? DEFAULT_CA_EXPIRATION, { days: true }) ?? 10 * 365 * 86_400_000;
  const bits = backend.conf?.caCert?.RSAbits;
  return createCaCertificate({
    commonName: `Causeway mesh ${mesh} CA (${backend.name})`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + ms),
    algorithm: bits ? { kind: 'rsa', bits } : { kind: 'ec' },
  });
}

/**
 * The CA of a mesh's enabled builtin backend, freshly created, as the two Secrets of the mesh that hold
 * it: the key first (a zone that sees the certificate can always find the key next to it), then the
 * certificate. Empty when the mesh enables no builtin backend. Writing them is the caller's.
 */
export async function meshCaSecrets(mesh: Resource<'Mesh'>, now: Date = new Date()): Promise<Resource<'Secret'>[]> {
  const backend = enabledBackend(mesh.spec);
  if (!backend) return [];
  const names = caSecretNames(mesh.name, backend.name);
  const ca = await createMeshCa(mesh.name, backend, now);
  const secret = (name: string, pem: string): Resource<'Secret'> => ({
    type: 'Secret',
    mesh: mesh.name,
    name,
    labels: { 'causeway.io/mesh-ca': backend.name },
    spec: { data: Buffer.from(pem, 'utf8').toString('base64') },
    version: 0,
  });
  return [secret(names.key, ca.keyPem), secret(names.cert, ca.certPem)];
}
