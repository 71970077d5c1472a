/**
 * `causeway generate tls-certificate`, `generate signing-key`, and `generate zone-token --zone` (against a
 * small HTTP server playing a zone's and a global's `POST /tokens/zone`, and a control plane without it).
 */
import { createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { hostnameError, selfSignedCertificate } from './self-signed.js';
import { recordingIo } from './testing/recording-io.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'causeway-gen-tls-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = recordingIo({ dir, now: () => Date.now() });
  const code = await runCli(args, io);
  return { code, out: io.out, err: io.err };
}

const EKU_SERVER = '1.3.6.1.5.5.7.3.1';
const EKU_CLIENT = '1.3.6.1.5.5.7.3.2';

describe('generate tls-certificate', () => {
  it('writes a self-signed server certificate for every --hostname (DNS and IP) and its key (0600), like kumactl', async () => {
    const r = await run(['generate', 'tls-certificate', '--type', 'server', '--hostname', 'localhost', '--hostname', 'cp.example.com,127.0.0.1', '--hostname', '::1']);
    expect(r).toEqual({ code: 0, out: 'Private key saved in key.pem\nCertificate saved in cert.pem\n', err: '' });
    const cert = new X509Certificate(readFileSync(join(dir, 'cert.pem')));
    const key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
    expect(statSync(join(dir, 'key.pem')).mode & 0o777).toBe(0o600);
    expect(cert.subjectAltName).toBe('DNS:localhost, DNS:cp.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.subject).toBe('CN=localhost');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true); // self-signed
    expect(cert.ca).toBe(true); // kumactl's too: a client can trust it as its own CA
    expect(cert.keyUsage).toEqual([EKU_SERVER]);
    expect(cert.checkPrivateKey(key)).toBe(true);
    expect(key.asymmetricKeyType).toBe('rsa'); // kumactl's default key type
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.checkHost('cp.example.com')).toBe('cp.example.com');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    expect(Math.round(days)).toBe(3650);
    expect(Date.parse(cert.validFrom)).toBeLessThan(Date.now());
  });

  it('a client certificate with an EC key, to standard output with "-" ', async () => {
    const r = await run(['generate', 'tls-certificate', '--type', 'client', '--hostname', 'dataplane-1', '--key-type', 'ecdsa', '--key-file', '-', '--cert-file', '-']);
    expect(r.code).toBe(0);
    const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(r.out)?.[0];
    const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(r.out)?.[0];
    expect(r.out).toBe(`${key}${certPem}`);
    const cert = new X509Certificate(certPem!);
    expect(cert.keyUsage).toEqual([EKU_CLIENT]);
    expect(createPrivateKey(key!).asymmetricKeyType).toBe('ec');
    expect(cert.checkPrivateKey(createPrivateKey(key!))).toBe(true);
  });

  it('openssl reads it (when installed)', () => {
    const pair = selfSignedCertificate({ type: 'server', hostnames: ['a.example'], keyType: 'ecdsa' });
    let text: string;
    try {
      text = execFileSync('openssl', ['x509', '-noout', '-text'], { input: pair.certPem }).toString();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    expect(text).toContain('CA:TRUE');
    expect(text).toContain('Digital Signature, Key Encipherment, Certificate Sign');
    expect(text).toContain('TLS Web Server Authentication');
    expect(text).toContain('DNS:a.example');
  });

  it('flag errors name the flag and exit 2; nothing is written', async () => {
    const cases: [string[], string][] = [
      [['--hostname', 'x'], "required option '--type <type>' not specified"],
      [['--type', 'peer', '--hostname', 'x'], "option '--type <type>' argument 'peer' is invalid. Allowed choices are server, client."],
      [['--type', 'server'], '--hostname: give at least one, e.g. --hostname localhost'],
      [['--type', 'server', '--hostname', 'bad host'], '--hostname: "bad host" is neither a DNS name'],
      [['--type', 'server', '--hostname', 'x', '--key-type', 'dsa'], "option '--key-type <type>' argument 'dsa' is invalid"],
    ];
    for (const [flags, error] of cases) {
      const r = await run(['generate', 'tls-certificate', '--key-file', 'never.key', ...flags]);
      expect({ flags, code: r.code }).toEqual({ flags, code: 2 });
      expect(r.err).toContain(error);
    }
    expect(existsSync(join(dir, 'never.key'))).toBe(false);
    const unwritable = await run(['generate', 'tls-certificate', '--type', 'server', '--hostname', 'x', '--key-file', 'no/such/dir/key.pem']);
    expect(unwritable.code).toBe(1); // as nats-config's --out: a file that cannot be written is not a usage error
    expect(unwritable.err).toContain('--key-file: cannot write');
    expect(hostnameError('*.example.com')).toBeUndefined();
    expect(hostnameError('-x.example')).toContain('neither a DNS name');
  });
});

describe('generate signing-key', () => {
  it('prints a new EC P-256 key as base64 PEM (the default) or PEM, one that signs and verifies ES256', async () => {
    const b64 = await run(['generate', 'signing-key']);
    expect(b64.code).toBe(0);
    expect(b64.out).toMatch(/^[A-Za-z0-9+/]+=*\n$/);
    const pem = Buffer.from(b64.out.trim(), 'base64').toString();
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyType).toBe('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const sig = sign('sha256', Buffer.from('x'), { key, dsaEncoding: 'ieee-p1363' });
    expect(verify('sha256', Buffer.from('x'), { key: createPublicKey(key), dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    const plain = await run(['generate', 'signing-key', '--format', 'pem']);
    expect(plain.out).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
    expect(plain.out).not.toBe(pem); // a new key each time
    const bad = await run(['generate', 'signing-key', '--format', 'der']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("option '--format <format>' argument 'der' is invalid. Allowed choices are pem-base64, pem.");
  });
});

describe('generate zone-token --zone', () => {
  let server: Server;
  let zoneUrl: string;
  let globalUrl: string;
  const bodies: unknown[] = [];
  beforeAll(async () => {
    // One server, two roles by path prefix: /zone answers like a zone control plane of zone-1, /global like global.
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => {
        raw += c.toString();
      });
      req.on('end', () => {
        const body = raw ? (JSON.parse(raw) as { zone?: string }) : {};
        bodies.push(body);
        if (req.url === '/zone/tokens/zone') {
          if (body.zone !== undefined && body.zone !== 'zone-1') {
            res.writeHead(400, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ title: 'Bad Request', details: 'this control plane signs tokens of zone "zone-1" only', invalid_parameters: [{ field: 'zone', reason: 'must be "zone-1"' }] }));
            return;
          }
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('aaa.bbb.ccc');
          return;
        }
        if (req.url === '/global/tokens/zone') {
          if (body.zone === undefined) {
            res.writeHead(400, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ title: 'Bad Request', details: 'invalid zone token request', invalid_parameters: [{ field: 'zone', reason: 'is required: the zone whose ZoneIngress/ZoneEgress proxies use the token' }] }));
            return;
          }
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end(`global.${body.zone}.token\n`);
          return;
        }
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ title: 'Not Found', details: `no route POST ${req.url}` }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    zoneUrl = `${base}/zone`;
    globalUrl = `${base}/global`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends the zone, scopes (repeatable or comma-separated) and validity, and prints the token', async () => {
    const r = await run(['--address', zoneUrl, 'generate', 'zone-token', '--zone', 'zone-1', '--scope', 'ingress', '--scope', 'egress,ingress', '--valid-for', '24h']);
    expect(r).toEqual({ code: 0, out: 'aaa.bbb.ccc\n', err: '' });
    expect(bodies.at(-1)).toEqual({ zone: 'zone-1', scope: ['ingress', 'egress'], validFor: '24h' });
    expect((await run(['--address', zoneUrl, 'generate', 'zone-token'])).code).toBe(0);
    expect(bodies.at(-1)).toEqual({});
  });

  it("another zone's name is refused by the zone, named as --zone", async () => {
    const other = await run(['--address', zoneUrl, 'generate', 'zone-token', '--zone', 'zone-2']);
    expect(other.code).toBe(2);
    expect(other.err).toBe('Error: this control plane signs tokens of zone "zone-1" only\n  --zone: must be "zone-1"\n');
  });

  it('global issues tokens for any zone; without --zone its 400 is named as --zone', async () => {
    const global = await run(['--address', globalUrl, 'generate', 'zone-token', '--zone', 'zone-2', '--scope', 'egress']);
    expect(global).toEqual({ code: 0, out: 'global.zone-2.token\n', err: '' });
    expect(bodies.at(-1)).toEqual({ zone: 'zone-2', scope: ['egress'] });
    const noZone = await run(['--address', globalUrl, 'generate', 'zone-token']);
    expect(noZone.code).toBe(2);
    expect(noZone.err).toBe('Error: invalid zone token request\n  --zone: is required: the zone whose ZoneIngress/ZoneEgress proxies use the token\n');
  });

  it('a control plane without the route says where zone tokens come from', async () => {
    const none = await run(['--address', `${zoneUrl}/old`, 'generate', 'zone-token', '--zone', 'zone-1']);
    expect(none.code).toBe(1);
    expect(none.err).toContain('does not issue zone tokens (POST /tokens/zone): run this against the global control plane');
  });

  it('bad --scope and --zone values are usage errors, nothing is sent', async () => {
    const n = bodies.length;
    const scope = await run(['--address', zoneUrl, 'generate', 'zone-token', '--scope', 'sidecar']);
    expect(scope.code).toBe(2);
    expect(scope.err).toContain('--scope: must be "ingress", "egress" or "ingress,egress" (not sidecar)');
    const zone = await run(['--address', zoneUrl, 'generate', 'zone-token', '--zone', 'zone 1']);
    expect(zone.code).toBe(2);
    expect(zone.err).toContain('--zone: ');
    expect(bodies.length).toBe(n);
  });
});
