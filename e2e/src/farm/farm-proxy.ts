import { type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest } from 'node:http';
import { type Socket, connect } from 'node:net';
import { closedOnPurpose, listenOnFreePort } from './ports.js';
import { type FarmRegistry, resolveFarmHost } from './registry.js';

/**
 * How a farm proxy behaves.
 * - `good`: forwards plain requests and CONNECT tunnels
 * - `slow`: like good, after `delayMs` (default 1,500)
 * - `hang`: accepts connections and never answers
 * - `reset`: resets every connection (TCP RST) when the request arrives
 * - `refuse`: nothing listens on its port (connection refused)
 * - `error502`: answers every request itself with 502 (and every CONNECT)
 * - `garbage`: answers bytes that are not HTTP
 * - `flaky`: resets a `failRate` share of connections (default 0.5), forwards the rest
 */
export type ProxyMode = 'good' | 'slow' | 'hang' | 'reset' | 'refuse' | 'error502' | 'garbage' | 'flaky';

export interface ProxySpec {
  name?: string;
  mode: ProxyMode;
  delayMs?: number;
  failRate?: number;
  /** Credentials the proxy demands (407 without them). */
  credentials?: { username: string; password: string };
  /** Credentials written into the proxy list (to test wrong ones); `null` lists none. @default `credentials` */
  listedCredentials?: { username: string; password: string } | null;
  /** After this many requests the proxy dies: its port refuses connections from then on. */
  dieAfter?: number;
  /** Refuses connections until this many ms after start, then works as its mode says. */
  recoverAfterMs?: number;
  /** Sites (host names) that ban this proxy, or 'all'. */
  bannedOn?: readonly string[] | 'all';
}

let nextName = 1;

/** One HTTP forward proxy on 127.0.0.1 that fails on purpose, as its spec says. */
export class FarmProxy {
  readonly name: string;
  readonly spec: ProxySpec;
  requests = 0;
  connections = 0;
  readonly #registry: FarmRegistry;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;
  #listening = false;
  #timers: NodeJS.Timeout[] = [];
  #random: () => number;

  private constructor(spec: ProxySpec, registry: FarmRegistry, random: () => number) {
    this.spec = spec;
    this.name = spec.name ?? `${spec.mode}-${nextName++}`;
    this.#registry = registry;
    this.#random = random;
    this.#server = createServer();
    this.#server.on('connection', (socket) => this.#onConnection(socket));
    this.#server.on('request', (req, res) => this.#onRequest(req, res));
    this.#server.on('connect', (req, socket, head) => this.#onConnect(req, socket as Socket, head));
    this.#server.on('clientError', (_error, socket) => socket.destroy());
    if (spec.bannedOn) registry.ban(this.name, spec.bannedOn);
  }

