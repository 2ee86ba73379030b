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

export async function listenOnFreePort(server: Listenable, port = 0): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const got = (server.address() as AddressInfo).port;
    if (port !== 0 || !closedOnPurpose.has(got) || attempt >= 20) return got;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
