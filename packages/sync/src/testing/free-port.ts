/**
 * Test fixture: a TCP port nothing listens on, for a server the test starts later (a process it spawns, a
 * listener it configures). The port is picked at random below the kernel's ephemeral range and checked by
 * binding it: a port the kernel handed out for `listen(0)` and released (the usual trick) comes back to the
 * next `listen(0)` of another test running in parallel — an admin server, an upstream — which then holds
 * the port the test meant for its own listener (CI saw a proxy's outbound listener NACKed that way, and
 * /status/200 on "its" port answered 404 by someone else's admin server). Below the ephemeral range only
 * other callers of this function pick ports, and the same process never hands one out twice.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const handedOut = new Set<number>();
const LOWEST = 10_000;
/**
 * Ports the Fetch standard blocks ("bad ports": `fetch` fails with "bad port" before connecting) in the range
 * this picks from: a server given one could never be probed with `fetch` (a zone's `/ready` was polled for
 * 90 s and never answered).
 */
const FETCH_BAD_PORTS: ReadonlySet<number> = new Set([10080]);

/** The first port of the kernel's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range; 32768 elsewhere). */
export function ephemeralStart(): number {
  try {
    const first = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0] ?? '', 10);
    if (Number.isInteger(first) && first > LOWEST + 1000) return first;
  } catch {
    // not Linux
  }
  return 32_768;
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A TCP port on `host` (default 127.0.0.1) that nothing listens on now and that no `listen(0)` is handed. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const highest = ephemeralStart() - 1;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1));
    if (handedOut.has(port) || FETCH_BAD_PORTS.has(port)) continue;
    if (await canBind(port, host)) {
      handedOut.add(port);
      return port;
    }
  }
  // a crowded machine: fall back to a port the kernel picks
  const port = await kernelPort(host);
  handedOut.add(port);
  return port;
}
