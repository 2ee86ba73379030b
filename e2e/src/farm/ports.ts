import type { AddressInfo } from 'node:net';

/**
 * Ports that farm proxies keep closed on purpose ("refusing" proxies, or ones that died or
 * have not recovered yet). The OS may hand a just-freed port to the next `listen(0)`; if a
 * farm site or proxy got one, the "refusing" proxy would suddenly answer. Every farm server
 * listens through `listenOnFreePort`, which never takes one of these.
 */
export const closedOnPurpose = new Set<number>();

interface Listenable {
  listen(port: number, host: string, callback: () => void): unknown;
  address(): AddressInfo | string | null;
  close(callback?: (error?: Error) => void): unknown;
  once(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Farm servers take their ports below the OS's ephemeral range (Linux hands `listen(0)` ports
 * from 32768 up): a port a "refusing" or dead farm proxy freed is then never given to anything
 * else that asks for any port — Chromium's DevTools server, a relay, a client socket — which
 * would make the refusing proxy hang or answer (seen: "proxy refuses connections" reported as
 * a timeout once in a while, Puppeteer's browser having taken the port).
 */
const LOW_PORTS = { from: 20_000, to: 32_000 };

export async function listenOnFreePort(server: Listenable, port = 0): Promise<number> {
  if (port !== 0) return listenOn(server, port);
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = LOW_PORTS.from + Math.floor(Math.random() * (LOW_PORTS.to - LOW_PORTS.from));
    if (closedOnPurpose.has(candidate)) continue;
    try {
      return await listenOn(server, candidate);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' && (error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
    }
  }
  // Crowded low range: any free port the OS gives, never one closed on purpose.
  for (let attempt = 0; ; attempt++) {
    const got = await listenOn(server, 0);
    if (!closedOnPurpose.has(got) || attempt >= 20) return got;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function listenOn(server: Listenable, port: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
