/**
 * `causeway inspect external-service NAME`: against a small HTTP server answering the two routes with
 * what the API computes (core's externalServiceStats / externalServiceCallers over two zones' insights).
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { externalServiceCallers, externalServiceStats, type Resource, type TrafficAnswerInput } from '@causeway/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { type RecordingIo, recordingIo } from './testing/recording-io.js';

const NOW = Date.parse('2026-01-10T12:00:05Z');
const T = Math.floor(NOW / 1000);
const t10 = Math.floor(T / 10) * 10;
const t60 = Math.floor(T / 60) * 60;

const insights: Resource<'ExternalServiceInsight'>[] = [
  {
    type: 'ExternalServiceInsight',
    mesh: 'default',
    name: 'httpbin.zone-1',
    labels: { 'causeway.io/zone': 'zone-1' },
    version: 3,
    modificationTime: '2026-01-10T12:00:00Z',
    spec: {
      externalService: 'httpbin',
      service: 'httpbin',
      zone: 'zone-1',
      sidecars: {
        proxies: 1,
        activeConnections: 1,
        buckets10s: [{ t: t10, requests: 20, responses: { '2xx': 19, '5xx': 1 }, latency: [0, 0, 20], latencySumMs: 60, rxBytes: 3072, txBytes: 1024, connections: 1 }],
        buckets1m: [{ t: t60, requests: 20, responses: { '2xx': 19, '5xx': 1 }, latency: [0, 0, 20], latencySumMs: 60, rxBytes: 3072, txBytes: 1024, connections: 1 }],
      },
      callers: [{ service: 'web', proxies: 1, activeConnections: 1, buckets10s: [{ t: t10, requests: 20, responses: { '2xx': 19, '5xx': 1 } }], buckets1m: [{ t: t60, requests: 20, responses: { '2xx': 19, '5xx': 1 } }] }],
    },
  },
  {
    type: 'ExternalServiceInsight',
    mesh: 'default',
    name: 'httpbin.zone-2',
    labels: { 'causeway.io/zone': 'zone-2' },
    version: 2,
    modificationTime: '2026-01-10T11:59:55Z',
    spec: {
      externalService: 'httpbin',
      service: 'httpbin',
      zone: 'zone-2',
      egresses: { proxies: 1, buckets10s: [{ t: t10, requests: 19, responses: { '2xx': 19 }, rbacDenied: 1 }], buckets1m: [{ t: t60, requests: 19, responses: { '2xx': 19 }, rbacDenied: 1 }] },
    },
  },
];

const fakeIo = (dir: string): RecordingIo => recordingIo({ dir, now: () => NOW });

describe('causeway inspect external-service NAME', () => {
  let server: Server;
  let address = '';
  let dir = '';
  const requested: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'causeway-cli-es-'));
    server = createServer((req, res) => {
      requested.push(req.url ?? '');
      const m = /^\/meshes\/([^/]+)\/external-services\/([^/]+)\/(stats|callers)$/.exec(req.url ?? '');
      const input: TrafficAnswerInput = { mesh: 'default', externalService: 'httpbin', service: 'httpbin', insights, zones: ['zone-1', 'zone-2'], now: NOW };
      if (m?.[1] !== 'default' || m[2] !== 'httpbin') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ title: 'Not found', details: `ExternalService "${m?.[2]}" in mesh "${m?.[1]}" not found` }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(m[3] === 'stats' ? externalServiceStats(input) : externalServiceCallers(input)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the traffic in total and per zone, and the callers, as tables', async () => {
    const io = fakeIo(dir);
    expect(await runCli(['--address', address, 'inspect', 'external-service', 'httpbin'], io)).toBe(0);
    expect(io.err).toBe('');
    expect(requested).toContain('/meshes/default/external-services/httpbin/stats');
    expect(requested).toContain('/meshes/default/external-services/httpbin/callers');
    const lines = io.out.split('\n');
    expect(lines[0]).toBe('ExternalService httpbin (mesh default, kuma.io/service httpbin), at 2026-01-10T12:00:05.000Z');
    const row = (start: string) => lines.find((l) => l.startsWith(start))?.split(/\s{3,}/);
    const sidecarHeader = lines.indexOf('Calls by the services of each zone (at their sidecars):');
    expect(lines[sidecarHeader + 1]?.split(/\s{3,}/)).toEqual(['ZONE', 'PROXIES', 'WINDOW', 'REQUESTS', 'REQ/S', '2XX', '4XX', '5XX', 'ERROR RATE', 'P50 MS', 'P99 MS', 'IN', 'OUT', 'ACTIVE CX', 'RBAC DENIED']);
    // total: 20 calls in 5 minutes, 1 of them a 5xx; the denial at zone-2's egress
    expect(row('total')).toEqual(['total', '5m', '20', '0.067', '19', '0', '1', '5%', '3', '5', '10.2 B/s', '3.4 B/s', '1', '1']);
    expect(row('zone-1 (5s ago)')).toEqual(['zone-1 (5s ago)', '1', '5m', '20', '0.067', '19', '0', '1', '5%', '3', '5', '10.2 B/s', '3.4 B/s', '1', '0']);
    expect(lines).toContain('Sent by the ZoneEgresses of each zone:');
    expect(row('zone-2 (10s ago)')).toEqual(['zone-2 (10s ago)', '1', '5m', '19', '0.063', '19', '0', '0', '0%', '-', '-', '0 B/s', '0 B/s', '0', '1']);
    const callers = lines.indexOf('Callers:');
    expect(lines[callers + 1]?.split(/\s{3,}/)).toEqual(['ZONE', 'SERVICE', 'PROXIES', 'REQUESTS 5M', 'REQ/S 5M', 'REQUESTS 1H', 'REQ/S 1H', 'ERROR RATE 1H', '403 1H']);
    expect(lines[callers + 2]?.split(/\s{3,}/)).toEqual(['zone-1', 'web', '1', '20', '0.067', '20', '0.006', '5%', '0']);
  });

  it('prints both answers as JSON or YAML with -o', async () => {
    const io = fakeIo(dir);
    expect(await runCli(['--address', address, 'inspect', 'es', 'httpbin', '-m', 'default', '-o', 'json'], io)).toBe(0);
    const body = JSON.parse(io.out) as { stats: { total: { '5m': { requests: number } } }; callers: { items: { service: string }[] } };
    expect(body.stats.total['5m'].requests).toBe(20);
    expect(body.callers.items.map((i) => i.service)).toEqual(['web']);
    const yaml = fakeIo(dir);
    expect(await runCli(['--address', address, 'inspect', 'external-service', 'httpbin', '-o', 'yaml'], yaml)).toBe(0);
    expect(yaml.out).toMatch(/^stats:\n {2}mesh: default\n/);
  });

  it('is a readable error for an unknown ExternalService, another mesh, or no NAME', async () => {
    const io = fakeIo(dir);
    expect(await runCli(['--address', address, 'inspect', 'external-service', 'nope'], io)).toBe(1);
    expect(io.err).toContain('ExternalService "nope" in mesh "default" not found');
    const other = fakeIo(dir);
    expect(await runCli(['--address', address, 'inspect', 'external-service', 'httpbin', '--mesh', 'other'], other)).toBe(1);
    expect(requested).toContain('/meshes/other/external-services/httpbin/stats');
    const none = fakeIo(dir);
    expect(await runCli(['--address', address, 'inspect', 'external-service'], none)).toBe(2);
    expect(none.err).toContain('needs the name of an ExternalService');
  });
});
