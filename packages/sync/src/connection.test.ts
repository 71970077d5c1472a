import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsLink, REQUIRED_MAX_PAYLOAD } from './connection.js';
import { type NatsServer, startNatsServer } from './testing/nats-server.js';

/** A logger that keeps every line it writes. */
function recordingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

async function connectOnce(url: string): Promise<Record<string, unknown>[]> {
  const { logger, lines } = recordingLogger();
  let up: () => void = () => {};
  const connected = new Promise<void>((resolve) => {
    up = resolve;
  });
  const link = new NatsLink({ servers: url, inboxPrefix: '_INBOX_test', name: 'connection-test' }, logger, { onUp: () => up(), onDown: () => {} });
  link.start();
  await connected;
  await link.close();
  return lines;
}

describe('NatsLink: max_payload', () => {
  let small: NatsServer;
  let normal: NatsServer;
  beforeAll(async () => {
    [small, normal] = await Promise.all([startNatsServer({ config: 'max_payload: 65536' }), startNatsServer()]);
  });
  afterAll(async () => {
    await Promise.all([small?.dispose(), normal?.dispose()]);
  });

  it('logs an error naming both sizes when the server cannot carry the largest resource', async () => {
    const lines = await connectOnce(small.url);
    const err = lines.find((l) => l.level === 50);
    expect(err).toMatchObject({ maxPayload: 65536, required: REQUIRED_MAX_PAYLOAD });
    expect(String(err?.msg)).toMatch(/max_payload is 64 KiB, below the 320 KiB/);
  });

  it('is silent with the default max_payload (1 MiB)', async () => {
    const lines = await connectOnce(normal.url);
    expect(lines.filter((l) => l.level === 50)).toEqual([]);
  });
});