  static async start(spec: ProxySpec, registry: FarmRegistry, random: () => number = Math.random): Promise<FarmProxy> {
    const proxy = new FarmProxy(spec, registry, random);
    await proxy.#listen(0);
    if (spec.mode === 'refuse' || spec.recoverAfterMs !== undefined) await proxy.#stopListening();
    if (spec.recoverAfterMs !== undefined && spec.mode !== 'refuse') {
      const timer = setTimeout(() => void proxy.#listen(proxy.#port).catch(() => undefined), spec.recoverAfterMs);
      timer.unref();
      proxy.#timers.push(timer);
    }
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  /** `http://[user:pass@]127.0.0.1:port`, as a pool takes it. */
  get url(): string {
    const creds = this.spec.listedCredentials === undefined ? this.spec.credentials : this.spec.listedCredentials;
    const auth = creds ? `${encodeURIComponent(creds.username)}:${encodeURIComponent(creds.password)}@` : '';
    return `http://${auth}127.0.0.1:${this.#port}`;
  }

  /** The pool's id for this proxy. */
  get id(): string {
    const creds = this.spec.listedCredentials === undefined ? this.spec.credentials : this.spec.listedCredentials;
    return `http://${creds ? `${encodeURIComponent(creds.username)}@` : ''}127.0.0.1:${this.#port}`;
  }

  get alive(): boolean {
    return this.#listening;
  }

  async #listen(port: number): Promise<void> {
    this.#port = await listenOnFreePort(this.#server, port);
    closedOnPurpose.delete(this.#port);
    this.#listening = true;
  }

  async #stopListening(): Promise<void> {
    if (!this.#listening) return;
    this.#listening = false;
    closedOnPurpose.add(this.#port); // nobody else in the farm may take it while it refuses
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Kills the proxy now: its port refuses connections. */
  async kill(): Promise<void> {
    await this.#stopListening();
  }

  #onConnection(socket: Socket): void {
    this.connections++;
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    const { mode } = this.spec;
    if (mode === 'reset' || (mode === 'flaky' && this.#random() < (this.spec.failRate ?? 0.5))) {
      // Reset once the request's bytes arrive, as a proxy that crashes mid-request does.
      socket.once('data', () => socket.resetAndDestroy());
    } else if (mode === 'garbage') {
      socket.end('SSH-2.0-OpenSSH_9.0 not http at all\r\n\r\n');
    }
  }

  /** Counts a request; returns false when the proxy has just died of it. */
  #count(): boolean {
    this.requests++;
    if (this.spec.dieAfter !== undefined && this.requests > this.spec.dieAfter) {
      void this.#stopListening();
      return false;
    }
    return true;
  }

  #authorized(header: string | undefined): boolean {
    const creds = this.spec.credentials;
    if (!creds) return true;
    return header === `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
  }

  async #delay(): Promise<void> {
    if (this.spec.mode === 'slow') await new Promise((r) => setTimeout(r, this.spec.delayMs ?? 1_500));
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.#count()) return void res.destroy();
    const { mode } = this.spec;
    if (mode === 'hang') return;
    if (!this.#authorized(req.headers['proxy-authorization'])) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="farm"', 'content-length': 0 });
      res.end();
      return;
    }
    if (mode === 'error502') {
      res.writeHead(502, { 'proxy-status': `${this.name}; error=proxy_internal_error`, 'content-length': 0 });
      res.end();
      return;
    }
    await this.#delay();
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-length': 0 });
      res.end();
      return;
    }
    const ip = resolveFarmHost(url.hostname);
    if (!ip) {
      res.writeHead(503, { 'proxy-status': `${this.name}; error=dns_error`, 'content-length': 0 });
      res.end();
      return;
    }
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, 'x-farm-proxy': this.name };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = httpRequest({
      host: ip,
      port: Number(url.port) || 80,
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers,
    });
    upstream.on('response', (response) => {
      res.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(res);
    });
    upstream.on('error', () => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { 'proxy-status': `${this.name}; error=connection_refused`, 'content-length': 0 });
      res.end();
    });
    req.pipe(upstream);
  }

  async #onConnect(req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
    client.on('error', () => undefined);
    if (!this.#count()) return void client.destroy();
    const { mode } = this.spec;
    if (mode === 'hang') return;
    if (!this.#authorized(req.headers['proxy-authorization'])) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="farm"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (mode === 'error502') {
      client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    await this.#delay();
    const [host = '', port = '443'] = (req.url ?? '').split(/:(?=\d+$)/);
    const ip = resolveFarmHost(host.replace(/^\[|\]$/g, ''));
    if (!ip) {
      client.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    let established = false;
    const upstream = connect(Number(port), ip, () => {
      established = true;
      this.#registry.noteUpstream(upstream.localPort, this.name);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    this.#sockets.add(upstream);
    upstream.on('close', () => {
      this.#sockets.delete(upstream);
      this.#registry.forgetUpstream(upstream.localPort);
      client.destroy();
    });
    upstream.on('error', () => {
      if (!established) client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      else client.destroy();
    });
    client.on('close', () => upstream.destroy());
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    await this.#stopListening();
    closedOnPurpose.delete(this.#port);
  }
}
