import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { closedOnPurpose, listenOnFreePort } from './ports.js';
import { generate } from 'selfsigned';
import type { FarmRegistry } from './registry.js';

export interface TargetSiteOptions {
  https?: boolean;
  registry: FarmRegistry;
  /**
   * Bans a proxy (on this site's host it hit) that sends more than `maxPerSecond` requests a
   * second, counted over a sliding window of `windowMs` (@default 1000): as sites rate-limit per IP.
   * Pages count; `/favicon.ico`, which a browser asks for on its own after each page, does not.
   */
  rateBan?: { maxPerSecond: number; windowMs?: number };
}

/** What a target saw of one request. */
export interface SeenRequest {
  path: string;
  host: string;
  proxy: string | undefined;
  authorization: string | undefined;
}

let certificate: Promise<{ key: string; cert: string }> | undefined;

/** A self-signed certificate for *.test, made once per process at test time. */
function testCertificate(): Promise<{ key: string; cert: string }> {
  certificate ??= generate([{ name: 'commonName', value: 'farm.test' }], {
    days: 2,
    keySize: 2048,
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: '*.test' },
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  } as never).then((pems: { private: string; cert: string }) => ({ key: pems.private, cert: pems.cert }));
  return certificate;
}

/**
 * A local web site reached through the farm's proxies as `http(s)://<anything>.test:<port>/`.
 *
 * Paths: `/page/N` (an HTML page titled "Page N"), `/status/CODE`, `/slow/MS`, `/captcha`,
 * `/auth` (asks for Basic credentials and records what it got), `/download`, `/empty`,
 * `/rate-limit` (429, Retry-After: 2), `/no-content` (204). A proxy the registry bans on this
 * site gets a 403 "Access denied" page; `down = true` makes the site drop every connection.
 */
export class TargetSite {
  readonly https: boolean;
  readonly seen: SeenRequest[] = [];
  #down = false;
  #port = 0;
  /** Requests being answered now, and the most there have been at once (overall and through one proxy). */
  active = 0;
  maxActive = 0;
  maxActivePerProxy = 0;
  readonly #activeByProxy = new Map<string, number>();
  readonly #server: Server;
  readonly #registry: FarmRegistry;
  readonly #sockets = new Set<Socket>();
  #rateBan: { max: number; windowMs: number } | undefined;
  /** proxy name + host → the times of its requests within the rate-ban window. */
  readonly #recent = new Map<string, number[]>();
  /** The proxies `rateBan` banned, with the host, in order. */
  readonly rateBanned: Array<{ proxy: string; host: string }> = [];

  private constructor(server: Server, https: boolean, registry: FarmRegistry) {
    this.#server = server;
    this.https = https;
    this.#registry = registry;
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#handle(req, res));
  }

  static async start(options: TargetSiteOptions): Promise<TargetSite> {
    const server = options.https ? createHttpsServer(await testCertificate()) : createHttpServer();
    server.keepAliveTimeout = 1_000;
    const port = await listenOnFreePort(server);
    const site = new TargetSite(server, options.https ?? false, options.registry);
    site.#port = port;
    if (options.rateBan) {
      const windowMs = options.rateBan.windowMs ?? 1_000;
      site.#rateBan = { max: (options.rateBan.maxPerSecond * windowMs) / 1_000, windowMs };
    }
    return site;
  }

  get port(): number {
    return this.#port;
  }

  /** A down site refuses connections on its port, as a crashed server does; `false` brings it back on the same port. */
  get down(): boolean {
    return this.#down;
  }

  set down(value: boolean) {
    if (value === this.#down) return;
    this.#down = value;
    if (value) {
      closedOnPurpose.add(this.#port);
      for (const socket of this.#sockets) socket.destroy();
      this.#server.close();
    } else {
      closedOnPurpose.delete(this.#port);
      this.#server.listen(this.#port, '127.0.0.1');
    }
  }

  /** The URL of a path on this site under a `.test` host name (which only the farm's proxies resolve). */
  url(path = '/', host = 'site.test'): string {
    return `${this.https ? 'https' : 'http'}://${host}:${this.port}${path}`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const host = (req.headers.host ?? '').split(':')[0] ?? '';
    const path = req.url ?? '/';
    const proxy = this.#registry.proxyOf(req.socket.remotePort, req.headers['x-farm-proxy'] as string | undefined);
    this.seen.push({ path, host, proxy, authorization: req.headers.authorization });
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const key = proxy ?? '-';
    const mine = (this.#activeByProxy.get(key) ?? 0) + 1;
    this.#activeByProxy.set(key, mine);
    this.maxActivePerProxy = Math.max(this.maxActivePerProxy, mine);
    res.on('close', () => {
      this.active--;
      this.#activeByProxy.set(key, (this.#activeByProxy.get(key) ?? 1) - 1);
    });
    const html = (status: number, title: string, body = '', headers: Record<string, string | number> = {}) => {
      const text = `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    if (this.#rateBan && proxy !== undefined && path !== '/favicon.ico') this.#countForRateBan(proxy, host, this.#rateBan);
    if (this.#registry.isBanned(proxy, host)) {
      html(403, 'Access denied', '<p>Your IP address has been blocked.</p>');
      return;
    }
    const [, first, arg] = path.split('/');
    switch (first) {
      case 'page':
        html(200, `Page ${arg ?? ''}`, `<p>Content of page ${arg}.</p><a href="/page/${Number(arg) + 1}">next</a>`);
        return;
      case 'status': {
        const code = Number(arg) || 500;
        html(code, `Status ${code}`, '<p>The site itself answered this.</p>');
        return;
      }
      case 'slow':
        setTimeout(() => html(200, 'Slow page'), Number(arg) || 1_000).unref();
        return;
      case 'captcha':
        html(200, 'Attention Required', '<div class="g-recaptcha"></div><p>Please verify you are a human.</p>');
        return;
      case 'auth':
        if (req.headers.authorization === `Basic ${Buffer.from('site-user:site-pass').toString('base64')}`) {
          html(200, 'Members area');
        } else {
          html(401, 'Authorization required', '', { 'www-authenticate': 'Basic realm="members"' });
        }
        return;
      case 'download':
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment; filename="data.bin"' });
        res.end(Buffer.alloc(1024));
        return;
      case 'empty':
        res.writeHead(200, { 'content-type': 'text/html', 'content-length': 0 });
        res.end();
        return;
      case 'no-content':
        res.writeHead(204);
        res.end();
        return;
      case 'rate-limit':
        html(429, 'Too Many Requests', '', { 'retry-after': 2 });
        return;
      default:
        html(200, 'Home', '<a href="/page/1">first page</a>');
    }
  }

  #countForRateBan(proxy: string, host: string, limit: { max: number; windowMs: number }): void {
    if (this.#registry.isBanned(proxy, host)) return;
    const key = `${proxy} ${host}`;
    const now = performance.now();
    const times = (this.#recent.get(key) ?? []).filter((t) => t > now - limit.windowMs);
    times.push(now);
    this.#recent.set(key, times);
    if (times.length > limit.max) {
      this.#registry.ban(proxy, [host]);
      this.rateBanned.push({ proxy, host });
      this.#recent.delete(key);
    }
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    if (!this.#server.listening) return;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
