import type { Socket } from 'node:net';
import type { Classification, Proxy } from '@proxy-pool/core';
import { Server } from 'proxy-chain';
import { classifyUpstreamFailure } from './relay-verdicts.js';

/** proxy-chain logs, and only logs, a failed CONNECT through a SOCKS upstream (3.0.1 `chain_socks.js`). */
const UPSTREAM_FAILED = 'Failed to connect to upstream SOCKS proxy ';

/** proxy-chain's server, with the upstream failures it would only print kept for the classifier. */
class RecordingServer extends Server {
  onUpstreamFailure: ((message: string) => void) | undefined;

  override log(connectionId: unknown, str: string): void {
    if (str.startsWith(UPSTREAM_FAILED)) this.onUpstreamFailure?.(str.slice(UPSTREAM_FAILED.length));
    super.log(connectionId, str);
  }
}

/**
 * A local HTTP proxy without credentials on 127.0.0.1 (a random port) that forwards everything
 * to one SOCKS proxy with its username and password: Chromium cannot authenticate to SOCKS, so
 * it talks to this instead. proxy-chain does the work; this keeps the upstream's failures so
 * that a failed tunnel can be told apart (refused, bad password, far side), and never keeps
 * the process alive.
 */
export class SocksRelay {
  readonly proxy: Proxy;
  readonly #server: RecordingServer;
  readonly #failures: Array<{ at: number; classification: Classification }> = [];
  readonly #sockets = new Set<Socket>();
  #port = 0;

  private constructor(proxy: Proxy, server: RecordingServer) {
    this.proxy = proxy;
    this.#server = server;
    server.onUpstreamFailure = (message) => {
      this.#failures.push({ at: Date.now(), classification: classifyUpstreamFailure(message) });
      if (this.#failures.length > 16) this.#failures.shift();
    };
  }

  static async start(proxy: Proxy): Promise<SocksRelay> {
    const upstream = relayUpstreamUrl(proxy);
    const server = new RecordingServer({
      port: 0,
      host: '127.0.0.1',
      verbose: false,
      prepareRequestFunction: () => ({ upstreamProxyUrl: upstream }),
    });
    const relay = new SocksRelay(proxy, server);
    server.server.on('connection', (socket: Socket) => {
      socket.unref();
      relay.#sockets.add(socket);
      socket.once('close', () => relay.#sockets.delete(socket));
    });
    await server.listen();
    server.server.unref();
    relay.#port = server.port;
    return relay;
  }

  get port(): number {
    return this.#port;
  }

  /** The relay as Chromium takes it: `http://127.0.0.1:<port>`, no credentials. */
  get server(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The latest upstream failure since `sinceMs` (epoch ms), if the relay saw one. */
  failureSince(sinceMs: number): Classification | undefined {
    const latest = this.#failures.at(-1);
    return latest && latest.at >= sinceMs ? latest.classification : undefined;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await this.#server.close(true).catch(() => undefined);
  }
}

/**
 * The upstream as proxy-chain takes it; the credentials only ever live in this string and the
 * relay. SOCKS as `socks5h`/`socks4a`: the proxy resolves the site's name, as the browser would
 * have it do (with plain `socks5` a plain-http page's name was resolved on this machine: a DNS
 * leak, and names only the proxy can resolve failed).
 */
export function relayUpstreamUrl(proxy: Proxy): string {
  const auth = proxy.hasCredentials ? `${encodeURIComponent(proxy.username ?? '')}:${encodeURIComponent(proxy.password ?? '')}@` : '';
  const host = proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host;
  const scheme = proxy.protocol === 'socks5' ? 'socks5h' : proxy.protocol === 'socks4' ? 'socks4a' : proxy.protocol;
  return `${scheme}://${auth}${host}:${proxy.port}`;
}
