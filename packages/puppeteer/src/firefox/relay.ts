import type { Socket } from 'node:net';
import { classifyUpstreamFailure, relayUpstreamUrl } from '@proxy-pool/browser';
import { type Classification, type Proxy, classifyError } from '@proxy-pool/core';
import { Server } from 'proxy-chain';

/** What proxy-chain 3.0.1 logs, and only logs, when its upstream fails (`chain.js`, `chain_socks.js`). */
const UPSTREAM_SOCKS_FAILED = 'Failed to connect to upstream SOCKS proxy ';
const UPSTREAM_HTTP_FAILED = 'Failed to connect to upstream proxy: ';

/** proxy-chain's server with what it would only log about its upstream kept for the classifier. */
class RecordingServer extends Server {
  onUpstreamFailure: ((classification: Classification) => void) | undefined;

  override log(connectionId: unknown, str: string): void {
    if (str.startsWith(UPSTREAM_SOCKS_FAILED)) this.onUpstreamFailure?.(classifyUpstreamFailure(str.slice(UPSTREAM_SOCKS_FAILED.length)));
    else if (str.startsWith(UPSTREAM_HTTP_FAILED)) this.onUpstreamFailure?.(httpUpstreamError(str.slice(UPSTREAM_HTTP_FAILED.length)));
    super.log(connectionId, str);
  }
}

/** An HTTP upstream's connection error (proxy-chain logs its stack): refused, unresolvable, reset, timed out. */
function httpUpstreamError(stack: string): Classification {
  const line = (stack.split('\n')[0] ?? '').replace(/^\w*Error: /, '');
  const c = classifyError(new Error(line));
  if (c.kind !== 'unknown') return { ...c, evidence: `the relay's upstream: ${c.evidence ?? c.kind}` };
  return { kind: 'proxy_unreachable', evidence: `the relay could not reach its upstream: ${line}` };
}

/**
 * What an HTTP upstream's refusal of a CONNECT means. Firefox only hears the relay's own 59x
 * status, which it reports as NS_ERROR_PROXY_CONNECTION_REFUSED whatever the upstream said:
 * a 407 is the credentials (proxy_auth), any other refusal a failed tunnel, as Chromium says
 * for a CONNECT refused by the proxy itself.
 */
function connectRefusal(status: number): Classification {
  if (status === 407 || status === 401)
    return { kind: 'proxy_auth', status, evidence: `the relay's upstream refused the credentials (${status})` };
  return { kind: 'tunnel_failed', status, evidence: `the relay's upstream refused the tunnel (${status})` };
}

/**
 * A local HTTP proxy without credentials on 127.0.0.1 (a random port) in front of one proxy,
 * holding that proxy's username and password and adding them itself: what Firefox talks to
 * instead of a proxy with credentials (Firefox caches proxy credentials per host and port
 * across contexts, so two sessions of one gateway would both go out as the first), and instead
 * of a SOCKS or HTTPS proxy (WebDriver BiDi only takes an HTTP proxy per context). proxy-chain
 * does the work, as for the kit's SOCKS relay; this keeps what went wrong upstream, which
 * Firefox would only see as the relay refusing, and never keeps the process alive.
 */
export class FirefoxRelay {
  readonly proxy: Proxy;
  readonly #server: RecordingServer;
  readonly #failures: Array<{ at: number; classification: Classification }> = [];
  readonly #sockets = new Set<Socket>();
  #port = 0;

  private constructor(proxy: Proxy, server: RecordingServer) {
    this.proxy = proxy;
    this.#server = server;
    const record = (classification: Classification) => {
      this.#failures.push({ at: Date.now(), classification: this.#redact(classification) });
      if (this.#failures.length > 16) this.#failures.shift();
    };
    server.onUpstreamFailure = record;
    server.on('tunnelConnectFailed', ({ response }: { response: { statusCode?: number } }) =>
      record(connectRefusal(response.statusCode ?? 0)),
    );
  }

  static async start(proxy: Proxy): Promise<FirefoxRelay> {
    const upstream = relayUpstreamUrl(proxy);
    const server = new RecordingServer({
      port: 0,
      host: '127.0.0.1',
      verbose: false,
      prepareRequestFunction: () => ({ upstreamProxyUrl: upstream }),
    });
    const relay = new FirefoxRelay(proxy, server);
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

  /** The relay as Firefox takes it: `127.0.0.1:<port>` (WebDriver BiDi wants no scheme), no credentials. */
  get server(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** The latest upstream failure since `sinceMs` (epoch ms), if the relay saw one. */
  failureSince(sinceMs: number): Classification | undefined {
    const latest = this.#failures.at(-1);
    return latest && latest.at >= sinceMs ? latest.classification : undefined;
  }

  /** The upstream's error text may name it: never its password. */
  #redact(c: Classification): Classification {
    const password = this.proxy.password;
    if (!password || !c.evidence?.includes(password)) return c;
    return { ...c, evidence: c.evidence.split(password).join('***') };
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await this.#server.close(true).catch(() => undefined);
  }
}
